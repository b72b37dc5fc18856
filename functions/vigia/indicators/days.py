"""Local days in the city's time zone: a day is local midnight to local midnight, 23, 24 or 25 hours long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vigia.errors import FieldError, InvalidRequest


@dataclass(frozen=True)
class DayWindow:
    """[start, end) in UTC: every instant whose local date (in `time_zone`) is `day`."""

    day: date
    time_zone: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC.

    Wall-clock arithmetic is wrong across a DST change, so this goes through UTC: fold=0 is the first
    of two midnights when the clocks fall back over midnight, and when midnight does not exist (a zone
    that springs forward at 24:00, e.g. America/Santiago in September) Python reads the skipped 00:00 with
    the offset in force before the change, which is exactly the instant the local day begins.
    """
    return datetime.combine(day, time(0, 0), zone).astimezone(UTC)


def day_window(day: date, time_zone: str) -> DayWindow:
    zone = ZoneInfo(time_zone)
    return DayWindow(day, time_zone, local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone))


def local_today(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def previous_local_day(now: datetime, time_zone: str) -> date:
    """The last complete local day at `now` (at 03:00 city time: yesterday, whatever DST did overnight)."""
    return local_today(now, time_zone) - timedelta(days=1)


def parse_day(text: object, field: str = "/date") -> date:
    """A YYYY-MM-DD date, or 400 naming the field."""
    if isinstance(text, str) and len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InvalidRequest(
        f"{field.lstrip('/')} must be a date as YYYY-MM-DD.",
        errors=[FieldError(field, "expected a date as YYYY-MM-DD")],
    )


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def catch_up_days(last_completed: date | None, yesterday: date, max_days: int) -> list[date]:
    """The days a nightly run owes, oldest first: after the ledger's last completed day up to yesterday.

    No ledger yet (a first deployment) means yesterday only; a ledger further behind than `max_days`
    resumes `max_days` before yesterday (older days stay available to `POST /v1/indicator-runs`).
    """
    if last_completed is None or last_completed >= yesterday:
        return [] if last_completed is not None else [yesterday]
    first = max(last_completed + timedelta(days=1), yesterday - timedelta(days=max_days - 1))
    return days_between(first, yesterday)
