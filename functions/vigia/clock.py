"""Time in the city's terms: UTC instants as ISO-8601 with Z, local dates in the city's time zone."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
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


def check_period(first: date, last: date, *, most: int, count: int | None = None, unit: str = "days") -> None:
    """A period asked for as `from` and `to`: 422 when from is after to, or when it spans more than `most`
    `unit` (`count` of them; days by default). 422, not 400: each date has the document's shape, and a
    rule between two parameters is one the OpenAPI document cannot state."""
    from vigia.errors import FieldError, Unprocessable

    if first > last:
        raise Unprocessable("from is after to.", errors=[FieldError("/from", "must not be after to")])
    spanned = count if count is not None else (last - first).days + 1
    if spanned > most:
        raise Unprocessable(
            f"At most {most} {unit} at a time.",
            errors=[FieldError("/from", f"at most {most} {unit} before to")],
        )
