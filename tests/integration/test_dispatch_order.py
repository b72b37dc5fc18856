"""Lifecycle times stay in lifecycle order: no `dispatched` stamped on an alert that moved on."""

from __future__ import annotations

from tests.integration.conftest import staff
from tests.integration.dispatch_harness import announce, pump, seed
from tests.integration.test_dispatch_flow import BLOCK, dispatch, neighbour_sms, send_alert

__all__ = ["dispatch"]  # the fixture, shared with the dispatch flow tests
OPERATOR = staff("operator")


def act(api, alert_id: str, action: str) -> None:
    answer = api("POST", f"/v1/alerts/{alert_id}/actions", {"action": action}, claims=OPERATOR)
    assert answer.status == 200, answer.body


def test_an_alert_acknowledged_before_its_protocol_ran_is_never_stamped_dispatched(
    api, stack, citizen, dispatch
):
    # Given an alert an operator acknowledged while its AlertCreated was still on its way
    neighbours = seed(BLOCK, 3)
    alert_id = send_alert(api, citizen)
    act(api, alert_id, "acknowledge")
    # When the protocol runs late (and its event is delivered twice)
    announce(stack, alert_id)
    pump(stack)
    announce(stack, alert_id)
    pump(stack)
    # Then the neighbours are still told, once each, but the alert keeps its later status and no
    # `dispatched` time stamped after the acknowledgement (nor a dispatch step in its timeline)
    assert {m["recipient"] for m in neighbour_sms(dispatch, alert_id)} >= {p.phone for p in neighbours}
    assert len(neighbour_sms(dispatch, alert_id, {p.phone for p in neighbours})) == len(neighbours)
    item = stack.alert_item(alert_id)
    assert item["status"] == "acknowledged"
    assert "dispatched_at" not in item
    assert [step["action"] for step in item.get("timeline") or []].count("dispatch") == 0
    view = api("GET", f"/v1/alerts/{alert_id}", claims=OPERATOR)
    assert view.status == 200
    assert view.json.get("dispatched_at") is None


def test_a_dispatch_on_time_is_stamped_before_the_operator_acknowledges(api, stack, citizen, dispatch):
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    pump(stack)
    act(api, alert_id, "acknowledge")
    item = stack.alert_item(alert_id)
    assert item["status"] == "acknowledged"
    assert item["created_at"] <= item["dispatched_at"] <= item["acknowledged_at"]
