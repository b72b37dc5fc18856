"""The Alerts stream is the outbox: every stored alert reaches the Dispatch queue once, even after a fault."""

import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.integration.conftest import NEAR_CENTRE
from tests.support import FakeContext
from vigia.api.validation import validate


def send(api, citizen, type_="robbery"):
    body = {"type": type_, "location": {"lat": NEAR_CENTRE[0], "lon": NEAR_CENTRE[1]}}
    answer = api("POST", "/v1/alerts", body, claims=citizen.claims)
    assert answer.status == 202
    return answer.json["alert_id"]


def relay(event):
    from vigia.handlers.alert_stream_relay import lambda_handler

    return lambda_handler(event, FakeContext())


def test_a_stored_alert_is_published_as_alert_created_into_the_dispatch_queue(api, citizen, stack):
    # Given an alert stored by the API
    alert_id = send(api, citizen)
    # When the stream relay gets the table's stream records
    result = relay(stack.stream_event())
    # Then it reports no failures and the Dispatch queue holds one AlertCreated without personal data
    assert result == {"batchItemFailures": []}
    messages = stack.queue_messages("DispatchQueue")
    assert len(messages) == 1
    event = json.loads(messages[0]["Body"])
    validate("events/alert-created.json", event)
    assert event["alert_id"] == alert_id
    assert citizen.user_id not in messages[0]["Body"]


def test_only_new_alerts_are_relayed_not_updates(api, citizen, stack):
    alert_id = send(api, citizen)
    stack.table("AlertsTable").update_item(
        Key={"pk": alert_id, "sk": "ALERT"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "dispatched"},
    )
    relay(stack.stream_event())
    assert len(stack.queue_messages("DispatchQueue")) == 1


def test_if_publishing_fails_after_the_write_the_alert_is_published_on_redelivery(
    api, citizen, stack, monkeypatch: pytest.MonkeyPatch
):
    # Given an alert stored while SNS is failing
    alert_id = send(api, citizen)
    from vigia.adapters import events

    real_publish = events.publish

    def broken(*args, **kwargs):
        raise ConnectionError("SNS unreachable")

    monkeypatch.setattr(events, "publish", broken)
    event = stack.stream_event()
    # When the relay runs, the invocation fails (every record failed), so the stream redelivers the batch
    with pytest.raises(BatchProcessingError):
        relay(event)
    assert stack.queue_messages("DispatchQueue") == []
    # Then, once SNS is back, the redelivered record publishes the alert exactly once
    monkeypatch.setattr(events, "publish", real_publish)
    assert relay(event) == {"batchItemFailures": []}
    messages = stack.queue_messages("DispatchQueue")
    assert [json.loads(m["Body"])["alert_id"] for m in messages] == [alert_id]
