"""Schedule expressions (rate, cron, at) as EventBridge Scheduler reads them, in a time zone."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class ScheduleError(ValueError):
    """An expression the local scheduler cannot read."""


class Schedule:
    expression: str

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after `moment` (an aware datetime), or None when there is none."""
        raise NotImplementedError


@dataclass(frozen=True)
class Rate(Schedule):
    expression: str
    period: timedelta

    def next_after(self, moment: datetime) -> datetime | None:
        return moment + self.period


@dataclass(frozen=True)
class At(Schedule):
    expression: str
    when: datetime

    def next_after(self, moment: datetime) -> datetime | None:
        return self.when if self.when > moment else None


@dataclass(frozen=True)
class _Field:
    values: frozenset[int]
    any: bool = False  # "*" or "?"


@dataclass(frozen=True)
class Cron(Schedule):
    """AWS cron: minutes hours day-of-month month day-of-week year; day-of-week 1-7 is SUN-SAT.
    Supports * ? , - / names, L (last day of month), nL (last weekday n) and n#k (k-th weekday n)."""

    expression: str
    zone: tzinfo
    minutes: _Field
    hours: _Field
    month_days: _Field
    months: _Field
    years: _Field
    week_days: _Field
    last_month_day: bool = False
    last_week_days: frozenset[int] = frozenset()
    nth_week_days: frozenset[tuple[int, int]] = frozenset()

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months.values or day.year not in self.years.values:
            return False
        last = calendar.monthrange(day.year, day.month)[1]
        weekday = (day.isoweekday() % 7) + 1  # SUN=1 … SAT=7
        by_month_day = day.day in self.month_days.values or (self.last_month_day and day.day == last)
        by_week_day = (
            weekday in self.week_days.values
            or (weekday in self.last_week_days and day.day + 7 > last)
            or (weekday, (day.day - 1) // 7 + 1) in self.nth_week_days
        )
        if self.month_days.any and self.week_days.any:
            return True
        if self.month_days.any:
            return by_week_day
        if self.week_days.any:
            return by_month_day
        return by_month_day or by_week_day

    def next_after(self, moment: datetime) -> datetime | None:
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in sorted(self.hours.values):
                    for minute in sorted(self.minutes.values):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
                        # Compared as instants: two datetimes of the same zone compare by wall clock, and
                        # in the hour a fall-back repeats the first 23:30 would pass for later than 23:10.
                        if candidate.astimezone(UTC) > moment.astimezone(UTC):
                            return candidate
            day += timedelta(days=1)
        return None


def parse(expression: str, timezone: str | None = None) -> Schedule:
    text = expression.strip()
    zone = ZoneInfo(timezone or "UTC")
    if rate := _RATE.match(text):
        amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if amount < 1:
            raise ScheduleError(f"{expression}: the rate must be at least 1")
        return Rate(text, timedelta(**{unit + "s": amount}))
    if at := _AT.match(text):
        return At(text, datetime.fromisoformat(at.group(1)).replace(tzinfo=zone))
    if cron := _CRON.match(text):
        return _parse_cron(text, cron.group(1).split(), zone)
    raise ScheduleError(f"{expression!r} is not rate(...), cron(...) or at(...)")


def _parse_cron(expression: str, parts: list[str], zone: tzinfo) -> Cron:
    if len(parts) != 6:
        raise ScheduleError(
            f"{expression}: AWS cron has 6 fields (min hour day-of-month month day-of-week year)"
        )
    minutes, hours, month_days, months, week_days, years = parts
    last_month_day = month_days == "L"
    last_week_days: set[int] = set()
    nth: set[tuple[int, int]] = set()
    plain_week_days = []
    for item in week_days.split(","):
        if "#" in item:
            day, k = item.split("#")
            nth.add((_value(day, _DAYS, expression), int(k)))
        elif item.endswith("L") and len(item) > 1:
            last_week_days.add(_value(item[:-1], _DAYS, expression))
        else:
            plain_week_days.append(item)
    if "W" in month_days:
        raise ScheduleError(f"{expression}: the W (nearest weekday) wildcard is not emulated locally")
    return Cron(
        expression=expression,
        zone=zone,
        minutes=_field(minutes, 0, 59, {}, expression),
        hours=_field(hours, 0, 23, {}, expression),
        month_days=_Field(frozenset()) if last_month_day else _field(month_days, 1, 31, {}, expression),
        months=_field(months, 1, 12, _MONTHS, expression),
        years=_field(years, 1970, 2199, {}, expression),
        week_days=_field(",".join(plain_week_days), 1, 7, _DAYS, expression)
        if plain_week_days
        else _Field(frozenset()),
        last_month_day=last_month_day,
        last_week_days=frozenset(last_week_days),
        nth_week_days=frozenset(nth),
    )


def _value(text: str, names: dict[str, int], expression: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    try:
        return int(text)
    except ValueError:
        raise ScheduleError(f"{expression}: {text!r} is not a number or a name") from None


def _field(text: str, low: int, high: int, names: dict[str, int], expression: str) -> _Field:
    if text in ("*", "?"):
        return _Field(frozenset(range(low, high + 1)), any=True)
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", ""):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-")
            start, end = _value(first, names, expression), _value(last, names, expression)
        else:
            start = _value(base, names, expression)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleError(f"{expression}: {item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return _Field(frozenset(values))
