"""Every sample event in events/ satisfies the schema of the part Vigía defines, and names a real function."""

import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent

from infra.local.engine.template import load_template
from vigia.alerts.events import alert_created
from vigia.api.validation import validate

EVENTS = Path(__file__).resolve().parents[2] / "events"
MANIFEST = json.loads((EVENTS / "manifest.json").read_text())["events"]


def _part(event: dict, part: str) -> list[dict]:
    if part == "body":
        return [json.loads(event["body"])]
    if part == "sqs_body":
        return [json.loads(r["body"]) for r in event["Records"]]
    if part == "alert_created":
        stream = DynamoDBStreamEvent(event)
        return [alert_created(r.dynamodb.new_image, city_id="godoy-cruz") for r in stream.records]
    raise AssertionError(f"unknown part {part}")


def test_every_event_file_is_in_the_manifest():
    listed = {e["file"] for e in MANIFEST}
    present = {p.name for p in EVENTS.glob("*.json")} - {"manifest.json"}
    assert present == listed


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["file"])
def test_sample_event_validates_against_its_schema(entry):
    functions = {
        k for k, v in load_template()["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }
    assert entry["function"] in functions
    event = json.loads((EVENTS / entry["file"]).read_text())
    for document in _part(event, entry["part"]):
        validate(entry["schema"], document)
