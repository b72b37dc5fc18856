"""Helpers for the silent-alarm tests on the emulator: the victim, her neighbours, and the local stack's
pumps draining the stream and queue event source mappings in-process."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.engine.pumps import StreamPump, drain_all, sqs_record
from tests.integration.conftest import Stack, emulator_client, near_centre, register_confirmed
from tests.support.people import national_id, seeded_mobile
from tests.support.template_pumps import queue_of, queue_pump, stream_pump
from vigia import clock, runtime
from vigia.residents.registration import Resident

SILENT_TYPE = "domestic_violence"
# Every queue a message can take after the stream (each drained by its template mapping).
QUEUES = ("SilentQueue", "DispatchQueue", "SmsQueue", "SirenQueue", "WebhookQueue")
# A victim whose details are easy to find in any text: none of them may appear outside the response team.
# Godoy Cruz's; in another city she has its country's mobile and national id (victim_details).
VICTIM = {
    "full_name": "Rosalía Quiroga Benavídez",
    "national_id": "27345918",
    "phone": "+5492614938271",
    "email": "rosalia.quiroga@example.ar",
    "address": "Pasaje Las Retamas 1187",
}
# Her Chilean mobile and RUT (27.345.918-9), as distinctive as her Argentine ones.
_VICTIM_CONTACT = {"AR": ("+5492614938271", 27_345_918), "CL": ("+56994938271", 27_345_918)}


def victim_details(country_code: str) -> dict[str, str]:
    """VICTIM as a resident of the country: its mobile and its national id."""
    phone, number = _VICTIM_CONTACT[country_code]
    return {**VICTIM, "phone": phone, "national_id": national_id(country_code, number)}


@dataclass(frozen=True)
class Victim:
    user_id: str
    claims: dict[str, str]
    lat: float
    lon: float
    details: dict[str, str] = field(default_factory=lambda: dict(VICTIM))  # as registered (victim_details)

    def secrets(self) -> list[str]:
        """Her details as they could appear in text (coordinates to 4 decimals, ~10 m, and as given)."""
        me = self.details
        return [
            me["full_name"],
            me["full_name"].split()[0] + " " + me["full_name"].split()[1],
            me["national_id"],
            me["national_id"].replace("-", ""),
            me["phone"],
            me["phone"].lstrip("+"),
            me["phone"][-10:],
            me["email"],
            me["address"],
            f"{self.lat:.4f}",
            f"{self.lon:.4f}",
            repr(self.lat),
            repr(self.lon),
        ]


def register_victim(api: Any, staff: Any) -> Victim:
    """Registers and approves her through the API, living on the home block (near_centre()) of the running
    stack's city, as a resident of its country."""
    centre = near_centre()
    lat, lon = centre[0] - 0.00021234, centre[1] + 0.00022345  # an exact fix, 30 m from the centre
    details = victim_details(runtime.city_pack().country_code)
    body = {**details, "password": "Segura-2026x", "home_location": {"lat": lat, "lon": lon}}
    user_id = register_confirmed(api, body)
    approved = api("POST", f"/v1/registrations/{user_id}/approve", claims=staff("operator"))
    assert approved.status == 200, approved.body
    claims = {"sub": user_id, "email": details["email"], "cognito:groups": "[citizen]"}
    return Victim(user_id, claims, lat, lon, details)


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
    pack = runtime.city_pack()
    home = near_centre()
    people = [
        Resident(
            user_id=f"neighbour-{i}",
            full_name=f"Vecino {i}",
            national_id=national_id(pack.country_code, 20_000_000 + i),
            phone=seeded_mobile(pack.country_code, 50, i),
            email=f"n{i}@example.ar",
            address=f"Calle {i}",
            home_lat=home[0],
            home_lon=home[1],
            locale=pack.locale,
            status="approved",
            created_at=clock.iso(clock.now()),
            block_id=block_id,
        )
        for i in range(count)
    ]
    runtime.residents().put_seeded(people)
    return people


def _sqs() -> Any:
    return emulator_client("sqs")


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
