"""A message a consumer can never handle ends in its DLQ once, with a reason that names it, and a redrive of
it cannot loop — for every queue consumer. The case that found it: an operator's cancel of a silent alert
crashed DispatchFunction ('NoneType' object has no attribute 'lat') and came straight back after a redrive."""

from __future__ import annotations

import json
import threading

import pytest

from infra.local.engine.functions import FunctionSpec, LocalFunction
from infra.local.engine.pumps import MappingSpec, SqsPump
from tests.integration.conftest import NEAR_CENTRE, staff
from vigia import clock

OPERATOR = staff("operator")
CONSUMERS = {  # queue → (its DLQ, its consumer's handler)
    "DispatchQueue": ("DispatchDLQ", "vigia.handlers.dispatch.lambda_handler"),
    "SmsQueue": ("SmsDLQ", "vigia.handlers.sms_sender.lambda_handler"),
    "SirenQueue": ("SirenDLQ", "vigia.handlers.siren_sender.lambda_handler"),
    "WebhookQueue": ("WebhookDLQ", "vigia.handlers.webhook_sender.lambda_handler"),
    "SilentQueue": ("SilentDLQ", "vigia.handlers.silent_router.lambda_handler"),
    "IndicatorRunsQueue": ("IndicatorRunsDLQ", "vigia.handlers.nightly_indicators.lambda_handler"),
}
FUNCTIONS = {
    "DispatchQueue": "DispatchFunction",
    "SmsQueue": "SmsSenderFunction",
    "SirenQueue": "SirenSenderFunction",
    "WebhookQueue": "WebhookSenderFunction",
    "SilentQueue": "SilentRouterFunction",
    "IndicatorRunsQueue": "NightlyIndicatorsFunction",
}
REDRIVE_NAME = {
    "DispatchQueue": "dispatch",
    "SmsQueue": "sms",
    "SirenQueue": "siren",
    "WebhookQueue": "webhook",
}
REDRIVE_NAME["SilentQueue"] = "silent"


class Consumer:
    """The queue's real event source mapping (the local stack's SqsPump) around its real handler."""

    def __init__(self, stack, queue: str) -> None:
        self.stack, self.queue = stack, queue
        self.sqs = stack.client("sqs")
        self.url = stack.resources[queue]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]
        name = CONSUMERS[queue][1].split(".")[2]
        spec = FunctionSpec(name, name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
                            CONSUMERS[queue][1], "python3.12", 30, 512, {})  # fmt: skip
        mapping = MappingSpec("mapping", name, arn["QueueArn"], 10, 0, report_item_failures=True)
        self.pump = SqsPump(mapping, LocalFunction(spec), self.sqs, self.url, region="us-east-1",
                            retry_delay_s=0, stop=threading.Event())  # fmt: skip
        self.invocations = 0

    def drain(self, rounds: int = 30) -> None:
        for _ in range(rounds):
            if not self.pump.poll_once():
                return
            self.invocations += 1
        raise AssertionError(f"{self.queue} never went idle")

    def send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=body)

    def depth(self, logical_id: str) -> int:
        url = self.stack.resources[logical_id]
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def dead_letters(self) -> list[dict]:
        url = self.stack.resources[CONSUMERS[self.queue][0]]
        answer = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        )
        return answer.get("Messages", [])

    def redrive(self) -> int:
        from vigia.adapters.task_queues import redrive

        if self.queue in REDRIVE_NAME:
            return redrive(REDRIVE_NAME[self.queue])
        moved, dlq = 0, self.stack.resources[CONSUMERS[self.queue][0]]  # the SQS console's redrive
        for m in self.sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            attributes = {k: {"DataType": v["DataType"], "StringValue": v["StringValue"]}
                          for k, v in m.get("MessageAttributes", {}).items()}  # fmt: skip
            self.sqs.send_message(QueueUrl=self.url, MessageBody=m["Body"], MessageAttributes=attributes)
            self.sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
            moved += 1
        return moved


def reason(message: dict) -> str:
    return message["MessageAttributes"]["PoisonReason"]["StringValue"]


def dropped(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.getMessage() == "poison message dropped after a redrive"
    ]


# ------------------------------------------------------------------ the case that found it
def test_a_cancel_of_a_silent_alert_is_dead_lettered_once_named_and_a_redrive_does_not_loop(
    api, stack, citizen, caplog
):
    from vigia.adapters.task_queues import announce_cancellation

    # Given a silent alert, and its cancellation on the Dispatch queue (as an operator's cancel put it)
    lat, lon = NEAR_CENTRE
    answer = api("POST", "/v1/alerts", {"type": "domestic_violence", "location": {"lat": lat, "lon": lon}},
                 claims=citizen.claims)  # fmt: skip
    assert answer.status == 202, answer.body
    alert_id = answer.json["alert_id"]
    before = stack.alert_item(alert_id)
    announce_cancellation(alert_id, clock.iso(clock.now()))
    dispatch = Consumer(stack, "DispatchQueue")
    # When the dispatcher takes it
    dispatch.drain()
    # Then it is in the Dispatch DLQ at once (one invocation, not five), with a reason naming it
    assert dispatch.invocations == 1
    letters = dispatch.dead_letters()
    assert len(letters) == 1
    assert "silent alert" in reason(letters[0])
    assert alert_id in reason(letters[0])
    assert letters[0]["MessageAttributes"]["PoisonConsumer"]["StringValue"] == "DispatchFunction"
    assert dispatch.depth("DispatchQueue") == 0
    # the dispatcher neither read its sealed place nor wrote to it, and sent nothing anywhere
    assert stack.alert_item(alert_id) == before
    assert dispatch.depth("SmsQueue") == dispatch.depth("SirenQueue") == dispatch.depth("WebhookQueue") == 0
    # the operators see it, and why, at GET /v1/admin/dlq
    listed = {q["queue"]: q for q in api("GET", "/v1/admin/dlq", claims=OPERATOR).json["items"]}
    assert listed["dispatch"]["depth"] == 1
    assert "silent alert" in listed["dispatch"]["messages"][0]["reason"]
    # When an operator redrives the Dispatch DLQ
    moved = api("POST", "/v1/admin/dlq/dispatch/redrive", claims=OPERATOR)
    assert moved.json["moved"] == 1
    dispatch.drain()
    # Then it is recognised, dropped with a log line, and does not come back
    assert dispatch.depth("DispatchDLQ") == 0
    assert dispatch.depth("DispatchQueue") == 0
    assert len(dropped(caplog)) == 1
    assert api("POST", "/v1/admin/dlq/dispatch/redrive", claims=OPERATOR).json["moved"] == 0


def test_an_alert_created_for_a_silent_alert_never_reaches_the_public_dispatcher(api, stack, citizen):
    from tests.integration.dispatch_harness import announce

    lat, lon = NEAR_CENTRE
    answer = api("POST", "/v1/alerts", {"type": "domestic_violence", "location": {"lat": lat, "lon": lon}},
                 claims=citizen.claims)  # fmt: skip
    alert_id = answer.json["alert_id"]
    before = stack.alert_item(alert_id)
    announce(stack, alert_id)  # as if it had been published to AlertEvents
    dispatch = Consumer(stack, "DispatchQueue")
    dispatch.drain()
    assert "silent alert" in reason(dispatch.dead_letters()[0])
    assert stack.alert_item(alert_id) == before
    assert dispatch.depth("SmsQueue") == 0


# ------------------------------------------------------------------ every consumer, every kind of poison
POISON = {
    "DispatchQueue": [
        "not json",
        "[1, 2]",
        json.dumps({"event_type": "AlertEscalated", "alert_id": "01ABC"}),
        json.dumps({"event_type": "AlertCreated"}),
        json.dumps({"event_type": "AlertCancelled", "alert_id": "NO-SUCH-ALERT"}),
    ],
    "SmsQueue": ["not json", "{}", json.dumps({"event_type": "DeliveryTask", "channel": "sms"})],
    "SirenQueue": ["not json", "null"],
    "WebhookQueue": ["not json", json.dumps({"alert_id": "x"})],
    "SilentQueue": [
        "not json",
        json.dumps({"event_type": "AlertCancelled", "alert_id": "01ABC"}),
        json.dumps({"event_type": "SilentAlertCreated", "alert_id": "NO-SUCH-ALERT"}),
    ],
    "IndicatorRunsQueue": ["not json", json.dumps({"date": "9999-99-99"}), json.dumps({"run_id": "r"})],
}


@pytest.mark.parametrize("queue", sorted(POISON))
def test_a_poison_message_goes_to_its_dlq_once_with_its_reason_and_a_redrive_drops_it(stack, queue, caplog):
    # Given messages the queue's consumer can never handle
    consumer = Consumer(stack, queue)
    for body in POISON[queue]:
        consumer.send(body)
    # When the consumer takes them
    consumer.drain()
    # Then each is in the DLQ once, with a reason and the consumer that gave it, and none is retried
    letters = consumer.dead_letters()
    assert sorted(m["Body"] for m in letters) == sorted(POISON[queue])
    assert all(reason(m) for m in letters)
    assert {m["MessageAttributes"]["PoisonConsumer"]["StringValue"] for m in letters} == {FUNCTIONS[queue]}
    assert consumer.depth(queue) == 0
    # When they are redriven
    assert consumer.redrive() == len(POISON[queue])
    consumer.drain()
    # Then each is dropped with a log line, and the DLQ stays empty: no loop
    assert consumer.depth(CONSUMERS[queue][0]) == 0
    assert consumer.depth(queue) == 0
    assert len(dropped(caplog)) == len(POISON[queue])
