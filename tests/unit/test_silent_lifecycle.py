"""A silent alert's own lifecycle as data (vigia.silent.lifecycle): the response team alone runs it, every
other role gets 403 naming the rule whatever it asks, and the table decides the rest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigia.errors import Conflict, Forbidden, InvalidRequest
from vigia.incidents import lifecycle as public
from vigia.incidents.lifecycle import Actor, Incident
from vigia.silent import lifecycle
from vigia.silent.lifecycle import (
    ACKNOWLEDGE,
    CLOSE,
    CONTACT,
    OUTCOMES,
    REQUEST_POLICE,
    RULE,
    allowed_actions,
    apply,
    plan,
)

T0 = datetime(2026, 3, 8, 1, 40, tzinfo=UTC)
TEAM = Actor("rt-1", "response_team", roles=frozenset({"response_team"}))
OTHER_ROLES = ("operator", "admin", "police", "analyst", "citizen")
EVERY_ACTION = tuple(dict.fromkeys((*public.ACTIONS, *lifecycle.ACTIONS)))


def silent(status: str = "dispatched") -> Incident:
    return Incident(
        alert_id="A1",
        type="silent",
        priority=1,
        silent=True,
        sender_id="sealed#A1",
        created_at="2026-03-08T01:39:00.000Z",
        status=status,
        quadrant_id="Q-01",
    )


def extra(action: str) -> dict:
    if action == CLOSE:
        return {"outcome": "safe"}
    if action == REQUEST_POLICE:
        return {"reason": "she asked for it"}
    return {}


@pytest.mark.parametrize("role", OTHER_ROLES)
@pytest.mark.parametrize("action", EVERY_ACTION)
def test_no_other_role_may_take_any_action_on_a_silent_alert(role, action):
    with pytest.raises(Forbidden) as refused:
        plan(silent(), action, actor=Actor("x", role), now=T0, unit_id="GC-01", **extra(action))
    assert refused.value.extra["rule"] == RULE
    assert refused.value.extra["allowed_actions"] == []


def test_the_team_acknowledges_contacts_requests_police_and_closes():
    incident = silent()
    for action, status in (
        (ACKNOWLEDGE, "acknowledged"),
        (CONTACT, "in_contact"),
        (REQUEST_POLICE, "in_contact"),
    ):
        step = plan(incident, action, actor=TEAM, now=T0, **extra(action))
        incident = apply(incident, step)
        assert incident.status == status
    assert "police_requested" in incident.stamps
    step = plan(incident, CLOSE, actor=TEAM, now=T0 + timedelta(minutes=9), outcome="referred")
    assert step.sets["queue_status"] == "closed"
    closed = apply(incident, step)
    assert (closed.status, closed.outcome) == ("closed", "referred")
    assert not closed.is_open
    assert allowed_actions("closed") == ()


def test_request_police_keeps_the_status_and_needs_a_reason():
    with pytest.raises(InvalidRequest) as missing:
        plan(silent("acknowledged"), REQUEST_POLICE, actor=TEAM, now=T0, reason="  ")
    assert missing.value.errors[0].path == "/X-Reason"
    step = plan(silent("acknowledged"), REQUEST_POLICE, actor=TEAM, now=T0, reason="r", unit_id="GC-02")
    assert step.to_status == "acknowledged"
    assert step.accept_from == {"acknowledged"}  # it must find the status it keeps
    assert step.expect_unit_id is None
    assert "unit_id" not in step.sets
    assert step.entry["unit_id"] == "GC-02"


def test_close_needs_one_of_the_outcomes():
    for outcome in (None, "resolved", "SAFE"):
        with pytest.raises(InvalidRequest) as refused:
            plan(silent(), CLOSE, actor=TEAM, now=T0, outcome=outcome)
        assert refused.value.errors[0].path == "/outcome"
    for outcome in OUTCOMES:
        assert plan(silent(), CLOSE, actor=TEAM, now=T0, outcome=outcome).sets["outcome"] == outcome


def test_a_public_action_is_409_for_the_team_listing_the_allowed_ones():
    """409, not 400: `cancel` is an action of the API's (the document lists it); a silent alert has no
    such step, and the answer says which it has now."""
    with pytest.raises(Conflict) as public:
        plan(silent(), "cancel", actor=TEAM, now=T0)
    assert public.value.extra["allowed_actions"] == ["acknowledge", "contact", "request_police", "close"]
    with pytest.raises(Conflict) as late:
        plan(silent("in_contact"), ACKNOWLEDGE, actor=TEAM, now=T0)
    assert late.value.extra["allowed_actions"] == ["request_police", "close"]


ROLES = (*OTHER_ROLES, "response_team")


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ROLES), st.sampled_from(EVERY_ACTION), st.sampled_from((None, "GC-01"))),
        max_size=12,
    )
)
def test_whatever_anyone_tries_only_the_team_moves_a_silent_alert_and_only_along_the_table(steps):
    incident = silent("received")
    for role, action, unit_id in steps:
        actor = Actor("x", role, roles=frozenset({role}))
        kwargs = extra(action) | ({"unit_id": unit_id} if action == REQUEST_POLICE else {})
        try:
            step = plan(incident, action, actor=actor, now=T0, **kwargs)
        except Forbidden:
            assert role != "response_team"
            continue
        except (InvalidRequest, Conflict):
            assert role == "response_team"
            continue
        assert role == "response_team"
        assert action in lifecycle.TRANSITIONS
        assert incident.status in lifecycle.TRANSITIONS[action].sources
        assert step.unit_moves == ()
        assert step.expect_unit_id is None
        incident = apply(incident, step)
        assert incident.status in lifecycle.STATUSES
        assert incident.unit_id is None
    assert (incident.status == "closed") == (not incident.is_open)


def test_no_caller_can_cancel_a_silent_alert_into_the_public_dispatcher():
    """The attacker claims the sealed sender id itself: still 404, and no AlertCancelled is announced."""
    import math

    from vigia.alerts.submission import Alert
    from vigia.dispatch.cancellation import cancel
    from vigia.errors import NotFound

    alert = Alert(
        "A1", "silent", True, 1, "sealed#A1", math.nan, math.nan, None, None, None, "Q-01", None,
        "dispatched", "2026-03-08T01:39:00.000Z", "2026-03-07", sealed="{}",
    )  # fmt: skip
    announced: list[str] = []

    class Store:
        def get(self, alert_id):
            return alert

        def cancel(self, alert_id, *, at, by, allowed):
            pytest.fail("a silent alert must never be cancelled by a sender")

        def announce(self, alert_id, at):
            announced.append(alert_id)

    for who in ("sealed#A1", "someone"):
        with pytest.raises(NotFound):
            cancel(
                "A1", sender_id=who, window_s=120, helpline="+54", alerts=Store(), canceller=Store(),
                notice=Store(), now=T0,
            )  # fmt: skip
    assert announced == []


def test_the_police_request_event_carries_no_personal_data_and_matches_its_schema():
    from vigia.api.validation import validate
    from vigia.silent.lifecycle import PoliceRequest
    from vigia.silent.routing import police_requested

    event = police_requested(
        "A1", PoliceRequest(True, "GC-01", "riesgo"), at="2026-03-08T01:40:00.000Z", city_id="gc"
    )
    validate("events/silent-police-requested.json", event)
    assert "riesgo" not in str(event)  # the reason stays in the audit trail
    assert set(event) == {
        "event_type", "event_version", "event_id", "city_id", "alert_id", "requested_at",
        "share_contact", "unit_id",
    }  # fmt: skip


# ------------------------------------------------------------------ the service, on in-memory stores
def _service_world(status="received", fail=False):
    from tests.unit.test_incidents_service import FakeNotifier, FakeStore

    class Notifier(FakeNotifier):
        def __init__(self) -> None:
            super().__init__(fail=fail)
            self.police: list[tuple] = []

        def request_police(self, alert_id, request, *, at):
            if self.fail:
                raise ConnectionError("SQS is down")
            self.police.append((alert_id, request.share_contact, request.unit_id))

    return FakeStore(silent(status)), Notifier()


def take(store, notifier, action, actor=TEAM, **kw):
    from tests.unit.test_incidents_service import PACK
    from vigia.incidents import service

    return service.take_action(
        "A1", action, actor=actor, unit_id=kw.pop("unit_id", None), note=None, pack=PACK, store=store,
        notifier=notifier, now=T0, **kw,
    )  # fmt: skip


def test_an_operator_cancel_changes_nothing_and_tells_no_dispatcher():
    store, notifier = _service_world("dispatched")
    for action in ("cancel", "false_alarm", "escalate", "resolve"):
        with pytest.raises(Forbidden):
            take(store, notifier, action, actor=Actor("op", "operator", roles=frozenset({"operator"})))
    assert store.written == []
    assert (notifier.cancelled, notifier.sent, notifier.police) == ([], [], [])


def test_of_two_team_members_closing_at_once_the_second_gets_409_with_nothing_allowed():
    store, notifier = _service_world("in_contact")
    store.before_write = lambda: store.incidents.update(A1=replace(store.incidents["A1"], status="closed"))
    with pytest.raises(Conflict) as late:
        take(store, notifier, "close", outcome="safe")
    assert late.value.extra["allowed_actions"] == []
    assert store.written == []


def test_the_router_moving_it_on_meanwhile_does_not_fail_the_team():
    store, notifier = _service_world("received")
    store.before_write = lambda: store.incidents.update(
        A1=replace(store.incidents["A1"], status="dispatched")
    )
    assert take(store, notifier, "acknowledge").incident.status == "acknowledged"


def test_request_police_goes_to_the_silent_router_and_a_queue_failure_is_said_not_lost():
    store, notifier = _service_world("acknowledged")
    outcome = take(store, notifier, "request_police", unit_id="GC-02", share_contact=True, reason="riesgo")
    assert notifier.police == [("A1", True, "GC-02")]
    assert (notifier.sent, notifier.cancelled) == ([], [])  # no delivery queued here, no dispatcher
    assert store.written == [("request_police", ["request_police"], [])]
    assert outcome.answer()["status"] == "acknowledged"
    store, notifier = _service_world("acknowledged", fail=True)
    failed = take(store, notifier, "request_police", reason="riesgo")
    assert store.written == [("request_police", ["request_police"], [])]  # stored and audited all the same
    assert "call the police" in failed.answer()["notify_error"]
