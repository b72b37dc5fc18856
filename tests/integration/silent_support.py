"""Helpers for the silent-alarm tests on the emulator: the victim, her neighbours, and the local stack's
pumps draining the stream and queue event source mappings in-process."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from infra.local.engine.pumps import StreamPump, drain_all, sqs_record
from tests.integration.conftest import NEAR_CENTRE, Stack, register_confirmed
from tests.support.template_pumps import queue_of, queue_pump, stream_pump
from vigia import clock, runtime
from vigia.residents.registration import Resident

SILENT_TYPE = "domestic_violence"
# Every queue a message can take after the stream (each drained by its template mapping).
QUEUES = ("SilentQueue", "DispatchQueue", "SmsQueue", "SirenQueue", "WebhookQueue")
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
    """The local stack's own pumps for the template's event source mappings: the Alerts stream into the
    relay (only records it has not read yet, like Lambda's iterator), each queue into its function, drained
    until nothing more can be delivered. Records the functions that ran."""

    stack: Stack
    ran: list[str] = field(default_factory=list)
    skip: frozenset[str] = frozenset()  # queues left alone (the webhook one, where no CAD listens)
    _stream: StreamPump | None = None

    def stream(self) -> int:
        if self._stream is None:
            self._stream = stream_pump(self.stack)
        delivered = self._stream.drain()
        if delivered.invocations:
            self.ran.append("AlertStreamRelayFunction")
        return delivered.records

    def queues(self, rounds: int = 50) -> None:
        pumps = [queue_pump(self.stack, queue) for queue in QUEUES if queue not in self.skip]
        try:
            drained = drain_all(pumps, rounds=rounds)
        except RuntimeError:
            raise AssertionError("the queues never went idle") from None
        for pump in pumps:
            delivered = drained[pump.name]
            self.ran.extend([queue_of(pump)] * delivered.invocations)
            assert not delivered.failed, f"{pump.function.logical_id} failed {delivered.failed} message(s)"

    def run(self) -> None:
        self.stream()
        self.queues()


def _record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    """A received message as Lambda's SQS event record."""
    return sqs_record(message, arn, "us-east-1")


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
