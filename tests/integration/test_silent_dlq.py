"""A silent alert that could not reach the response team is visible to operators and can be redriven."""

import json

from tests.integration.conftest import staff


def test_the_silent_dlq_is_listed_without_content_and_redriven_to_the_silent_queue(api, stack):
    # Given a silent alert's message that landed in the Silent DLQ (the router failed five times)
    sqs = stack.client("sqs")
    dlq_url = stack.resources["SilentQueue"] + "-dlq"
    body = {"alert_id": "01SILENTALERT0000000000000", "event_type": "SilentAlertCreated"}
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps(body))
    # When an operator looks at the DLQs
    listing = api("GET", "/v1/admin/dlq", claims=staff("operator"))
    assert listing.status == 200, listing.body
    silent = next(q for q in listing.json["items"] if q["queue"] == "silent")
    # Then the silent DLQ shows its depth, and nothing of the victim
    assert silent["depth"] == 1
    assert "lat" not in json.dumps(silent)
    # And a redrive moves it back to the Silent queue for the router
    moved = api("POST", "/v1/admin/dlq/silent/redrive", claims=staff("operator"))
    assert moved.status == 200, moved.body
    assert moved.json["moved"] == 1
    back = stack.queue_messages("SilentQueue")
    assert [json.loads(m["Body"])["alert_id"] for m in back] == [body["alert_id"]]
