"""Protocol dispatch in one process: alert → Dispatch queue → channel queues → SNS, IoT Core and the CAD.

The queues are pumped the way Lambda's event source mappings would (batches, partial failures,
retries, the DLQ after maxReceiveCount); the fake provincial CAD checks signatures and CAP 1.2.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from infra.local.fake_cad import FakeCad
from tests.integration.conftest import home_block_id, near_centre, staff
from tests.integration.dispatch_harness import (
    announce,
    deliveries,
    dlq_depth,
    failing_calls,
    outbox,
    pump,
    seed,
)
from vigia import clock, runtime

BLOCK = "B-0001"  # Godoy Cruz's home_block_id(), for the Godoy Cruz-only modules that import it
OTHER_BLOCK = "B-0002"
OPERATOR = staff("operator")


@pytest.fixture
def dispatch(stack, tmp_path, monkeypatch):
    """Outbox on, SMS unpaced, retries immediate, the fake CAD listening and named as the provincial CAD."""
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.environment["CAD_SECRET_ARN"])
    fake = FakeCad(secret=secret["SecretString"]).start()
    box = tmp_path / "outbox.jsonl"
    for key, value in {
        "VIGIA_OUTBOX_PATH": str(box),
        "SMS_SENDS_PER_S": "0",
        "DELIVERY_RETRY_BASE_S": "0",
        "PROVINCIAL_CAD_URL": fake.url,
        "CAD_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    runtime.reset()

    class Dispatch:
        outbox_path = box
        cad = fake

        @staticmethod
        def sent(kind: str = "alert", channel: str | None = None) -> list[dict]:
            return [
                m
                for m in outbox(box)
                if m.get("kind", "alert") in (kind, None) and (channel is None or m["channel"] == channel)
            ]

    yield Dispatch()
    fake.stop()


def send_alert(api, person, type_="robbery") -> str:
    lat, lon = near_centre()
    answer = api(
        "POST",
        "/v1/alerts",
        {"type": type_, "location": {"lat": lat, "lon": lon, "accuracy_m": 8}},
        claims=person.claims,
    )
    assert answer.status == 202, answer.body
    return answer.json["alert_id"]


def neighbour_sms(dispatch, alert_id: str, phones: set[str] | None = None) -> list[dict]:
    return [
        m
        for m in dispatch.sent("alert", "sms")
        if m["alert_id"] == alert_id and (phones is None or m["recipient"] in phones)
    ]


@pytest.mark.cities
def test_a_robbery_reaches_exactly_the_approved_neighbours_of_its_block(api, stack, citizen, dispatch):
    # Given k approved neighbours on the sender's block, and residents who must not hear of it
    neighbours = seed(home_block_id(), 7)
    pending = seed(home_block_id(), 2, status="pending", prefix="p")
    suspended = seed(home_block_id(), 2, status="suspended", prefix="s")
    elsewhere = seed(OTHER_BLOCK, 3, prefix="o")
    sender_phone = stack.resident_item(citizen.user_id)["phone"]
    # When the citizen reports a robbery and the protocol runs
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    pump(stack)
    # Then each approved neighbour gets exactly one SMS, and nobody else on or off the block does
    sms = Counter(m["recipient"] for m in dispatch.sent("alert", "sms") if m["alert_id"] == alert_id)
    assert {p.phone for p in neighbours} <= set(sms)
    assert all(sms[p.phone] == 1 for p in neighbours)
    outsiders = {p.phone for p in pending + suspended + elsewhere}
    assert not outsiders & set(sms)
    police = set(stack.pack.dispatch.community_police)
    assert police <= set(sms)
    # the sender hears only the confirmation, never the neighbours' message
    to_sender = [m for m in dispatch.sent("alert", "sms") if m["recipient"] == sender_phone]
    assert len(to_sender) == 1
    assert "recibimos" in to_sender[0]["body"]
    assert set(sms) == {p.phone for p in neighbours} | police | {sender_phone}
    # the block's sirens sound, on their IoT topic
    sirens = [m for m in dispatch.sent("alert", "siren") if m["alert_id"] == alert_id]
    assert {m["recipient"] for m in sirens} == {s.siren_id for s in stack.pack.blocks[home_block_id()].sirens}
    assert sirens[0]["topic"] == f"vigia/{stack.pack.city_id}/sirens/{sirens[0]['recipient']}/cmd"
    # the provincial CAD got one signed, valid CAP 1.2 alert
    assert len(dispatch.cad.received) == 1
    cap = dispatch.cad.received[0]
    assert cap["signature_ok"]
    assert cap["valid"], cap["problems"]
    assert f"<identifier>vigia-{stack.pack.city_id}-{alert_id}</identifier>" in cap["body"]
    # every delivery is recorded as sent, and the alert is dispatched
    records = deliveries(stack, alert_id)
    assert records
    assert {r["status"] for r in records} == {"sent"}
    item = stack.alert_item(alert_id)
    assert item["status"] == "dispatched"
    assert item["dispatched_at"]


def test_every_message_delivered_twice_still_sends_one_sms_per_recipient(api, stack, citizen, dispatch):
    seed(home_block_id(), 12)
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    announce(stack, alert_id)  # the relay published it twice, too
    pump(stack, twice=True)
    per_recipient = Counter((m["alert_id"], m["recipient"]) for m in neighbour_sms(dispatch, alert_id))
    assert per_recipient
    assert set(per_recipient.values()) == {1}
    assert len(dispatch.cad.received) == 1
    assert len(dispatch.sent("alert", "siren")) == len(stack.pack.blocks[home_block_id()].sirens)


def test_a_dispatch_cut_short_after_recording_finishes_without_doubles(api, stack, citizen, dispatch):
    # Given the channel queues refuse the first enqueue (the function dies after writing deliveries)
    neighbours = seed(home_block_id(), 30)
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    with failing_calls("sqs", "SendMessageBatch", times=1):
        pump(stack)
    # Then SQS hands the event back, the dispatch completes, and each neighbour still gets one SMS
    phones = {p.phone for p in neighbours}
    per_recipient = Counter(m["recipient"] for m in neighbour_sms(dispatch, alert_id, phones))
    assert set(per_recipient) == phones
    assert set(per_recipient.values()) == {1}
    assert stack.alert_item(alert_id)["status"] == "dispatched"


def test_a_silent_alert_reaching_dispatch_is_not_fanned_out(api, stack, citizen, dispatch):
    # Silent alerts are routed away before AlertEvents; should one arrive anyway, nothing public leaves.
    seed(home_block_id(), 5)
    alert_id = send_alert(api, citizen, "domestic_violence")
    announce(stack, alert_id)
    pump(stack)
    sent = [m for m in outbox(dispatch.outbox_path) if m["alert_id"] == alert_id]
    assert {m["channel"] for m in sent} <= {"sms"}
    assert {m["recipient"] for m in sent} <= set(stack.pack.dispatch.response_team)
    assert not dispatch.cad.received


# ------------------------------------------------------------------ faults at every hop
def _ledger_fault(monkeypatch):
    from pynamodb.exceptions import UpdateError

    from vigia.adapters.dynamodb.deliveries import DynamoLedger

    def claim(*_, **__):
        raise UpdateError("Failed to update item: ProvisionedThroughputExceededException (injected)")

    monkeypatch.setattr(DynamoLedger, "claim", claim)


DLQS = {"sms": "SmsDLQ", "siren": "SirenDLQ", "webhook": "WebhookDLQ"}


@pytest.mark.parametrize(
    ("hop", "channels"),
    [
        ("sns", ("sms",)),
        ("iot", ("siren",)),
        ("webhook", ("webhook",)),
        ("dynamodb", ("sms", "siren", "webhook")),
    ],
)
def test_a_failing_hop_retries_then_dead_letters_then_redrive_sends_all(
    api, stack, citizen, dispatch, hop, channels
):
    from vigia.adapters.task_queues import redrive

    seed(home_block_id(), 4)
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    # Given one hop that keeps failing while the alert is dispatched
    if hop == "sns":
        with failing_calls("sns", "Publish"):
            pump(stack)
    elif hop == "iot":
        with failing_calls("iot-data", "Publish"):
            pump(stack)
    elif hop == "webhook":
        dispatch.cad.fail_next = 1000
        pump(stack)
        dispatch.cad.fail_next = 0
    else:
        with pytest.MonkeyPatch.context() as patch:
            _ledger_fault(patch)
            pump(stack)
    # Then its deliveries were retried up to the limit and now wait in their channel's DLQ
    records = deliveries(stack, alert_id)
    affected = [r for r in records if r["channel"] in channels]
    for channel in channels:
        assert dlq_depth(stack, DLQS[channel]) == len([r for r in affected if r["channel"] == channel])
    # and operators see them: in the alert's deliveries and in the DLQ listing
    view = api("GET", f"/v1/alerts/{alert_id}/deliveries", claims=OPERATOR).json
    shown = [d for d in view["items"] if d["channel"] in channels]
    if hop == "dynamodb":  # the ledger could not be touched: still queued, the DLQ holds the task
        assert {d["status"] for d in shown} == {"queued"}
    else:
        assert {d["status"] for d in shown} == {"dead_letter"}
        assert all(d["attempts"] == 5 and d["last_error"] for d in shown)
    assert api("GET", "/v1/admin/dlq", claims=staff("admin")).json["total"] == len(affected)
    # while the other channels were not held up
    assert {r["status"] for r in records if r["channel"] not in channels} <= {"sent"}
    # When the hop recovers and an operator redrives the DLQs
    assert sum(redrive(channel) for channel in channels) == len(affected)
    pump(stack)
    # Then every delivery of the alert is sent, once, and nothing is left behind
    assert {r["status"] for r in deliveries(stack, alert_id)} == {"sent"}
    assert all(dlq_depth(stack, DLQS[c]) == 0 for c in channels)
    per_recipient = Counter(
        (m["channel"], m["recipient"]) for m in outbox(dispatch.outbox_path) if m["alert_id"] == alert_id
    )
    assert set(per_recipient.values()) == {1}


def test_a_dispatch_that_cannot_write_dead_letters_the_event_and_redrive_completes_it(
    api, stack, citizen, dispatch, monkeypatch
):
    from pynamodb.exceptions import TransactWriteError

    from vigia.adapters.dynamodb.dispatch import DynamoDispatchStore
    from vigia.adapters.task_queues import redrive

    seed(home_block_id(), 3)
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    with monkeypatch.context() as patch:
        patch.setattr(
            DynamoDispatchStore,
            "record",
            lambda *_, **__: (_ for _ in ()).throw(TransactWriteError("injected: DynamoDB unavailable")),
        )
        pump(stack)
    assert dlq_depth(stack, "DispatchDLQ") == 1
    assert stack.alert_item(alert_id)["status"] == "received"  # not lost: waiting, and visible to operators
    dlq = api("GET", "/v1/admin/dlq", claims=OPERATOR).json
    assert any(m["alert_id"] == alert_id for q in dlq["items"] for m in q["messages"])
    moved = api("POST", "/v1/admin/dlq/dispatch/redrive", claims=OPERATOR).json["moved"]
    assert moved == 1
    pump(stack)
    assert stack.alert_item(alert_id)["status"] == "dispatched"
    assert {r["status"] for r in deliveries(stack, alert_id)} == {"sent"}
    assert redrive("dispatch") == 0


# ------------------------------------------------------------------ cancelling
# Godoy Cruz only: Peñalolén's run is its city journey (tests/e2e/test_city_journeys.py)
def test_the_sender_cancels_and_everyone_told_hears_so(api, stack, citizen, dispatch):
    neighbours = seed(home_block_id(), 3)
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    pump(stack)
    answer = api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims)
    assert answer.status == 202, answer.body
    assert answer.json["status"] == "cancelled"
    pump(stack)
    cancels = [m for m in dispatch.sent("cancel") if m["alert_id"] == alert_id]
    told_sms = {m["recipient"] for m in cancels if m["channel"] == "sms"}
    assert {p.phone for p in neighbours} | set(stack.pack.dispatch.community_police) == told_sms
    assert {m["recipient"] for m in cancels if m["channel"] == "siren"} == {
        s.siren_id for s in stack.pack.blocks[home_block_id()].sirens
    }
    assert '"command":"stop"' in next(m["body"] for m in cancels if m["channel"] == "siren")
    cancel_cap = dispatch.cad.received[-1]
    assert cancel_cap["valid"], cancel_cap["problems"]
    assert "<msgType>Cancel</msgType>" in cancel_cap["body"]
    assert f"vigia-{stack.pack.city_id}-{alert_id}," in cancel_cap["body"]  # <references> names the original
    assert stack.alert_item(alert_id)["status"] == "cancelled"
    # cancelling again is harmless: nobody hears twice
    assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims).status == 202
    pump(stack)
    assert len([m for m in dispatch.sent("cancel") if m["alert_id"] == alert_id]) == len(cancels)


def test_a_cancel_before_dispatch_withdraws_everything(api, stack, citizen, dispatch):
    seed(home_block_id(), 3)
    alert_id = send_alert(api, citizen)
    assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims).status == 202
    announce(stack, alert_id)
    pump(stack)
    assert not [m for m in outbox(dispatch.outbox_path) if m["alert_id"] == alert_id]
    # and it has left the operators' live queue
    assert stack.alert_item(alert_id)["queue_status"] == "closed"
    queue = api("GET", "/v1/alerts", claims=staff("operator")).json["items"]
    assert alert_id not in [item["alert_id"] for item in queue]


def test_an_alert_cancelled_before_dispatch_lets_its_repeated_event_through(api, stack, citizen, dispatch):
    # Given an alert its sender cancelled before its protocol ran, whose AlertCreated arrives twice (the relay
    # crashed after publishing and published again): found by `make chaos`, the first attempt kept the alert's
    # 45 s dispatch lease, so the repeat failed DispatchInProgress on every receive and ended in the DLQ
    alert_id = send_alert(api, citizen)
    assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims).status == 202
    announce(stack, alert_id)
    announce(stack, alert_id)
    delivered = pump(stack, only=("DispatchQueue",))
    assert delivered.failed == 0
    assert dlq_depth(stack, "DispatchDLQ") == 0
    assert "dispatch_lease_until" not in stack.alert_item(alert_id)


def test_only_the_sender_within_the_window_may_cancel(api, stack, citizen, other_citizen, dispatch):
    alert_id = send_alert(api, citizen)
    assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=other_citizen.claims).status == 404
    assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=OPERATOR).status == 403
    late = clock.iso(clock.now() - timedelta(seconds=stack.pack.settings.cancel_window_s + 5))
    stack.table("AlertsTable").update_item(
        Key={"pk": alert_id, "sk": "ALERT"},
        UpdateExpression="SET created_at = :t",
        ExpressionAttributeValues={":t": late},
    )
    answer = api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims)
    assert answer.status == 409
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "cancel" in answer.json["detail"]
    assert answer.json["cancel_window_s"] == 120
    assert stack.alert_item(alert_id)["status"] == "received"


def test_deliveries_are_for_operators_with_recipients_masked(api, stack, citizen, dispatch):
    neighbours = seed(home_block_id(), 2)
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    pump(stack)
    assert api("GET", f"/v1/alerts/{alert_id}/deliveries", claims=citizen.claims).status == 403
    assert api("GET", "/v1/alerts/NOPE/deliveries", claims=OPERATOR).status == 404
    view = api("GET", f"/v1/alerts/{alert_id}/deliveries", claims=OPERATOR).json
    assert view["summary"] == {"sent": len(view["items"])}
    shown = " ".join(d["recipient"] for d in view["items"])
    assert not any(p.phone in shown for p in neighbours)
    assert {"channel", "recipient", "status", "attempts", "last_error"} <= set(view["items"][0])
    bad = api("POST", "/v1/admin/dlq/nowhere/redrive", claims=OPERATOR)
    assert bad.status == 400
    assert bad.json["errors"][0]["path"] == "/queue"


def test_make_redrive_moves_every_dlq_back_and_nothing_is_sent_twice(api, stack, citizen, dispatch, capsys):
    from infra.tools import redrive as redrive_tool

    seed(home_block_id(), 2)
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    with failing_calls("iot-data", "Publish"):
        dispatch.cad.fail_next = 1000
        pump(stack)
        dispatch.cad.fail_next = 0
    assert dlq_depth(stack, "SirenDLQ") == 1
    assert dlq_depth(stack, "WebhookDLQ") == 1
    assert redrive_tool.main(["all", "--cloud", "--city", "godoy-cruz"]) == 0
    assert "2 in all" in capsys.readouterr().out
    pump(stack)
    assert {r["status"] for r in deliveries(stack, alert_id)} == {"sent"}
    assert len(dispatch.cad.received) == 1


def test_two_attempts_at_one_alert_never_run_at_once(api, stack, citizen, dispatch):
    from vigia.adapters.dynamodb.dispatch import DynamoDispatchStore
    from vigia.dispatch.fanout import DispatchInProgress

    alert_id = send_alert(api, citizen)
    store, now = DynamoDispatchStore(), clock.now().timestamp()
    first = store.begin(alert_id, now_s=now, lease_s=45)
    assert first is not None
    assert first.first_attempt
    with pytest.raises(DispatchInProgress):
        store.begin(alert_id, now_s=now + 1, lease_s=45)  # a duplicate delivery of the event, meanwhile
    later = store.begin(alert_id, now_s=now + 46, lease_s=45)  # the first attempt died: its lease ran out
    assert later is not None
    assert not later.first_attempt  # so it records with conditional puts
    assert store.begin("NO-SUCH-ALERT", now_s=now, lease_s=45) is None
