"""Properties that must hold for every city pack and every stream of alerts (hypothesis):

- a city pack giving a silent type a step that could expose the victim is refused at load time;
- no silent alert ever produces a neighbour SMS, a siren command, a public CAP message or an SMS to its
  sender, and nothing that is sent carries her details — whatever the pack's templates say;
- no identity field leaves through a view for anyone but the response team.
"""

from __future__ import annotations

import copy
import json
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import PACK_DIR, SCHEMA
from tests.unit.silent_fakes import (
    FakeAlertStore,
    FakeMac,
    FakeSealer,
    demo_pack,
    image_of,
    resident,
)
from vigia.alerts.submission import AlertRequest, submit
from vigia.api.auth import ROLES, Caller
from vigia.city import (
    PLACEHOLDERS,
    SILENT_FORBIDDEN_TARGETS,
    TARGETS,
    AlertType,
    CapProfile,
    CityPack,
    CityPackError,
    ProtocolStep,
    load_city_pack,
)
from vigia.dispatch.cap import CAP_NS
from vigia.dispatch.protocol import PROVINCIAL_CAD, SIREN, SMS, WEBHOOK
from vigia.errors import NotFound, TooManyAlerts
from vigia.silent.access import HIDDEN, UNSEALED, access_to_silent_alert
from vigia.silent.reading import open_silent_alert, read_silent_alert
from vigia.silent.routing import is_silent, plan_silent
from vigia.silent.sealing import unseal
from vigia.silent.views import SEALED_VIEW_KEYS

START = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
CITY = json.loads((PACK_DIR / "city.json").read_text(encoding="utf-8"))
NOTES = ("me pegó y se fue al patio", "está borracho y grita", "tengo miedo, no puedo hablar", None)

# ------------------------------------------------------------------ strategies
words = st.sampled_from(["VIGIA", "alerta", "zona", "ver consola", "urgente", "aviso", "-", ","])
placeholder = st.sampled_from(sorted(PLACEHOLDERS)).map(lambda p: "{" + p + "}")
template_text = st.lists(st.one_of(words, placeholder), min_size=1, max_size=6).map(" ".join)


@st.composite
def raw_step(draw: Any, targets: tuple[str, ...] = tuple(sorted(TARGETS))) -> dict[str, Any]:
    target = draw(st.sampled_from(targets))
    step: dict[str, Any] = {"target": target, "disclose_sender": draw(st.booleans()), "delay_s": 0}
    if target == "response_team" and draw(st.booleans()):
        step["channel"] = draw(st.sampled_from(["sms", "push"]))
    if target != "sirens":
        text = draw(template_text)
        if "{sender_name}" in text:
            step["disclose_sender"] = True
        step["template"] = {"es-AR": text}
    if target == "provincial_police":
        scope = draw(st.sampled_from([None, "Public", "Restricted", "Private"]))
        if scope is not None:
            step["scope"] = scope
        if draw(st.booleans()):
            step["addresses"] = ["unidad-genero@seguridad.mendoza.example"]
    return step


def exposes_her(step: dict[str, Any]) -> bool:
    if step["target"] in SILENT_FORBIDDEN_TARGETS:
        return True
    if step["target"] == "provincial_police":
        return not (step.get("scope") == "Private" and step.get("addresses"))
    return False


def load(city: dict[str, Any]) -> CityPack:
    """The city pack loader on a modified city.json (the demo geography, linked, not copied)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
        (folder / "geography.geojson").symlink_to(PACK_DIR / "geography.geojson")
        return load_city_pack(folder, SCHEMA)


def with_protocol(code: str, steps: list[dict[str, Any]], *, silent: bool = True) -> dict[str, Any]:
    city = copy.deepcopy(CITY)
    alert_type = city["alert_types"][code]
    alert_type["silent"] = silent
    alert_type["siren"] = None
    alert_type["protocol"] = steps
    return city


# ------------------------------------------------------------------ the loader
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(raw_step(), min_size=1, max_size=4))
def test_a_silent_type_is_refused_at_load_time_exactly_when_a_step_could_expose_her(steps):
    # Given the silent type's protocol replaced by generated steps
    city = with_protocol("domestic_violence", steps)
    unsafe = [i for i, step in enumerate(steps) if exposes_her(step)]
    no_team = not any(step["target"] == "response_team" for step in steps)
    # When the pack is loaded
    try:
        pack = load(city)
    except CityPackError as refusal:
        # Then an unsafe step or a missing response team is named by its path
        problems = "\n".join(refusal.problems)
        assert unsafe or no_team or "alert_types.domestic_violence" not in problems, problems
        for i in unsafe:
            assert f"alert_types.domestic_violence.protocol[{i}]" in problems
        return
    # Or it loads, and then no step of the silent type could expose her
    assert not unsafe
    assert not no_team
    assert pack.alert_types["domestic_violence"].silent


# ------------------------------------------------------------------ generated packs and alert streams
safe_step = raw_step(("response_team", "provincial_police")).filter(lambda s: not exposes_her(s))
# A pack's wording that would name and place her: the router must send its neutral text instead.
TEAM_STEP = {
    "target": "response_team",
    "disclose_sender": True,
    "delay_s": 0,
    "template": {"es-AR": "{sender_name} en {address}: {type_label}, {block_name}"},
}


@st.composite
def silent_pack(draw: Any) -> CityPack:
    """The demo pack with generated (loader-accepted) protocols for its silent type, and maybe a second
    silent type (panic turned silent), templates using any placeholder the loader knows."""
    steps = draw(st.lists(safe_step, min_size=1, max_size=3))
    if not any(s["target"] == "response_team" for s in steps):
        steps.append(TEAM_STEP)
    city = with_protocol("domestic_violence", steps)
    if draw(st.booleans()):  # a second silent type
        more = draw(st.lists(safe_step, max_size=2))
        city["alert_types"]["panic"].update(silent=True, siren=None, protocol=[*more, TEAM_STEP])
    try:
        return load(city)
    except CityPackError as refusal:  # pragma: no cover - the strategy only builds acceptable packs
        pytest.fail("\n".join(refusal.problems))


alert_spec = st.tuples(
    st.sampled_from(sorted(CITY["alert_types"])),  # type
    st.integers(0, 5),  # sender
    st.integers(0, 7),  # block
    st.floats(-0.0003, 0.0003),  # offset from the block's centre
    st.sampled_from(NOTES),
    st.one_of(st.none(), st.uuids().map(str)),  # Idempotency-Key
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(pack=silent_pack(), stream=st.lists(alert_spec, min_size=1, max_size=12))
def test_no_silent_alert_reaches_a_neighbour_a_siren_the_public_or_its_sender(pack, stream):
    store, sealer = FakeAlertStore(), FakeSealer()
    blocks = list(pack.blocks.values())[:8]
    people = {n: resident(n, blocks[n % len(blocks)].block_id) for n in range(6)}
    residents_phones = {p.phone for p in people.values()} | {resident(100 + i, None).phone for i in range(8)}
    silent_types = frozenset(code for code, t in pack.alert_types.items() if t.silent)
    labels = {label for t in pack.alert_types.values() if t.silent for label in t.labels.values()}
    team = set(pack.dispatch.response_team)
    now = START
    for type_, sender, block_index, offset, note, key in stream:
        now += timedelta(minutes=2)
        block = blocks[block_index]
        her = people[sender]
        lat, lon = block.centroid[0] + offset, block.centroid[1] - offset
        request = AlertRequest(type_, lat, lon, 10.0, note)
        try:
            alert, _ = submit(
                request,
                resident=her,
                sender_id=her.user_id,
                idempotency_key=key,
                pack=pack,
                alerts=store,
                now=now,
                sealer=sealer,
                sender_mac=FakeMac(),
            )
        except TooManyAlerts:
            continue
        # The first hop decides as the pack does
        image = image_of(alert)
        assert is_silent(image, silent_types) == pack.alert_types[type_].silent
        if not pack.alert_types[type_].silent:
            continue
        # What is stored and streamed names no one
        secrets = [her.full_name, her.phone, her.national_id, her.email, her.address, her.user_id]
        streamed = json.dumps({k: v for k, v in image.items() if k != "sealed"}, default=str)
        assert [s for s in secrets if s in streamed] == []
        # And the silent protocol reaches the response team, perhaps a private CAP, and nobody else
        identity = unseal(alert, sealer, city_id=pack.city_id)
        plan = plan_silent(alert, pack.alert_types.get(identity.type), pack, identity=identity)
        assert plan.deliveries, "the response team is always told"
        assert {d.recipient for d in plan.deliveries if d.channel == SMS} == team
        for delivery in plan.deliveries:
            assert delivery.channel in (SMS, WEBHOOK)
            assert delivery.channel != SIREN
            assert delivery.recipient not in residents_phones
            assert delivery.recipient != her.phone
            assert [s for s in secrets if s in delivery.body] == []
            if note:
                assert note not in delivery.body
            assert block.name not in delivery.body, "no address: the block is a street corner"
            if delivery.channel == SMS:
                assert delivery.target == "response_team"
                assert not [label for label in labels if label in delivery.body], "neutral wording"
                assert f"{lat:.4f}" not in delivery.body
                assert f"{lon:.4f}" not in delivery.body
            else:
                assert (delivery.target, delivery.recipient) == ("provincial_police", PROVINCIAL_CAD)
                root = ET.fromstring(delivery.body)  # noqa: S314 - our own output
                ns = {"cap": CAP_NS}
                assert root.findtext("cap:scope", namespaces=ns) == "Private"
                assert root.findtext("cap:addresses", namespaces=ns)
                assert root.find(".//cap:circle", ns) is None
                assert root.findtext(".//cap:contact", namespaces=ns) in team


# ------------------------------------------------------------------ past the loader: the router holds alone
@st.composite
def any_alert_type(draw: Any) -> AlertType:
    """Alert types the loader would refuse too: any target, channel, scope, template."""
    steps = []
    for _ in range(draw(st.integers(0, 6))):
        target = draw(st.sampled_from(sorted(TARGETS)))
        steps.append(
            ProtocolStep(
                target=target,
                channel=draw(st.sampled_from(["sms", "push", "siren", "webhook"])),
                template={"es-AR": draw(template_text)},
                disclose_sender=draw(st.booleans()),
                delay_s=0,
                scope=draw(st.sampled_from([None, "Public", "Restricted", "Private"])),
                addresses=tuple(draw(st.lists(st.just("unit@x.example"), max_size=1))),
            )
        )
    return AlertType(
        code="domestic_violence",
        labels={"es-AR": "Violencia de género"},
        silent=draw(st.booleans()),
        priority=1,
        severity_weight=0.0,
        iccs="02011",
        cap=CapProfile("Security", "Immediate", "Severe", "Observed"),
        siren=None,
        protocol=tuple(steps),
    )


@settings(max_examples=200, deadline=None)
@given(alert_type=any_alert_type(), note=st.sampled_from(NOTES))
def test_even_a_pack_that_escaped_the_loader_cannot_make_a_silent_alert_public(alert_type, note):
    pack = demo_pack()
    store, sealer = FakeAlertStore(), FakeSealer()
    block = next(iter(pack.blocks.values()))
    her = resident(7, block.block_id)
    pack_types = dict(pack.alert_types) | {"domestic_violence": replace(alert_type, silent=True)}
    tampered = replace_alert_types(pack, pack_types)
    alert, _ = submit(
        AlertRequest("domestic_violence", block.centroid[0], block.centroid[1], None, note),
        resident=her,
        sender_id=her.user_id,
        idempotency_key=None,
        pack=tampered,
        alerts=store,
        now=START,
        sealer=sealer,
        sender_mac=FakeMac(),
    )
    identity = unseal(alert, sealer, city_id=pack.city_id)
    plan = plan_silent(alert, alert_type, pack, identity=identity)
    for delivery in plan.deliveries:
        assert delivery.target in ("response_team", "provincial_police")
        assert delivery.channel in (SMS, WEBHOOK)
        assert delivery.recipient != her.phone
        if delivery.channel == WEBHOOK:
            root = ET.fromstring(delivery.body)  # noqa: S314 - our own output
            assert root.findtext(f"{{{CAP_NS}}}scope") == "Private"
            assert root.findtext(f"{{{CAP_NS}}}addresses")
        else:
            assert "Violencia" not in delivery.body
        for secret in (her.full_name, her.phone, her.national_id, her.address, block.name):
            assert secret not in delivery.body
    assert {d.recipient for d in plan.deliveries if d.channel == SMS} == set(pack.dispatch.response_team)


def replace_alert_types(pack: CityPack, alert_types: dict[str, AlertType]) -> CityPack:
    clone = copy.copy(pack)
    object.__setattr__(clone, "alert_types", alert_types)
    return clone


# ------------------------------------------------------------------ views
@settings(max_examples=150, deadline=None)
@given(
    roles=st.frozensets(st.sampled_from(ROLES)),
    n=st.integers(0, 9999),
    note=st.sampled_from(NOTES),
    offset=st.floats(-0.0004, 0.0004),
)
def test_no_identity_field_leaves_through_a_view_for_anyone_but_the_response_team(roles, n, note, offset):
    pack = demo_pack()
    store, sealer = FakeAlertStore(), FakeSealer()
    block = list(pack.blocks.values())[n % 50]
    her = resident(n, block.block_id)
    lat, lon = block.centroid[0] + offset, block.centroid[1] + offset
    alert, _ = submit(
        AlertRequest("domestic_violence", lat, lon, 5.0, note),
        resident=her,
        sender_id=her.user_id,
        idempotency_key=None,
        pack=pack,
        alerts=store,
        now=START,
        sealer=sealer,
        sender_mac=FakeMac(),
    )
    stored = store.get(alert.alert_id)
    secrets = [
        her.full_name,
        her.phone,
        her.national_id,
        her.email,
        her.address,
        her.user_id,
        f"{lat:.4f}",
        f"{lon:.4f}",
    ]
    if note:
        secrets.append(note)
    answers = [json.dumps(alert.receipt(), ensure_ascii=False), json.dumps(stored.view(), ensure_ascii=False)]
    who = Caller("reader", "r@city.example", roles)
    try:  # GET /v1/alerts/{id}: sealed for everyone it admits, the response team included
        view = read_silent_alert(stored, who=who, pack=pack)
        assert set(view) <= SEALED_VIEW_KEYS | {"unsealed_view"}
        answers.append(json.dumps(view, ensure_ascii=False))
    except NotFound:
        assert access_to_silent_alert(roles) == HIDDEN
    try:  # GET /v1/silent-alerts/{id}: the response team only
        opened = open_silent_alert(
            stored, None, who=who, reason="r", pack=pack, sealer=sealer, audit=lambda *a, **k: None, now=START
        )
        assert access_to_silent_alert(roles) == UNSEALED
        assert opened["sender"]["phone"] == her.phone
    except NotFound:
        assert access_to_silent_alert(roles) != UNSEALED
    for answer in answers:
        assert [s for s in secrets if s in answer] == [], answer
        assert "domestic_violence" not in answer
