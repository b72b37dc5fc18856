"""The local stack's S3 upload events: an EventBridge rule on "Object Created" becomes a pump that invokes
its function once per new object under the rule's prefix, with the event EventBridge would deliver."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from moto import mock_aws

from infra.local.engine.functions import FunctionSpec, LocalFunction
from infra.local.engine.pumps import AsyncInvoker
from infra.local.engine.pumps.objects import S3ObjectPump, s3_object_rule

RULE = {
    "source": ["aws.s3"],
    "detail-type": ["Object Created"],
    "detail": {"bucket": {"name": ["lake"]}, "object": {"key": [{"prefix": "uploads/"}]}},
}


class Recorder(LocalFunction):
    def __init__(self) -> None:
        super().__init__(
            FunctionSpec(
                "Ingest", "ingest", "arn:aws:lambda:us-east-1:123456789012:function:ingest", "x.y",
                "python3.12", 900, 512, {},
            )
        )  # fmt: skip
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        self.events.append(event)
        return {}


def test_a_rule_on_s3_object_created_names_its_bucket_and_prefix() -> None:
    assert s3_object_rule(RULE) == (["lake"], "uploads/")
    assert s3_object_rule({"source": ["aws.s3"], "detail-type": ["Object Deleted"]}) is None
    assert s3_object_rule({"source": ["vigia"], "detail-type": ["Object Created"]}) is None


def test_each_new_upload_under_the_prefix_invokes_the_function_once() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        s3.put_object(Bucket="lake", Key="uploads/OLD/data.csv", Body=b"before the stack started")
        function, stop = Recorder(), threading.Event()
        invoker = AsyncInvoker({}, lambda arn, body: None, retry_delay_s=0, stop=stop)
        pump = S3ObjectPump("Rule", function, s3, "lake", "uploads/", region="us-east-1", account="1",
                            invoker=invoker, stop=stop)  # fmt: skip
        pump.prime()

        # When two files are uploaded, one outside the prefix, then the pump runs twice
        s3.put_object(Bucket="lake", Key="uploads/DS1/data.csv", Body=b"a;b\n1;2\n")
        s3.put_object(Bucket="lake", Key="lake/dataset_records/x.parquet", Body=b"not an upload")
        pump.drain()
        pump.drain()

        # Then the function saw exactly the new upload, as EventBridge shapes S3's event
        assert [e["detail"]["object"]["key"] for e in function.events] == ["uploads/DS1/data.csv"]
        event = function.events[0]
        assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
        assert event["detail"]["bucket"]["name"] == "lake"
        assert event["detail"]["object"]["size"] == 8

        # And a file PUT again (new bytes) is a new event
        s3.put_object(Bucket="lake", Key="uploads/DS1/data.csv", Body=b"a;b\n1;3\n")
        pump.drain()
        assert len(function.events) == 2
