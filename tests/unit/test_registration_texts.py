"""The registration SMS (the code, and the notice that someone tried with your details) speak the city's
own Spanish from its pack; a pack that does not word them gets Vigía's neutral wording."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigia.adapters.registration_keys import SecretKeys
from vigia.city import CityPack, CityPackError, load_city_pack
from vigia.dispatch.sms_text import is_gsm7
from vigia.residents import signup

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "city.schema.json"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
KEYS = SecretKeys("unit-test-secret")
PHONES = {"godoy-cruz": ("+5492615999999", "+5492615000001"), "penalolen": ("+56987654321", "+56950001234")}


def _pack(city: str) -> CityPack:
    return load_city_pack(ROOT / "infra" / "cities" / city, SCHEMA)


@dataclass
class Memory:
    """The stores signup.start needs, in memory; `held` is who already holds a phone."""

    held: dict[str, signup.Holder] = field(default_factory=dict)
    sent: list[Any] = field(default_factory=list)

    def admit_source(self, *_: Any, **__: Any) -> bool:
        return True

    def holders(self, applicant: signup.Applicant) -> list[signup.Holder]:
        holder = self.held.get(applicant.phone)
        return [holder] if holder else []

    def holder(self, email: str) -> signup.Holder | None:
        return None

    def open(self, pending: signup.Pending, deliveries: Any, **_: Any) -> list[Any]:
        return [delivery for delivery, _key in deliveries]

    def enqueue(self, deliveries: Any) -> None:
        self.sent.extend(deliveries)


def _sign_up(pack: CityPack, phone: str, memory: Memory, locale: str | None = None) -> dict[str, str]:
    lat, lon = next(iter(pack.blocks.values())).centroid
    body: dict[str, Any] = {
        "full_name": "Ana Perez",
        "national_id": {"AR": "30.123.456", "CL": "12.345.678-5"}[pack.country_code],  # a DNI, a RUT
        "phone": phone,
        "email": "ana@example.org",
        "password": "Segura-2026x",
        "address": "Calle 1",
        "home_location": {"lat": lat, "lon": lon},
    }
    if locale:
        body["locale"] = locale
    signup.start(
        body,
        source_ip="192.0.2.1",
        pack=pack,
        store=memory,
        staff=memory,
        notifier=memory,
        keys=KEYS,
        limits=signup.Limits(per_source=5, window_s=3600),
        now=NOW,
    )
    return {delivery.target: delivery.body for delivery in memory.sent}


@pytest.mark.parametrize("city", ["godoy-cruz", "penalolen"])
def test_the_code_sms_is_the_packs_wording(city: str) -> None:
    pack = _pack(city)

    body = _sign_up(pack, PHONES[city][0], Memory())[signup.CODE_TARGET]

    code = next(word.rstrip(".") for word in body.split() if word.rstrip(".").isdigit())
    assert body == pack.message("registration_code", pack.locale, {"code": code})
    assert is_gsm7(body)
    assert len(body) <= 160


def test_penalolen_speaks_chilean_spanish_and_godoy_cruz_as_before() -> None:
    chile, argentina = _pack("penalolen"), _pack("godoy-cruz")

    code_cl = _sign_up(chile, PHONES["penalolen"][0], Memory())[signup.CODE_TARGET]
    held = Memory(held={PHONES["penalolen"][0]: signup.Holder("owner", PHONES["penalolen"][0], "es-CL")})
    attempt_cl = _sign_up(chile, PHONES["penalolen"][0], held)[signup.ATTEMPT_TARGET]
    held = Memory(held={PHONES["godoy-cruz"][0]: signup.Holder("owner", PHONES["godoy-cruz"][0], "es-AR")})
    attempt_ar = _sign_up(argentina, PHONES["godoy-cruz"][0], held)[signup.ATTEMPT_TARGET]

    assert "Vigia Peñalolén: tu codigo de registro es " in code_cl
    assert "fuiste tu, ya tienes cuenta" in attempt_cl
    assert "vos" not in attempt_cl.split()
    assert chile.settings.helpline in attempt_cl
    # Godoy Cruz's residents read what they read before the text moved into the pack
    assert attempt_ar == (
        "Vigia: alguien intento registrarse con tus datos. Si fuiste vos, ya tenes cuenta. Si no: "
        f"{argentina.settings.helpline}"
    )


def test_an_english_speaker_gets_the_packs_english(tmp_path: Path) -> None:
    pack = _pack("penalolen")

    body = _sign_up(pack, PHONES["penalolen"][0], Memory(), locale="en")[signup.CODE_TARGET]

    assert body.startswith("Vigia Peñalolén: your registration code is ")


def _copy_without(tmp_path: Path, city: str, *keys: str) -> Path:
    pack_dir = tmp_path / city
    shutil.copytree(ROOT / "infra" / "cities" / city, pack_dir)
    raw = json.loads((pack_dir / "city.json").read_text())
    for key in keys:
        del raw["texts"][key]
    (pack_dir / "city.json").write_text(json.dumps(raw))
    return pack_dir


def test_a_pack_without_the_texts_falls_back_to_vigias_wording(tmp_path: Path) -> None:
    pack = load_city_pack(
        _copy_without(tmp_path, "penalolen", "registration_code", "registration_attempt"), SCHEMA
    )

    texts = _sign_up(pack, PHONES["penalolen"][0], Memory())
    held = Memory(held={PHONES["penalolen"][0]: signup.Holder("owner", PHONES["penalolen"][0], "es-CL")})
    attempt = _sign_up(pack, PHONES["penalolen"][0], held)[signup.ATTEMPT_TARGET]

    assert texts[signup.CODE_TARGET].startswith("Vigia: tu codigo de registro es ")
    assert attempt.startswith("Vigia: alguien intento registrarse con tus datos.")


@pytest.mark.parametrize(
    ("key", "text", "problem"),
    [
        (
            "registration_code",
            "Tu codigo: {codigo}",
            "texts.registration_code.es-CL: unknown placeholder {codigo}",
        ),
        (
            "registration_attempt",
            "Alguien: {code}",
            "texts.registration_attempt.es-CL: unknown placeholder {code}",
        ),
    ],
)
def test_a_registration_text_with_a_wrong_placeholder_is_refused(
    tmp_path: Path, key: str, text: str, problem: str
) -> None:
    pack_dir = tmp_path / "penalolen"
    shutil.copytree(ROOT / "infra" / "cities" / "penalolen", pack_dir)
    raw = copy.deepcopy(json.loads((pack_dir / "city.json").read_text()))
    raw["texts"][key]["es-CL"] = text
    (pack_dir / "city.json").write_text(json.dumps(raw))

    with pytest.raises(CityPackError) as refused:
        load_city_pack(pack_dir, SCHEMA)

    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
