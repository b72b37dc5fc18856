"""DeliveriesTable as the senders' ledger (DynamoLedger): a claim that takes over a `sending` whose lease
ran out says so (RECLAIMED) and counts the attempt whose outcome is unknown in `uncertain`, which the record
keeps once sent: a delivery sent twice with uncertain >= 1 is the provider gap (docs/dispatch.md), any other
is a bug."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.dispatch_harness import deliveries, outbox, pump, sqs
from vigia import runtime
from vigia.adapters.dynamodb import deliveries as ledger_table
from vigia.adapters.dynamodb.deliveries import DynamoLedger
from vigia.dispatch import sending, tasks
from vigia.dispatch.protocol import Delivery

SMS = Delivery("01JQ8Z6V4M3K2N1P0R9S8T7V6W", "alert", "sms", "neighbours", "+5492615550001", "hola", "es-AR")
LEASE_S = 120
NOW = 1_800_000_000.0


@pytest.fixture
def ledger(stack):
    ledger_table.record([SMS], at="2026-12-01T08:00:00-03:00", fresh=True)
    return DynamoLedger()


def claim(ledger: DynamoLedger, now_s: float) -> str:
    return ledger.claim(SMS, now_s=now_s, lease_s=LEASE_S, at="t")


def row(stack) -> dict:
    [item] = deliveries(stack, SMS.alert_id)
    return item


def test_a_claim_after_a_lease_ran_out_is_a_reclaim_counted_uncertain_and_kept_once_sent(stack, ledger):
    # Given an attempt that claimed the delivery and then died without a mark (the provider may have sent it)
    assert claim(ledger, NOW) == sending.CLAIMED
    assert row(stack).get("uncertain", 0) == 0
    assert row(stack)["sending_attempt"] == 1
    # While its lease runs, nobody else may send
    assert claim(ledger, NOW + LEASE_S - 1) == sending.IN_FLIGHT
    # When the lease has run out, the next claim takes it over and says the earlier outcome is unknown
    assert claim(ledger, NOW + LEASE_S + 1) == sending.RECLAIMED
    item = row(stack)
    assert (item["status"], item["attempts"], item["uncertain"], item["sending_attempt"]) == (
        sending.SENDING,
        2,
        1,
        2,
    )
    # And the count stays on the record once it is sent
    ledger.mark_sent(SMS, at="t2", provider_id="m-2")
    assert (row(stack)["status"], row(stack)["uncertain"]) == (sending.SENT, 1)
    assert claim(ledger, NOW + 10 * LEASE_S) == sending.ALREADY_SENT


def test_a_claim_after_a_failed_send_is_ordinary_not_uncertain(stack, ledger):
    assert claim(ledger, NOW) == sending.CLAIMED
    ledger.mark_failed(SMS, at="t1", error="ConnectionError: no route", dead=False)
    # a failure is a known outcome: the retry, even long after, is an ordinary claim
    assert claim(ledger, NOW + 10 * LEASE_S) == sending.CLAIMED
    item = row(stack)
    assert (item["status"], item["attempts"], item.get("uncertain", 0), item["sending_attempt"]) == (
        sending.SENDING,
        2,
        0,
        2,
    )
    assert claim(ledger, NOW + 10 * LEASE_S + 1) == sending.IN_FLIGHT


def test_a_delivery_never_recorded_is_unknown(stack, ledger):
    other = Delivery(SMS.alert_id, "alert", "sms", "neighbours", "+5492615550002", "hola")
    assert ledger.claim(other, now_s=NOW, lease_s=LEASE_S, at="t") == sending.UNKNOWN


def test_a_sender_taking_over_a_dead_attempt_warns_counts_it_and_sends(
    stack, ledger, monkeypatch, caplog, tmp_path
):
    from vigia.observability import metrics

    box = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("VIGIA_OUTBOX_PATH", str(box))
    monkeypatch.setenv("DELIVERY_LEASE_S", "90")
    runtime.reset()
    counted: list[str] = []
    count = metrics.add_metric
    monkeypatch.setattr(metrics, "add_metric", lambda **m: counted.append(m["name"]) or count(**m))
    # Given an attempt that claimed the SMS longer ago than the sender's lease, and never came back
    assert claim(ledger, time.time() - 10 * LEASE_S) == sending.CLAIMED
    leases: list[int] = []
    take = DynamoLedger.claim
    monkeypatch.setattr(
        DynamoLedger, "claim", lambda self, d, **k: leases.append(k["lease_s"]) or take(self, d, **k)
    )
    # When the task is handed to the SMS sender again
    task = tasks.to_message(SMS, city_id=stack.pack.city_id)
    sqs().send_message(QueueUrl=stack.resources["SmsQueue"], MessageBody=json.dumps(task))
    pump(stack, only=("SmsQueue",))
    # Then it is sent, counted uncertain on its record, with a warning naming it and a metric
    assert [m["recipient"] for m in outbox(box) if m["alert_id"] == SMS.alert_id] == [SMS.recipient]
    assert (row(stack)["status"], row(stack)["uncertain"]) == (sending.SENT, 1)
    [warning] = [r for r in caplog.records if "outcome is unknown" in r.getMessage()]
    assert (warning.alert_id, warning.channel, warning.key) == (SMS.alert_id, "sms", SMS.key)
    assert counted.count("DeliveriesUncertain") == 1
    assert leases == [90]  # the sender's lease is DELIVERY_LEASE_S
