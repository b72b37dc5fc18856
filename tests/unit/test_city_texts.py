"""The stack's own messages speak the city's language: every text Vigía sends comes from the city pack's
`texts` catalogue, in the recipient's (or the city's) locale, never from an English literal in code."""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support import PACK_DIR, SCHEMA, godoy_cruz_pack
from vigia import clock
from vigia.city import MESSAGE_TEXTS, CityPackError, load_city_pack
from vigia.dispatch import cap, protocol
from vigia.dispatch.protocol import Told
from vigia.incidents import notices, standing
from vigia.incidents.lifecycle import Incident
from vigia.incidents.standing import Standing

ROOT = Path(__file__).resolve().parents[2]
PACK = godoy_cruz_pack()
BLOCK = PACK.blocks["B-0481"]

# Words of Vigía's English texts that no Spanish text of the stack uses ("no", "a", "es" are in both).
ENGLISH = re.compile(
    r"\b(the|your|you|account|alert|alarms?|false|automatic|cancell?ed|suspended|approved|registration|"
    r"questions|please|received|police|respond|reported|action|needed|handed|over|go|at|is|was|for|from|"
    r"only|services|window|resident|who|sent|home|stay|keep|safe|near|notified)\b",
    re.IGNORECASE,
)


def english_words(text: str) -> list[str]:
    return ENGLISH.findall(text)


def test_the_english_detector_catches_the_old_literals():
    # the texts this rule was filed about, as the code sent them before
    assert english_words("Vigia: tu cuenta fue suspendida (3 false alarms in 90 days (automatic)).")
    assert english_words("Police and emergency services only")
    assert english_words("Cancelled by the resident who sent it, within the city's cancel window.")
    assert not english_words("Vigia: la alerta de Robo en Belgrano y Uruguay de las 18:07 fue cancelada.")


# ------------------------------------------------------------------ the catalogue is complete
def _message_keys_used_in_code() -> set[str]:
    """Every literal key passed to CityPack.message(...) anywhere in the shipped code."""
    keys: set[str] = set()
    for path in (ROOT / "functions/vigia").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "message"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
    keys.update(notices.STANDING_TEXTS.values())  # chosen by status, not written as a literal
    return keys


def test_every_text_the_code_sends_is_in_the_catalogue_and_in_the_pack_in_every_locale():
    used = _message_keys_used_in_code()
    assert used >= {"cancellation", "unit_assignment", "map_link", "cap_restriction"}
    assert used <= set(MESSAGE_TEXTS), used - set(MESSAGE_TEXTS)
    for key in MESSAGE_TEXTS:
        assert set(PACK.texts[key]) == set(PACK.locales), key
        assert PACK.raw["texts"][key][PACK.locale], key


def test_asking_for_a_text_that_is_not_in_the_catalogue_fails_loudly():
    with pytest.raises(KeyError):
        PACK.message("no_such_text", "es-AR", {})


def _write(tmp_path: Path, change) -> Path:
    city = json.loads((PACK_DIR / "city.json").read_text(encoding="utf-8"))
    city = copy.deepcopy(city)
    change(city)
    (tmp_path / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "geography.geojson").write_bytes((PACK_DIR / "geography.geojson").read_bytes())
    return tmp_path


def _refusal(pack_dir: Path) -> str:
    with pytest.raises(CityPackError) as caught:
        load_city_pack(pack_dir, SCHEMA)
    return str(caught.value)


def test_a_pack_without_one_of_the_texts_is_refused_naming_it(tmp_path: Path):
    def drop(city: dict[str, Any]) -> None:
        del city["texts"]["cancellation"]

    assert "cancellation" in _refusal(_write(tmp_path, drop))


def test_a_text_with_a_placeholder_it_cannot_have_is_refused_naming_it(tmp_path: Path):
    def leak(city: dict[str, Any]) -> None:
        city["texts"]["cancellation"]["es-AR"] = "Vigia: cancelada por {sender_name}."

    message = _refusal(_write(tmp_path, leak))
    assert "texts.cancellation.es-AR" in message
    assert "{sender_name}" in message


# ------------------------------------------------------------------ what residents and officers receive
def _alert():
    lat, lon = BLOCK.centroid
    from vigia.alerts.submission import Alert

    return Alert(
        "01JQ8Z6V4M3K2N1P0R9S8T7V6W", "robbery", False, 2, "u-1", lat, lon, 10.0, None,
        BLOCK.block_id, BLOCK.quadrant_id, "location", "received", "2026-03-14T21:07:12Z", "2026-03-14",
    )  # fmt: skip


def _city_texts() -> dict[str, str]:
    """Every text of Vigía's own a Spanish-speaking resident or officer of Godoy Cruz gets."""
    alert = _alert()
    incident = Incident(
        alert.alert_id, "suspicious_activity", 3, False, "u-1", alert.created_at, "acknowledged",
        block_id=BLOCK.block_id, quadrant_id=BLOCK.quadrant_id, lat=alert.lat, lon=alert.lon,
    )  # fmt: skip
    policy = PACK.settings.false_alarm_policy
    strike = standing.add_strike(
        Standing("u-1", "approved", strikes=("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")),
        at="2026-03-03T00:00:00Z",
        policy=policy,
    )
    assert strike.suspend
    texts = {"automatic_reason": strike.reason(policy)}
    for status, reason in (("suspended", strike.reason(policy)), ("approved", None), ("rejected", "datos")):
        sms = notices.standing_notice(
            about="a",
            user_id="u-1",
            phone="+5492615550999",
            locale="es-AR",
            status=status,
            reason=reason,
            pack=PACK,
        )
        assert sms is not None
        texts[f"standing_{status}"] = sms.body
    assignment = notices.unit_assignment(incident, "GC-08", PACK)
    assert assignment is not None
    texts["assignment"] = assignment.body
    escalation = notices.escalation_to_cad(incident, PACK)
    assert escalation is not None
    texts["escalation_cap"] = escalation.body
    told = [
        Told("sms", "neighbours", "+5492615550001", "es-AR"),
        Told("webhook", "provincial_police", protocol.PROVINCIAL_CAD, "es-AR"),
    ]
    cancelled_at = clock.parse_iso("2026-03-14T21:08:00Z")
    for d in protocol.plan_cancel(
        alert, PACK.alert_types["robbery"], PACK, told, cancelled_at=cancelled_at
    ).deliveries:
        texts[f"cancel_{d.channel}"] = d.body
    return texts


def _readable(body: str) -> str:
    """An SMS as is; a CAP message's free text only (its element names and enumerations are CAP's own)."""
    if not body.startswith("<?xml"):
        return body
    root = cap.parse(body.encode())
    ns = {"cap": cap.CAP_NS}
    parts = [root.findtext(f"cap:{tag}", namespaces=ns) or "" for tag in ("restriction", "note")]
    for tag in ("event", "headline", "description", "instruction", "senderName"):
        parts += [e.text or "" for e in root.iterfind(f".//cap:info/cap:{tag}", ns)]
    parts += [e.text or "" for e in root.iterfind(".//cap:area/cap:areaDesc", ns)]
    return " ".join(parts)


def test_every_text_of_the_stacks_own_speaks_the_citys_language():
    texts = _city_texts()
    assert texts["automatic_reason"] == "3 falsas alarmas en 90 dias (automatica)"
    assert "3 falsas alarmas en 90 dias" in texts["standing_suspended"]
    for name, body in texts.items():
        assert not english_words(_readable(body)), (name, english_words(_readable(body)), body)


def test_a_resident_who_chose_english_gets_the_english_text():
    sms = notices.standing_notice(
        about="a",
        user_id="u-1",
        phone="+5492615550999",
        locale="en",
        status="approved",
        reason=None,
        pack=PACK,
    )
    assert sms is not None
    assert sms.body.startswith("Vigia: your account is active again")
