"""A city's own services and CADs: a step reaches a named service's numbers, or another CAD than the
provincial one, signed with that CAD's own key; a cancellation reaches the CAD that was told."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xmlschema

from infra.local.fake_cad import FakeCad
from tests.support import SCHEMA, godoy_cruz_pack
from vigia.adapters import cad as cad_adapter
from vigia.alerts.submission import Alert
from vigia.city import CityPack, load_city_pack
from vigia.dispatch import cap, protocol, signing
from vigia.dispatch.cad import cad_for_recipient
from vigia.dispatch.protocol import Neighbour, Sender, Told

ROOT = Path(__file__).resolve().parents[2]
CAP_XSD = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))
NS = {"c": cap.CAP_NS}
SENDER = Sender("u-sender", "Camila Andrea Soto Fuentes", "+56955501234", "Av. Grecia 8735", "es-CL")
SECRET = "the-stacks-cad-secret"


@functools.cache
def penalolen() -> CityPack:
    return load_city_pack(ROOT / "infra/cities/penalolen", SCHEMA)


def alert_of(pack: CityPack, type_: str) -> Alert:
    block = next(iter(pack.blocks.values()))
    lat, lon = block.centroid
    created = "2026-03-14T21:07:12.345Z"
    return Alert(
        "01JQ8Z6V4M3K2N1P0R9S8T7V6W",
        type_,
        False,
        pack.alert_types[type_].priority,
        SENDER.user_id,
        lat,
        lon,
        10.0,
        None,
        block.block_id,
        block.quadrant_id,
        "location",
        "received",
        created,
        created[:10],
    )


def plan(pack: CityPack, type_: str) -> protocol.Plan:
    neighbours = [Neighbour(f"n-{i}", f"+5695550{i:04d}", "es-CL") for i in range(3)]
    return protocol.plan_alert(
        alert_of(pack, type_), pack.alert_types[type_], pack, sender=SENDER, neighbours=neighbours
    )


# ------------------------------------------------------------------ named services
def test_a_wildfire_reaches_the_fire_brigade_and_conaf_at_their_numbers():
    # Given Peñalolén's pack, whose wildfire protocol names Bomberos (fire) and the CONAF service
    pack = penalolen()
    conaf = pack.dispatch.services["conaf"]
    assert conaf.emergency_number == "130"
    # When a wildfire is planned
    deliveries = plan(pack, "wildfire").deliveries
    # Then each Bomberos and CONAF number gets one SMS, CONAF's from the service step
    by_recipient = {d.recipient: d for d in deliveries if d.channel == "sms"}
    assert set(pack.dispatch.fire) <= set(by_recipient)
    assert set(conaf.numbers) <= set(by_recipient)
    assert all(by_recipient[n].target == "service" for n in conaf.numbers)
    assert all("INCENDIO FORESTAL" in by_recipient[n].body for n in conaf.numbers)
    assert all(by_recipient[n].locale == "es-CL" for n in conaf.numbers)
    assert len([d for d in deliveries if d.recipient in conaf.numbers]) == len(conaf.numbers)


def test_a_city_without_services_plans_as_before():
    pack = godoy_cruz_pack()
    assert dict(pack.dispatch.services) == {}
    assert dict(pack.dispatch.other_cads) == {}
    assert {d.target for d in plan(pack, "robbery").deliveries} >= {"provincial_police", "neighbours"}


# ------------------------------------------------------------------ another CAD
def test_drug_dealing_goes_to_the_pdis_cad_only_and_never_to_the_neighbours():
    # Given Peñalolén's drug_dealing type, routed to the PDI's CAD
    pack = penalolen()
    pdi = pack.dispatch.other_cads["pdi"]
    assert pack.alert_types["drug_dealing"].label("es-CL") == "Microtráfico"
    # When it is planned
    deliveries = plan(pack, "drug_dealing").deliveries
    # Then one CAP goes to the PDI's CAD (not Carabineros'), nothing to neighbours or sirens, and the
    # sender only gets her confirmation
    webhooks = [d for d in deliveries if d.channel == "webhook"]
    assert [d.recipient for d in webhooks] == ["cad:pdi"]
    assert {d.target for d in deliveries} == {"provincial_police", "sender_confirmation"}
    assert [d.recipient for d in deliveries if d.channel == "sms"] == [SENDER.phone]
    body = webhooks[0].body
    CAP_XSD.validate(body)
    root = cap.parse(body.encode())
    assert root.findtext("c:sender", namespaces=NS) == pdi.sender
    assert cap.rule_problems(root) == []
    # the reporter stays anonymous, even to the PDI: no name, no phone, no contact
    assert SENDER.full_name not in body
    assert SENDER.phone not in body
    assert root.find("c:info/c:contact", NS) is None
    assert "Microtráfico" in root.findtext("c:info/c:event", namespaces=NS)


def test_cancelling_drug_dealing_tells_the_pdis_cad_with_a_cap_cancel_of_its_own_sender():
    pack = penalolen()
    alert, drug = alert_of(pack, "drug_dealing"), pack.alert_types["drug_dealing"]
    original = cap.parse(
        next(d for d in plan(pack, "drug_dealing").deliveries if d.channel == "webhook").body.encode()
    )
    told = [Told("webhook", "provincial_police", "cad:pdi", "es-CL")]
    when = datetime(2026, 3, 14, 21, 8, 1, tzinfo=UTC)
    (cancel,) = protocol.plan_cancel(alert, drug, pack, told, cancelled_at=when).deliveries
    assert (cancel.channel, cancel.recipient) == ("webhook", "cad:pdi")
    CAP_XSD.validate(cancel.body)
    root = cap.parse(cancel.body.encode())
    assert root.findtext("c:msgType", namespaces=NS) == "Cancel"
    assert root.findtext("c:sender", namespaces=NS) == pack.dispatch.other_cads["pdi"].sender
    assert root.findtext("c:references", namespaces=NS) == ",".join(
        original.findtext(f"c:{t}", namespaces=NS) for t in ("sender", "identifier", "sent")
    )


def test_a_robberys_cancellation_still_goes_to_the_provincial_cad():
    pack = penalolen()
    alert, robbery = alert_of(pack, "robbery"), pack.alert_types["robbery"]
    told = [Told("webhook", "provincial_police", protocol.PROVINCIAL_CAD, "es-CL")]
    (cancel,) = protocol.plan_cancel(alert, robbery, pack, told, cancelled_at=datetime.now(UTC)).deliveries
    assert cancel.recipient == protocol.PROVINCIAL_CAD
    assert (
        cap.parse(cancel.body.encode()).findtext("c:sender", namespaces=NS)
        == pack.dispatch.provincial_cad.sender
    )


def test_a_recipient_names_its_cad_and_nothing_else():
    pack = penalolen()
    assert cad_for_recipient(pack, protocol.PROVINCIAL_CAD) == (None, pack.dispatch.provincial_cad)
    assert cad_for_recipient(pack, "cad:pdi") == ("pdi", pack.dispatch.other_cads["pdi"])
    for unknown in ("cad:conaf", "cad:", "pdi", "+56955501234", "cad:pdi/../x"):
        with pytest.raises(LookupError):
            cad_for_recipient(pack, unknown)
    with pytest.raises(LookupError):
        cad_for_recipient(godoy_cruz_pack(), "cad:pdi")


# ------------------------------------------------------------------ one key per CAD
def test_each_cad_has_its_own_key_and_the_provincial_one_keeps_the_plain_secret():
    assert signing.cad_key(SECRET, None) == SECRET
    pdi = signing.cad_key(SECRET, "pdi")
    assert pdi not in (SECRET, signing.cad_key(SECRET, "conaf"), signing.cad_key("another-secret", "pdi"))
    body, when = b"<alert/>", "2026-03-14T21:07:12Z"
    signed = signing.sign(pdi, body, when)
    assert signing.verify(pdi, body, when, signed)
    # one agency's key cannot sign for another, nor for the provincial CAD
    assert not signing.verify(SECRET, body, when, signed)
    assert not signing.verify(signing.cad_key(SECRET, "conaf"), body, when, signed)
    assert not signing.verify(pdi, body, when, signing.sign(SECRET, body, when))


def test_the_local_override_catches_every_cad_on_its_own_path(monkeypatch):
    monkeypatch.setattr(
        cad_adapter.settings, "get", lambda: type("S", (), {"provincial_cad_url": "http://127.0.0.1:9/cap"})()
    )
    assert cad_adapter.resolve_url("https://cenco.example/cap", None) == "http://127.0.0.1:9/cap"
    assert cad_adapter.resolve_url("https://pdi.example/cap", "pdi") == "http://127.0.0.1:9/cap/pdi"
    monkeypatch.setattr(cad_adapter.settings, "get", lambda: type("S", (), {"provincial_cad_url": None})())
    assert cad_adapter.resolve_url("https://pdi.example/cap", "pdi") == "https://pdi.example/cap"


def _signed(key: str, body: bytes) -> dict[str, str]:
    when = "2026-03-14T21:07:12Z"
    return {
        signing.TIMESTAMP_HEADER.lower(): when,
        signing.SIGNATURE_HEADER.lower(): signing.sign(key, body, when),
    }


def test_the_fake_cad_holds_each_path_to_its_own_cads_key():
    # Given the local fake CAD with the stack's secret, and a valid CAP for the PDI
    fake = FakeCad(secret=SECRET)
    body = next(
        d for d in plan(penalolen(), "drug_dealing").deliveries if d.channel == "webhook"
    ).body.encode()
    pdi_key = signing.cad_key(SECRET, "pdi")
    # When it is POSTed to the PDI's path with the PDI's key, it is taken and recorded with its CAD
    assert fake.handle_post("/cap/v1/alerts/pdi", _signed(pdi_key, body), body)[0] == 202
    assert (fake.received[-1]["path"], fake.received[-1]["cad"]) == ("/cap/v1/alerts/pdi", "pdi")
    # the provincial path still takes the plain secret
    assert fake.handle_post("/cap/v1/alerts", _signed(SECRET, body), body)[0] == 202
    assert fake.received[-1]["cad"] is None
    # But a body signed with the provincial secret on the PDI's path, or with the PDI's key on the provincial
    # path or on another agency's, is refused
    assert fake.handle_post("/cap/v1/alerts/pdi", _signed(SECRET, body), body)[0] == 401
    assert fake.handle_post("/cap/v1/alerts", _signed(pdi_key, body), body)[0] == 401
    assert fake.handle_post("/cap/v1/alerts/conaf", _signed(pdi_key, body), body)[0] == 401


def test_the_tasks_of_a_service_step_and_another_cad_satisfy_the_delivery_task_schema():
    import json

    from jsonschema import Draft202012Validator

    from vigia.dispatch import tasks

    validator = Draft202012Validator(json.loads((ROOT / "schemas/events/delivery-task.json").read_text()))
    pack = penalolen()
    deliveries = [*plan(pack, "wildfire").deliveries, *plan(pack, "drug_dealing").deliveries]
    assert {"service", "provincial_police"} <= {d.target for d in deliveries}
    for delivery in deliveries:
        message = tasks.to_message(delivery, city_id=pack.city_id)
        assert list(validator.iter_errors(message)) == [], delivery.key
        assert tasks.from_message(message) == delivery
    # a webhook task names a CAD, never anything else
    wrong = tasks.to_message(next(d for d in deliveries if d.channel == "webhook"), city_id=pack.city_id)
    assert list(validator.iter_errors({**wrong, "recipient": "https://evil.example/cap"}))


def test_an_escalated_drug_dealing_incident_stays_with_the_pdi_and_an_escalated_fire_goes_to_carabineros():
    from vigia.incidents import notices
    from vigia.incidents.lifecycle import Incident

    pack = penalolen()
    block = next(iter(pack.blocks.values()))

    def incident(type_: str) -> Incident:
        lat, lon = block.centroid
        return Incident(
            alert_id="01JALERT",
            type=type_,
            priority=2,
            silent=False,
            sender_id="r-1",
            created_at="2026-03-14T21:07:12.345Z",
            status="assigned",
            block_id=block.block_id,
            quadrant_id=block.quadrant_id,
            lat=lat,
            lon=lon,
        )

    # the PDI's CAD got the report at dispatch: an operator's escalation hands it to no other police
    assert notices.escalation_to_cad(incident("drug_dealing"), pack) is None
    # a type whose protocol reaches no CAD is handed to the provincial one, under its own sender
    escalated = notices.escalation_to_cad(incident("fire"), pack)
    assert escalated is not None
    assert escalated.recipient == protocol.PROVINCIAL_CAD
    assert cap.parse(escalated.body.encode()).findtext("c:sender", namespaces=NS) == (
        pack.dispatch.provincial_cad.sender
    )
