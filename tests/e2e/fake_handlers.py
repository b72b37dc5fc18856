"""Stand-in handlers and seed for testing the local stack's machinery (not the product's behaviour).

The local-stack tests run the real template.yaml with every function's Handler pointed here: the API
echoes the event it got, the queue and stream consumers record what they saw in the outbox and fail
what they are told to fail.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import boto3

POISON = "poison"
PASSWORD = "Fake-stack-2026"


def _record(entry: dict[str, Any]) -> None:
    with open(os.environ["VIGIA_OUTBOX_PATH"], "a", encoding="utf-8") as outbox:
        outbox.write(json.dumps(entry) + "\n")


def api(event: dict[str, Any], context: Any) -> Any:
    path = event["rawPath"]
    if path.endswith("/boom"):
        raise RuntimeError("the fake API was told to fail")
    if path.endswith("/plain"):
        return {"hello": "world"}  # no statusCode: API Gateway answers 200 with this JSON
    if path.endswith("/binary"):
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64.b64encode(b"\x00\x01\xfe").decode(),
            "isBase64Encoded": True,
        }
    seen = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-fake": "yes"},
        "cookies": ["fake=1; Path=/"],
        "body": json.dumps(seen),
    }


def dispatch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS consumer: records each message; reports the poison ones as failed."""
    failures = []
    for record in event["Records"]:
        _record({"fake": "sqs", "function": context.function_name, "record": record})
        if POISON in record["body"]:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def relay(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """DynamoDB stream consumer: records each record; reports the poison ones as failed."""
    failures = []
    for record in event["Records"]:
        _record({"fake": "stream", "function": context.function_name, "record": record})
        if POISON in json.dumps(record["dynamodb"].get("Keys")):
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


def record(event: dict[str, Any], context: Any) -> None:
    """Any other function: records the event and succeeds."""
    _record({"fake": "other", "function": context.function_name, "event": event})


def seed_demo(residents: int = 0) -> dict[str, Any]:
    """Demo users for the fake stack: an operator (two groups), a citizen and an unapproved resident."""
    idp = boto3.client("cognito-idp")
    pool = os.environ["USER_POOL_ID"]
    users: dict[str, dict[str, Any]] = {}
    for role, groups in (("operator", ["operator", "police"]), ("citizen", ["citizen"]), ("unapproved", [])):
        username = f"{role}@fake.vigia.local"
        idp.admin_create_user(
            UserPoolId=pool,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": username}],
            MessageAction="SUPPRESS",
        )
        idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=PASSWORD, Permanent=True)
        for group in groups:
            idp.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
        users[role] = {"username": username, "password": PASSWORD, "groups": groups}
    return {"City": "fake-city", "DemoUsers": users, "DemoResidents": residents}
