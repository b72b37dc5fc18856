"""EDXL-DE 2.0 envelopes around CAP 1.2: what the home sends, what the host answers, what crosses and not."""

from __future__ import annotations

import inspect
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.dispatch.cap import CAP_NS
from vigia.federation import messages
from vigia.federation.messages import (
    EDXL_NS,
    MAX_MESSAGE_BYTES,
    ROAMING_FIELDS,
    UPDATE_STATUSES,
    Envelope,
    MessageInvalid,
    ack,
    cancel,
    read_message,
    roaming_alert,
    update,
)

ROOT = Path(__file__).resolve().parents[2]
CAP_XSD = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))
NOW = datetime(2026, 3, 14, 22, 5, 9, tzinfo=UTC)


def envelope(distribution_id: str = "godoy-cruz-a1b2-report", **changes: object) -> Envelope:
    fields: dict[str, object] = {
        "distribution_id": distribution_id,
        "sender": "godoy-cruz",
        "recipient": "penalolen",
        "sent": NOW,
        "expires": NOW + timedelta(minutes=10),
    }
    fields.update(changes)
    return Envelope(**fields)  # type: ignore[arg-type]


def a_report(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "alert_id": "a1b2",
        "alert_type": "robbery",
        "type_label": "Robo",
        "lat": -33.4712,
        "lon": -70.5601,
        "accuracy_m": 12.0,
        "raised_at": NOW - timedelta(seconds=3),
        "callback_phone": "+5492615550101",
        "caller_name": "Ana",
    }
    fields.update(changes)
    return roaming_alert(envelope(), **fields)  # type: ignore[arg-type]


def embedded_cap(body: bytes) -> ET.Element:
    root = ET.fromstring(body)  # noqa: S314 - our own builder's output
    (alert,) = root.iterfind(f".//{{{EDXL_NS}}}embeddedXMLContent/{{{CAP_NS}}}alert")
    return alert


def test_a_roaming_alert_reads_back_as_sent_and_its_cap_is_valid_cap_1_2() -> None:
    body = a_report()
    message = read_message(body)
    assert (message.kind, message.distribution_id, message.sender_id, message.recipient_id) == (
        "Report",
        "godoy-cruz-a1b2-report",
        "godoy-cruz",
        "penalolen",
    )
    assert (message.sent, message.expires, message.status) == (NOW, NOW + timedelta(minutes=10), "Actual")
    alert = message.alert
    assert alert is not None
    assert (alert.alert_id, alert.alert_type, alert.type_label) == ("a1b2", "robbery", "Robo")
    assert (alert.lat, alert.lon, alert.accuracy_m) == (-33.4712, -70.5601, 12.0)
    assert alert.raised_at == NOW - timedelta(seconds=3)
    assert (alert.callback_phone, alert.caller_name, alert.home_city) == (
        "+5492615550101",
        "Ana",
        "godoy-cruz",
    )
    cap = embedded_cap(body)
    CAP_XSD.validate(ET.tostring(cap))
    assert cap.findtext(f"{{{CAP_NS}}}scope") == "Restricted"
    assert "godoy-cruz" in (cap.findtext(f"{{{CAP_NS}}}restriction") or "")
    assert message.reference == f"godoy-cruz,godoy-cruz-a1b2-report,{cap.findtext(f'{{{CAP_NS}}}sent')}"


def test_the_builder_takes_nothing_but_what_the_host_needs() -> None:
    parameters = set(inspect.signature(roaming_alert).parameters) - {"envelope"}
    assert parameters == set(ROAMING_FIELDS)
    assert not any(
        p.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        for p in inspect.signature(roaming_alert).parameters.values()
    )
    for extra in ("national_id", "address", "history", "last_name", "email"):
        with pytest.raises(TypeError):
            a_report(**{extra: "something"})


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40),
    label=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60),
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-179.9, 179.9),
    accuracy=st.floats(0, 5000),
)
def test_only_the_allowed_fields_cross_for_any_resident(
    name: str, label: str, lat: float, lon: float, accuracy: float
) -> None:
    name, label = name.strip() or "Ana", label.strip() or "Robo"
    body = a_report(caller_name=name, type_label=label, lat=lat, lon=lon, accuracy_m=accuracy)
    cap = embedded_cap(body)
    CAP_XSD.validate(ET.tostring(cap))
    names = {p.findtext(f"{{{CAP_NS}}}valueName") for p in cap.iter(f"{{{CAP_NS}}}parameter")}
    assert names == {f"vigia:{f}" for f in messages.CAP_PARAMETERS}
    alert = read_message(body).alert
    assert alert is not None
    assert (alert.caller_name, alert.type_label) == (name, label)
    assert (round(alert.lat, 6), round(alert.lon, 6)) == (round(lat, 6), round(lon, 6))


def test_a_message_carrying_a_field_the_agreement_does_not_allow_is_refused() -> None:
    body = a_report().replace(
        b"<valueName>vigia:caller_name</valueName>",
        b"<valueName>vigia:national_id</valueName><value>30111222</value></parameter>"
        b"<parameter><valueName>vigia:caller_name</valueName>",
    )
    with pytest.raises(MessageInvalid, match="national_id"):
        read_message(body)


def test_ack_update_and_cancel_reference_the_report() -> None:
    report = read_message(a_report())
    reply = envelope("penalolen-a1b2-ack", sender="penalolen", recipient="godoy-cruz")
    acked = read_message(ack(reply, references=report.reference))
    assert (acked.kind, acked.in_reply_to, acked.alert) == ("Ack", "godoy-cruz-a1b2-report", None)
    for status in UPDATE_STATUSES:
        updated = read_message(
            update(
                envelope(f"penalolen-a1b2-{status}", sender="penalolen", recipient="godoy-cruz"),
                references=report.reference,
                status=status,
            )
        )
        assert (updated.kind, updated.incident_status, updated.in_reply_to) == (
            "Update",
            status,
            "godoy-cruz-a1b2-report",
        )
    withdrawn = read_message(cancel(envelope("godoy-cruz-a1b2-cancel"), references=report.reference))
    assert (withdrawn.kind, withdrawn.in_reply_to) == ("Cancel", "godoy-cruz-a1b2-report")
    for body in (
        ack(reply, references=report.reference),
        update(reply, references=report.reference, status="on_scene"),
        cancel(envelope("x"), references=report.reference),
    ):
        CAP_XSD.validate(ET.tostring(embedded_cap(body)))


def test_an_update_with_a_status_outside_the_lifecycle_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="received"):
        update(envelope(), references="a,b,c", status="received")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"lat": 91.0}, "lat"),
        ({"callback_phone": "261 555 0101"}, "callback_phone"),
        ({"caller_name": ""}, "caller_name"),
        ({"caller_name": "A" * 41}, "caller_name"),
        ({"alert_type": "Robbery!"}, "alert_type"),
        ({"accuracy_m": -1.0}, "accuracy_m"),
    ],
)
def test_the_builder_refuses_what_the_host_could_not_act_on(change: dict[str, object], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        a_report(**change)


def test_an_envelope_that_expires_before_it_is_sent_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="expires"):
        envelope(expires=NOW)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"not xml at all", "XML"),
        (b'<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>', "EDXL"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b'<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:2.0">&a;</EDXLDistribution>',
            "DTD",
        ),
        ("<?xml version='1.0' encoding='utf-16'?><a/>".encode("utf-16"), "UTF-8"),
    ],
)
def test_what_is_not_our_envelope_is_refused(body: bytes, expected: str) -> None:
    with pytest.raises(MessageInvalid, match=expected):
        read_message(body)


def test_an_envelope_without_cap_or_with_broken_cap_is_refused() -> None:
    body = a_report()
    start = body.index(b"<alert")
    end = body.index(b"</alert>") + len(b"</alert>")
    with pytest.raises(MessageInvalid, match="CAP"):
        read_message(body[:start] + b"<other xmlns='urn:x'/>" + body[end:])
    with pytest.raises(MessageInvalid, match="scope"):
        read_message(body.replace(b"<scope>Restricted</scope>", b"<scope>Public</scope>"))
    with pytest.raises(MessageInvalid, match=r"msgType|references"):
        read_message(body.replace(b"<msgType>Alert</msgType>", b"<msgType>Update</msgType>"))


def test_an_oversized_message_is_refused_before_parsing() -> None:
    with pytest.raises(MessageInvalid, match="bytes"):
        read_message(b"<" * (MAX_MESSAGE_BYTES + 1))


def test_deep_nesting_is_refused_not_a_crash() -> None:
    nested = b"<a>" * 5000 + b"</a>" * 5000
    body = a_report().replace(b"<area>", b"<area>" + nested, 1)
    assert len(body) < MAX_MESSAGE_BYTES
    with pytest.raises(MessageInvalid, match="deep"):
        read_message(body)


def test_the_cap_area_must_be_the_envelopes_place() -> None:
    body = a_report().replace(b"<circle>-33.471200,-70.560100", b"<circle>-32.900000,-68.850000")
    with pytest.raises(MessageInvalid, match="area"):
        read_message(body)


def test_a_message_living_longer_than_a_day_is_neither_built_nor_read() -> None:
    with pytest.raises(ValueError, match="expires"):
        envelope(expires=NOW + timedelta(days=1, seconds=1))
    body = a_report().replace(
        b"<dateTimeExpires>2026-03-14T22:15:09", b"<dateTimeExpires>2026-03-16T22:15:09"
    )
    with pytest.raises(MessageInvalid, match="dateTimeExpires"):
        read_message(body)


def test_an_ack_or_update_answers_the_other_citys_message_and_a_cancel_its_own() -> None:
    own = "penalolen,penalolen-x-report,2026-03-14T22:00:00-00:00"
    reply = envelope("penalolen-a1b2-ack", sender="penalolen", recipient="godoy-cruz")
    with pytest.raises(MessageInvalid, match="references"):
        read_message(ack(reply, references=own))
    with pytest.raises(MessageInvalid, match="references"):
        read_message(update(reply, references=own, status="resolved"))
    theirs = "penalolen,penalolen-x-report,2026-03-14T22:00:00-00:00"
    with pytest.raises(MessageInvalid, match="references"):
        read_message(cancel(envelope("godoy-cruz-a1b2-cancel"), references=theirs))
