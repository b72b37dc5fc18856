"""Helpers for the silent-alarm tests on the emulator: the victim, her neighbours, and pumps that play the
stream and queue event source mappings in-process (only new stream records, like Lambda's iterator)."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from tests.integration.conftest import NEAR_CENTRE, FakeContext, Stack, register_confirmed
from vigia import clock, runtime
from vigia.residents.registration import Resident

SILENT_TYPE = "domestic_violence"
# Every queue a message can take after the stream, and the function the template maps to it.
QUEUES = {
    "SilentQueue": "vigia.handlers.silent_router",
    "DispatchQueue": "vigia.handlers.dispatch",
    "SmsQueue": "vigia.handlers.sms_sender",
    "SirenQueue": "vigia.handlers.siren_sender",
    "WebhookQueue": "vigia.handlers.webhook_sender",
}
# A victim whose details are easy to find in any text: none of them may appear outside the response team.
VICTIM = {
    "full_name": "Rosalía Quiroga Benavídez",
    "national_id": "27345918",
    "phone": "+5492614938271",
    "email": "rosalia.quiroga@example.ar",
    "address": "Pasaje Las Retamas 1187",
}


@dataclass(frozen=True)
class Victim:
    user_id: str
    claims: dict[str, str]
    lat: float
    lon: float

    def secrets(self) -> list[str]:
        """Her details as they could appear in text (coordinates to 4 decimals, ~10 m, and as given)."""
        return [
            VICTIM["full_name"],
            VICTIM["full_name"].split()[0] + " " + VICTIM["full_name"].split()[1],
            VICTIM["national_id"],
            VICTIM["phone"],
            VICTIM["phone"].lstrip("+"),
            VICTIM["phone"][-10:],
            VICTIM["email"],
            VICTIM["address"],
            f"{self.lat:.4f}",
            f"{self.lon:.4f}",
            repr(self.lat),
            repr(self.lon),
        ]


def register_victim(api: Any, staff: Any) -> Victim:
    """Registers and approves her through the API, living on the first block (NEAR_CENTRE)."""
    lat, lon = NEAR_CENTRE[0] - 0.00021234, NEAR_CENTRE[1] + 0.00022345  # an exact fix, 30 m from the centre
    body = {**VICTIM, "password": "Segura-2026x", "home_location": {"lat": lat, "lon": lon}}
    user_id = register_confirmed(api, body)
    approved = api("POST", f"/v1/registrations/{user_id}/approve", claims=staff("operator"))
    assert approved.status == 200, approved.body
    claims = {"sub": user_id, "email": VICTIM["email"], "cognito:groups": "[citizen]"}
    return Victim(user_id, claims, lat, lon)


def silent_body(victim: Victim, note: str | None = "está en la cocina con un cuchillo") -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": SILENT_TYPE,
        "location": {"lat": victim.lat, "lon": victim.lon, "accuracy_m": 8},
    }
    if note:
        body["note"] = note
    return body


def neighbours(block_id: str, count: int = 4) -> list[Resident]:
    """Approved residents on her block: the people a public alert would text."""
    people = [
        Resident(
            user_id=f"neighbour-{i}",
            full_name=f"Vecino {i}",
            national_id=f"2{i:07d}",
            phone=f"+54926155{i:05d}",
            email=f"n{i}@example.ar",
            address=f"Calle {i}",
            home_lat=NEAR_CENTRE[0],
            home_lon=NEAR_CENTRE[1],
            locale="es-AR",
            status="approved",
            created_at=clock.iso(clock.now()),
            block_id=block_id,
        )
        for i in range(count)
    ]
    runtime.residents().put_seeded(people)
    return people


def _sqs() -> Any:
    return boto3.client("sqs", region_name="us-east-1")


@dataclass
class Pumps:
    """Plays the template's event source mappings: the Alerts stream into the relay, each queue into its
    function, until everything is idle. Records the functions that ran."""

    stack: Stack
    seen: set[str] = field(default_factory=set)
    ran: list[str] = field(default_factory=list)
    skip: frozenset[str] = frozenset()  # queues left alone (the webhook one, where no CAD listens)

    def stream(self) -> int:
        from vigia.handlers.alert_stream_relay import lambda_handler

        records = [r for r in self.stack.stream_event()["Records"] if r["eventID"] not in self.seen]
        if not records:
            return 0
        lambda_handler({"Records": records}, FakeContext())
        self.seen.update(r["eventID"] for r in records)
        self.ran.append("AlertStreamRelayFunction")
        return len(records)

    def queues(self, rounds: int = 50) -> None:
        client = _sqs()
        for _ in range(rounds):
            busy = False
            for logical_id, module in QUEUES.items():
                if logical_id in self.skip:
                    continue
                url = self.stack.resources[logical_id]
                messages = client.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=30
                ).get("Messages", [])
                if not messages:
                    continue
                busy = True
                arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ]
                event = {"Records": [_record(m, arn) for m in messages]}
                answer = importlib.import_module(module).lambda_handler(event, FakeContext())
                self.ran.append(logical_id)
                failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}
                assert not failed, f"{module} failed {len(failed)} message(s)"
                for m in messages:
                    client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if not busy:
                return
        raise AssertionError("the queues never went idle")

    def run(self) -> None:
        self.stream()
        self.queues()


def _record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def outbox(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def queue_depth(stack: Stack, logical_id: str) -> int:
    attrs = _sqs().get_queue_attributes(
        QueueUrl=stack.resources[logical_id],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
