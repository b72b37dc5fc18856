"""Nothing stalls unseen: with the stream relay stopped, the watchdog finds alerts still `received` past its
threshold, re-publishes each once the way the relay would (silent ones to the Silent queue only), and counts
them for the AlertsStalled alarm."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.integration.dispatch_harness import pump, seed
from tests.integration.test_dispatch_flow import BLOCK, dispatch, neighbour_sms, send_alert
from tests.support import FakeContext
from vigia import clock

__all__ = ["dispatch"]  # the fixture, shared with the dispatch flow tests


def watchdog(**event):
    from vigia.handlers.watchdog import lambda_handler

    return lambda_handler(event, FakeContext())


def age(stack, alert_id: str, seconds: int) -> None:
    """The alert was stored `seconds` ago (as if the relay had been stopped since)."""
    then = clock.now() - timedelta(seconds=seconds)
    stack.table("AlertsTable").update_item(
        Key={"pk": alert_id, "sk": "ALERT"},
        UpdateExpression="SET created_at = :t, local_date = :d",
        ExpressionAttributeValues={":t": clock.iso(then), ":d": clock.local_date(then, stack.pack.time_zone)},
    )


def bodies(stack, logical_id: str) -> list[dict]:
    return [json.loads(m["Body"]) for m in stack.queue_messages(logical_id)]


def test_alerts_left_received_by_a_stopped_relay_are_dispatched_once_and_silent_ones_stay_silent(
    api, stack, citizen, other_citizen, dispatch, capsys, caplog
):
    # Given the relay is stopped (its pump never runs) and three alerts were stored
    seed(BLOCK, 3)
    robbery = send_alert(api, citizen)
    silent = send_alert(api, other_citizen, "domestic_violence")
    fresh = send_alert(api, citizen, "suspicious_activity")
    age(stack, robbery, 300)
    age(stack, silent, 300)
    # When the watchdog runs
    report = watchdog(threshold_s=120, lookback_s=86_400)
    # Then the two stalled ones are re-published (the fresh one is the relay's, not yet the watchdog's)
    assert sorted(report["alert_ids"]) == sorted([robbery, silent])
    assert report["silent"] == 1
    # the robbery as AlertCreated on the public path, the silent one only on the Silent queue
    public = bodies(stack, "DispatchQueue")
    assert [(e["event_type"], e["alert_id"]) for e in public] == [("AlertCreated", robbery)]
    hidden = bodies(stack, "SilentQueue")
    assert [(e["event_type"], e["alert_id"]) for e in hidden] == [("SilentAlertCreated", silent)]
    assert silent not in json.dumps(public)
    # and the operators can see it: a metric for the AlertsStalled alarm and a log line per alert
    assert '"AlertsStalled":[2.0]' in capsys.readouterr().out
    logged = [r for r in caplog.records if r.getMessage() == "stalled alert re-published"]
    assert sorted(getattr(r, "alert_id", None) for r in logged) == sorted([robbery, silent])
    # When a second run comes a minute later
    again = watchdog(threshold_s=120, lookback_s=86_400)
    # Then nothing is re-published twice
    assert again["republished"] == 0
    assert bodies(stack, "DispatchQueue") == []
    assert bodies(stack, "SilentQueue") == []
    assert stack.alert_item(robbery)["republished_at"]
    assert "republished_at" not in stack.alert_item(fresh)
    assert stack.alert_item(fresh)["status"] == "received"


def test_a_republished_alert_is_dispatched_to_its_neighbours_once(api, stack, citizen, dispatch):
    neighbours = seed(BLOCK, 3)
    robbery = send_alert(api, citizen)
    age(stack, robbery, 600)
    watchdog()
    pump(stack)
    watchdog()
    pump(stack)
    phones = {p.phone for p in neighbours}
    assert sorted(m["recipient"] for m in neighbour_sms(dispatch, robbery, phones)) == sorted(phones)
    assert stack.alert_item(robbery)["status"] == "dispatched"


def test_an_alert_that_moved_on_is_not_republished(api, stack, citizen, staff_claims):
    alert_id = send_alert(api, citizen)
    age(stack, alert_id, 600)
    answer = api(
        "POST", f"/v1/alerts/{alert_id}/actions", {"action": "acknowledge"}, claims=staff_claims("operator")
    )
    assert answer.status == 200, answer.body
    assert watchdog()["republished"] == 0
    assert stack.queue_messages("DispatchQueue") == []
