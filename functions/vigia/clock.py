"""Time in the city's terms: UTC instants as ISO-8601 with Z, local dates in the city's time zone."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def iso(instant: datetime) -> str:
    """UTC ISO-8601 with milliseconds and Z: sortable as text."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def local_date(instant: datetime, time_zone: str) -> str:
    return instant.astimezone(ZoneInfo(time_zone)).date().isoformat()


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(instant: datetime | None = None) -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32; sorts by creation time."""
    ms = int((instant or now()).timestamp() * 1000)
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))
