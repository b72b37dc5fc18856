"""Text stored before the door refused it still makes valid CAP: the writer, not only the door, is safe."""

from __future__ import annotations

from tests.integration.dispatch_harness import announce, dlq_depth, pump
from tests.integration.test_dispatch_flow import dispatch, send_alert  # noqa: F401 - the fixture

HOSTILE_NAME = "Ana\x07 María\x00 Pérez\x1b[2J\ufffe"


def test_a_stored_name_with_control_characters_still_reaches_the_cad_as_valid_cap(
    api,
    stack,
    citizen,
    dispatch,  # noqa: F811
):
    # Given an approved resident whose stored name holds control characters (seeded past the door)
    stack.table("ResidentsTable").update_item(
        Key={"pk": citizen.user_id},
        UpdateExpression="SET full_name = :n",
        ExpressionAttributeValues={":n": HOSTILE_NAME},
    )
    # When she reports a robbery and its protocol runs
    alert_id = send_alert(api, citizen)
    announce(stack, alert_id)
    pump(stack)
    # Then the provincial CAD gets one signed CAP 1.2 document that parses and validates
    assert len(dispatch.cad.received) == 1
    cap = dispatch.cad.received[0]
    assert cap["signature_ok"]
    assert cap["valid"], cap["problems"]
    assert f"vigia-godoy-cruz-{alert_id}" in cap["body"]
    assert "Ana\ufffd María\ufffd Pérez\ufffd[2J\ufffd" in cap["body"]  # what could be kept of her name
    # and nothing about her alert waits in a dead-letter queue
    assert dlq_depth(stack, "WebhookDLQ") == 0
    assert dlq_depth(stack, "DispatchDLQ") == 0
