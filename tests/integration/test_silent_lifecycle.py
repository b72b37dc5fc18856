"""A silent alert belongs to the response team, from the tap to its close (issue 10, rule 1), on the emulator:
nobody else may act on it, the team runs its own lifecycle, `request_police` is the one deliberate
unsealing, and nothing of it ever reaches the public dispatcher."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.silent_support import Pumps, outbox, register_victim, silent_body
from tests.support import FakeContext
from vigia import clock, runtime

RULE = "silent-alert-belongs-to-response-team"
TEAM = {"X-Reason": "llamada de seguimiento"}


@pytest.fixture
def outbox_path(stack, tmp_path, monkeypatch):
    path = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("VIGIA_OUTBOX_PATH", str(path))
    runtime.reset()
    return path


@pytest.fixture
def victim(api, staff_claims):
    return register_victim(api, staff_claims)


def new_silent(api: Any, stack: Any, victim: Any, *, route: bool = True) -> str:
    answer = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims)
    assert answer.status == 202, answer.body
    if route:
        Pumps(stack, skip=frozenset({"WebhookQueue"})).run()
    return str(answer.json["alert_id"])


def act(api: Any, alert_id: str, claims: Any, action: str, headers: Any = None, **extra: Any) -> Any:
    return api(
        "POST", f"/v1/alerts/{alert_id}/actions", {"action": action, **extra}, claims=claims, headers=headers
    )


def team(staff_claims: Any) -> dict[str, str]:
    return staff_claims("response_team")


def listed(api: Any, staff_claims: Any) -> list[str]:
    answer = api("GET", "/v1/silent-alerts", claims=team(staff_claims))
    assert answer.status == 200, answer.body
    return [item["alert_id"] for item in answer.json["items"]]


# ------------------------------------------------------------------ nobody else may act on it
OTHERS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("operator", "acknowledge", {}),
    ("operator", "cancel", {}),
    ("operator", "false_alarm", {}),
    ("operator", "assign", {"unit_id": "GC-01"}),
    ("operator", "escalate", {}),
    ("operator", "resolve", {}),
    ("admin", "cancel", {}),
    ("admin", "close", {"outcome": "safe"}),
    ("police", "resolve", {}),
    ("police", "en_route", {}),
    ("police", "request_police", {}),
    ("operator", "request_police", {}),
)


def test_no_role_but_the_response_team_may_take_any_action_on_a_silent_alert(
    api, stack, victim, staff_claims
):
    # Given a silent alert routed to the response team
    alert_id = new_silent(api, stack, victim)
    before = stack.alert_item(alert_id)
    for role, action, extra in OTHERS:
        # When someone else tries any action on it
        answer = act(api, alert_id, staff_claims(role), action, headers=TEAM, **extra)
        # Then they get 403 naming the rule, and nothing changes
        assert answer.status == 403, (role, action, answer.body)
        assert answer.json["rule"] == RULE, answer.body
        assert "response team" in answer.json["detail"]
    after = stack.alert_item(alert_id)
    assert (after["status"], after.get("timeline"), after["queue_status"]) == (
        before["status"],
        before.get("timeline"),
        before["queue_status"],
    )
    assert listed(api, staff_claims) == [alert_id]
    assert stack.queue_messages("DispatchQueue") == []


def test_the_operators_queue_offers_no_action_on_a_silent_alert(api, stack, victim, citizen, staff_claims):
    silent_id = new_silent(api, stack, victim)
    robbery = {"type": "robbery", "location": silent_body(victim)["location"]}
    public_id = api("POST", "/v1/alerts", robbery, claims=citizen.claims).json["alert_id"]
    queue = api("GET", "/v1/alerts", claims=staff_claims("operator"))
    assert queue.status == 200
    rows = {row["alert_id"]: row for row in queue.json["items"]}
    assert rows[silent_id]["actions"] == []
    assert rows[silent_id]["handled_by"] == "response_team"
    assert "acknowledge" in rows[public_id]["actions"]


# ------------------------------------------------------------------ the team's lifecycle, end to end
def test_the_response_team_acknowledges_contacts_requests_police_and_closes(
    api, stack, victim, staff_claims, outbox_path
):
    alert_id = new_silent(api, stack, victim)
    texted_before = len(outbox(outbox_path))
    rt = team(staff_claims)
    # acknowledge → acknowledged
    acked = act(api, alert_id, rt, "acknowledge")
    assert acked.status == 200, acked.body
    assert acked.json["status"] == "acknowledged"
    # a step the status does not allow: 409 listing the allowed actions
    again = act(api, alert_id, rt, "acknowledge")
    assert again.status == 409
    assert again.json["allowed_actions"] == ["contact", "request_police", "close"]
    # contact → in_contact
    assert act(api, alert_id, rt, "contact").json["status"] == "in_contact"
    # request_police without a reason: 400 naming the header, nothing sent
    refused = act(api, alert_id, rt, "request_police")
    assert refused.status == 400
    assert refused.json["errors"][0]["path"] == "/X-Reason"
    # request_police with a reason and a car: the status is kept, police get the place
    asked = act(api, alert_id, rt, "request_police", headers=TEAM, unit_id="GC-03")
    assert asked.status == 200, asked.body
    assert asked.json["status"] == "in_contact"
    Pumps(stack, skip=frozenset({"WebhookQueue"})).run()
    # The CAP message: CAP 1.2, scope Private, addressed to the pack's gender-violence unit, the exact place,
    # and not her identity (share_contact was not ticked)
    [cap_task] = [json.loads(m["Body"]) for m in stack.queue_messages("WebhookQueue")]
    cap = cap_task["body"]
    assert "urn:oasis:names:tc:emergency:cap:1.2" in cap
    assert "<scope>Private</scope>" in cap
    for address in stack.pack.dispatch.provincial_cad.gender_violence_addresses:
        assert address in cap
    assert f"{victim.lat:.5f}" in cap
    for secret in ("Rosalía", "27345918", "4938271", "rosalia.quiroga", "Retamas"):
        assert secret not in cap
    # The car's SMS: the place, never her
    unit_sms = [
        line
        for line in outbox(outbox_path)[texted_before:]
        if line["recipient"] == stack.pack.units["GC-03"].phone
    ]
    assert len(unit_sms) == 1
    assert f"{victim.lat:.5f}" in unit_sms[0]["body"]
    assert "4938271" not in unit_sms[0]["body"]
    # It is still the team's, still listed; a car is never an assignment
    item = stack.alert_item(alert_id)
    assert not item.get("unit_id")
    assert listed(api, staff_claims) == [alert_id]
    # close needs an outcome
    bare = act(api, alert_id, rt, "close")
    assert bare.status == 400
    assert bare.json["errors"][0]["path"] == "/outcome"
    closed = act(api, alert_id, rt, "close", outcome="referred")
    assert closed.status == 200, closed.body
    assert (closed.json["status"], closed.json["outcome"]) == ("closed", "referred")
    assert listed(api, staff_claims) == []
    # After the close nothing more is allowed, and the public dispatcher never heard of it
    late = act(api, alert_id, rt, "contact")
    assert late.status == 409
    assert late.json["allowed_actions"] == []
    assert stack.queue_messages("DispatchQueue") == []
    # Each step is audited, request_police with its reason
    trail = api("GET", "/v1/audit", query={"alert_id": alert_id}, claims=staff_claims("admin")).json["items"]
    steps = [(e["action"], e["actor_role"]) for e in trail if e["actor_role"] == "response_team"]
    assert steps == [
        ("acknowledge", "response_team"),
        ("contact", "response_team"),
        ("request_police", "response_team"),
        ("close", "response_team"),
    ]
    assert [e["reason"] for e in trail if e["action"] == "request_police"] == [TEAM["X-Reason"]]


@pytest.mark.cities
def test_request_police_shares_her_contact_only_when_the_team_ticks_it(api, stack, victim, staff_claims):
    alert_id = new_silent(api, stack, victim)
    asked = act(api, alert_id, team(staff_claims), "request_police", headers=TEAM, share_contact=True)
    assert asked.status == 200, asked.body
    Pumps(stack, skip=frozenset({"WebhookQueue"})).run()
    [cap_task] = [json.loads(m["Body"]) for m in stack.queue_messages("WebhookQueue")]
    assert "<scope>Private</scope>" in cap_task["body"]
    assert "Rosalía Quiroga Benavídez" in cap_task["body"]
    assert victim.details["phone"] in cap_task["body"]
    # and no car was picked: no community-police SMS
    assert not [m for m in stack.queue_messages("SmsQueue") if "assigned_unit" in m["Body"]]


# Godoy Cruz only: Peñalolén's run is its city journey (tests/e2e/test_city_journeys.py)
def test_an_unacknowledged_silent_alert_is_sent_to_the_team_again_once(
    api, stack, victim, staff_claims, outbox_path
):
    from vigia.handlers.silent_ack_watch import lambda_handler

    alert_id = new_silent(api, stack, victim)
    acked_id = new_silent(api, stack, victim)
    assert act(api, acked_id, team(staff_claims), "acknowledge").status == 200
    first = len(outbox(outbox_path))
    target = stack.pack.settings.silent_ack_target_s
    # Before the target nothing is re-sent
    lambda_handler({}, FakeContext())
    Pumps(stack).queues()
    assert len(outbox(outbox_path)) == first
    # After it, the team is texted again about the unacknowledged one only, and once
    later = clock.now() + timedelta(seconds=target + 5)
    for _ in range(2):
        lambda_handler({"time": clock.iso(later)}, FakeContext())
        Pumps(stack).queues()
    again = outbox(outbox_path)[first:]
    assert {line["recipient"] for line in again} == set(stack.pack.dispatch.response_team)
    assert len(again) == len(stack.pack.dispatch.response_team)
    assert all(alert_id in line["body"] and acked_id not in line["body"] for line in again)
    assert stack.queue_messages("DispatchQueue") == []


def test_a_reminder_whose_enqueue_failed_is_enqueued_by_the_next_run(
    api, stack, victim, staff_claims, outbox_path
):
    # Found by `make chaos`: the run stamps ack_reminded_at and records the reminder in one transaction, then
    # enqueues it; when that enqueue failed, every later run skipped the stamped alert and the response team
    # was never texted again. Now a later run enqueues the reminder's deliveries still queued (the ledger
    # sends each once).
    from tests.integration.dispatch_harness import failing_calls
    from vigia.handlers.silent_ack_watch import lambda_handler

    alert_id = new_silent(api, stack, victim)
    Pumps(stack).queues()
    first = len(outbox(outbox_path))
    later = clock.now() + timedelta(seconds=stack.pack.settings.silent_ack_target_s + 5)
    with failing_calls("sqs", "SendMessageBatch") as failed, pytest.raises(Exception):  # noqa: B017, PT011
        lambda_handler({"time": clock.iso(later)}, FakeContext())
    assert failed[0] >= 1
    Pumps(stack).queues()
    assert len(outbox(outbox_path)) == first  # the failed run sent nothing
    for _ in range(2):
        lambda_handler({"time": clock.iso(later + timedelta(minutes=1))}, FakeContext())
        Pumps(stack).queues()
    again = [line for line in outbox(outbox_path)[first:] if alert_id in line["body"]]
    assert sorted(line["recipient"] for line in again) == sorted(stack.pack.dispatch.response_team)


# ------------------------------------------------------------------ the property
ROLES = ("operator", "police", "admin", "analyst", "citizen", "response_team")
ACTIONS = (
    ("acknowledge", {}),
    ("contact", {}),
    ("close", {"outcome": "safe"}),
    ("request_police", {}),
    ("cancel", {}),
    ("false_alarm", {}),
    ("assign", {"unit_id": "GC-02"}),
    ("escalate", {}),
    ("resolve", {}),
    ("en_route", {}),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(range(len(ACTIONS)))), max_size=8))
def test_no_sequence_of_actions_lets_another_role_change_a_silent_alert_or_reach_the_dispatcher(
    api, stack, victim, staff_claims, steps
):
    # One alert per stack (the silent limit counts taps), put back as it was stored before each example
    snapshot = getattr(stack, "silent_snapshot", None)
    if snapshot is None:
        alert_id = new_silent(api, stack, victim, route=False)
        snapshot = stack.silent_snapshot = stack.alert_item(alert_id)
    stack.table("AlertsTable").put_item(Item=snapshot)
    alert_id = str(snapshot["pk"])
    for role, index in steps:
        action, extra = ACTIONS[index]
        claims = victim.claims if role == "citizen" else staff_claims(role)
        before = stack.alert_item(alert_id)
        answer = act(api, alert_id, claims, action, headers=TEAM, **extra)
        after = stack.alert_item(alert_id)
        assert answer.status < 500, answer.body
        if role != "response_team":
            assert answer.status in (403, 404), (role, action, answer.body)
            assert after == before
        Pumps(stack, skip=frozenset({"WebhookQueue"})).run()
        assert stack.queue_messages("DispatchQueue") == []
    item = stack.alert_item(alert_id)
    assert item["queue_status"] == ("closed" if item["status"] == "closed" else "open")


# Godoy Cruz only: Peñalolén's run is its city journey (tests/e2e/test_city_journeys.py)
def test_the_police_request_reaches_the_cad_as_a_valid_signed_cap_private_message(
    api, stack, victim, staff_claims, monkeypatch
):
    from infra.local.fake_cad import FakeCad

    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.environment["CAD_SECRET_ARN"])
    fake = FakeCad(secret=secret["SecretString"]).start()
    try:
        for key, value in {
            "PROVINCIAL_CAD_URL": fake.url,
            "CAD_ATTEMPTS": "1",
            "SMS_SENDS_PER_S": "0",
        }.items():
            monkeypatch.setenv(key, value)
        runtime.reset()
        alert_id = new_silent(api, stack, victim)
        # When the team requests police (no car, no contact shared) and every queue is pumped
        asked = act(api, alert_id, team(staff_claims), "request_police", headers=TEAM)
        assert asked.status == 200, asked.body
        Pumps(stack).run()
        # Then the CAD got exactly one message: signed, valid CAP 1.2, Private, to the gender-violence unit
        [got] = fake.received
        assert got["valid"], got["problems"]
        assert "<scope>Private</scope>" in got["body"]
        units = (
            stack.pack.dispatch.provincial_cad.gender_violence_addresses
        )  # Carabineros' family unit in Chile
        assert f"<addresses>{' '.join(units)}</addresses>" in got["body"]
        assert f"{victim.lat:.5f}" in got["body"]
        identity = [victim.details[k] for k in ("full_name", "national_id", "phone", "email", "address")]
        assert [s for s in identity if s in got["body"]] == []  # the place, never her
        # and a second request (another car, say) does not send the CAD the same message again
        assert act(api, alert_id, team(staff_claims), "request_police", headers=TEAM).status == 200
        Pumps(stack).run()
        assert len(fake.received) == 1
        assert stack.queue_messages("DispatchQueue") == []
    finally:
        fake.stop()
