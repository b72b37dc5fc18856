"""False-alarm strikes, reviews of residents, the SMS they send, and the queue's filters."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import godoy_cruz_pack
from vigia import clock
from vigia.city import FalseAlarmPolicy
from vigia.dispatch.sms_text import measure
from vigia.errors import Conflict, InvalidRequest, NotFound
from vigia.incidents import notices, service, standing
from vigia.incidents.lifecycle import Incident
from vigia.incidents.standing import Standing

ROOT = Path(__file__).resolve().parents[2]
PACK = godoy_cruz_pack()
POLICY = FalseAlarmPolicy(strikes=3, window_days=90)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def days(n):
    return clock.iso(T0 + timedelta(days=n))


def test_the_third_false_alarm_in_90_days_suspends_an_approved_resident():
    resident = Standing("r-1", "approved", strikes=(days(0), days(30)))
    outcome = standing.add_strike(resident, at=days(60), policy=POLICY)
    assert outcome.suspend
    assert outcome.counted == 3
    # the reason is stored, shown to staff and sent by SMS: in the city's words, from its pack
    assert outcome.reason(PACK.settings.false_alarm_policy) == "3 falsas alarmas en 90 dias (automatica)"


def test_strikes_older_than_the_window_or_forgiven_by_a_reinstatement_do_not_count():
    old = Standing("r-1", "approved", strikes=(days(0), days(30)))
    assert not standing.add_strike(old, at=days(95), policy=POLICY).suspend  # the first is 95 days old
    forgiven = Standing("r-1", "approved", strikes=(days(0), days(1)), strikes_reset_at=days(2))
    outcome = standing.add_strike(forgiven, at=days(3), policy=POLICY)
    assert (outcome.counted, outcome.suspend) == (1, False)
    assert len(outcome.strikes) == 3  # the record keeps them all


def test_a_resident_already_suspended_is_not_suspended_again():
    resident = Standing("r-1", "suspended", strikes=(days(0), days(1), days(2)))
    assert not standing.add_strike(resident, at=days(3), policy=POLICY).suspend


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_suspension_happens_exactly_when_the_window_holds_enough_strikes(offsets):
    at_days = sorted(offsets)
    resident = Standing("r-1", "approved")
    suspended_at = None
    for i, d in enumerate(at_days):
        outcome = standing.add_strike(resident, at=days(d), policy=POLICY)
        in_window = [x for x in at_days[: i + 1] if d - 90 < x <= d]
        expected = len(in_window) >= 3
        assert outcome.suspend == (expected and suspended_at is None)
        if outcome.suspend:
            suspended_at = d
        resident = Standing(
            "r-1", "suspended" if suspended_at is not None else "approved", strikes=outcome.strikes
        )


@pytest.mark.parametrize(
    ("action", "status", "ok"),
    [
        ("reject", "pending", "rejected"),
        ("suspend", "approved", "suspended"),
        ("reinstate", "suspended", "approved"),
    ],
)
def test_reviews_move_a_resident_only_from_the_status_they_expect(action, status, ok):
    assert standing.review(Standing("r", status), action, "r") == (status, ok)
    others = [s for s in standing.RESIDENT_STATUSES if s != status]
    for other in others:
        with pytest.raises(Conflict):
            standing.review(Standing("r", other), action, "r")
    with pytest.raises(NotFound):
        standing.review(None, action, "r")


def incident(**kw):
    block = next(iter(PACK.blocks.values()))
    base = {
        "alert_id": "01JALERT",
        "type": "robbery",
        "priority": 2,
        "silent": False,
        "sender_id": "r-1",
        "created_at": clock.iso(T0),
        "status": "assigned",
        "block_id": block.block_id,
        "quadrant_id": block.quadrant_id,
        "lat": block.centroid[0],
        "lon": block.centroid[1],
    }
    return Incident(**{**base, **kw})


def test_the_assigned_unit_is_texted_type_place_and_where_to_go_in_one_sms():
    sms = notices.unit_assignment(incident(), "GC-01", PACK)
    assert sms is not None
    assert sms.recipient == PACK.units["GC-01"].phone
    assert sms.target == notices.ASSIGNED_UNIT
    block = next(iter(PACK.blocks.values()))
    assert block.name in sms.body
    assert PACK.alert_types["robbery"].label(PACK.locale) in sms.body
    assert f"{block.centroid[0]:.5f}" in sms.body
    assert measure(sms.body).parts == 1


def test_a_silent_alert_never_texts_a_unit():
    assert (
        notices.unit_assignment(incident(silent=True, type="silent", lat=None, lon=None), "GC-01", PACK)
        is None
    )


@pytest.mark.parametrize("status", ["suspended", "approved", "rejected"])
@pytest.mark.parametrize("locale", ["es-AR", "en", None])
def test_standing_notices_name_the_helpline_in_one_sms(status, locale):
    sms = notices.standing_notice(
        about="resident-r1",
        user_id="r1",
        phone="+5492615550000",
        locale=locale,
        status=status,
        reason="uso indebido reiterado del botón de pánico, según el registro del observatorio",
        pack=PACK,
    )
    assert sms is not None
    assert PACK.settings.helpline in sms.body
    assert sms.kind == notices.NOTICE
    assert measure(sms.body).parts == 1
    assert ("uso indebido" in sms.body) == (status != "approved")  # the reinstatement notice gives none


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"status": "lost"}, "/status"),
        ({"status": "received,resolved"}, "/status"),
        ({"type_": "alien_landing"}, "/type"),
        ({"zone": "Q-99"}, "/zone"),
        ({"since": "yesterday"}, "/since"),
    ],
)
def test_queue_filters_are_checked_against_the_lifecycle_and_the_city_pack(params, path):
    args = {"status": None, "type_": None, "since": None, "zone": None, **params}
    with pytest.raises(InvalidRequest) as caught:
        service.queue_filter(pack=PACK, **args)
    assert caught.value.errors[0].path == path


def test_closed_statuses_read_the_closed_queue():
    f = service.queue_filter(status="resolved,false_alarm", type_=None, since=None, zone="Q-01", pack=PACK)
    assert f.closed
    assert f.zones == {"Q-01"}
    assert not service.queue_filter(status=None, type_=None, since=None, zone=None, pack=PACK).closed


def test_a_silent_alert_in_the_queue_shows_its_zone_not_its_place():
    row = service.queue_item(incident(silent=True), now=T0 + timedelta(minutes=3))
    assert "location" not in row
    assert row["age_s"] == 180
    assert "location" in service.queue_item(incident(), now=T0)


def test_the_sms_tasks_incidents_queue_satisfy_the_delivery_task_schema():
    import json

    from jsonschema import Draft202012Validator

    from vigia.dispatch import tasks

    schema = json.loads((ROOT / "schemas/events/delivery-task.json").read_text())
    validator = Draft202012Validator(schema)
    unit = notices.unit_assignment(incident(), "GC-01", PACK)
    notice = notices.standing_notice(
        about="resident-r1",
        user_id="r1",
        phone="+5492615550000",
        locale="es-AR",
        status="suspended",
        reason="abuso",
        pack=PACK,
    )
    for delivery in (unit, notice):
        assert delivery is not None
        errors = [e.message for e in validator.iter_errors(tasks.to_message(delivery, city_id="godoy-cruz"))]
        assert errors == []


def test_escalating_hands_the_cad_a_valid_restricted_cap_alert_unless_the_protocol_already_did():
    import xmlschema

    suspicious = notices.escalation_to_cad(incident(type="suspicious_activity", priority=3), PACK)
    assert suspicious is not None
    assert (suspicious.channel, suspicious.target, suspicious.recipient) == (
        "webhook",
        "provincial_police",
        "provincial_cad",
    )
    xsd = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))
    xsd.validate(suspicious.body)
    assert "<scope>Restricted</scope>" in suspicious.body
    assert "r-1" not in suspicious.body  # the sender is not disclosed
    # robbery's protocol already sent the CAD this alert; a silent alert is the response team's
    assert notices.escalation_to_cad(incident(type="robbery"), PACK) is None
    assert notices.escalation_to_cad(incident(type="silent", silent=True, lat=None, lon=None), PACK) is None
