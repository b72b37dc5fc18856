"""Schedule expressions as EventBridge Scheduler reads them: rate, cron (AWS flavour, in a time zone), at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from infra.local.engine.schedules import ScheduleError, parse

MENDOZA = ZoneInfo("America/Argentina/Mendoza")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MENDOZA)  # type: ignore[misc]


def test_a_rate_fires_every_period() -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    assert parse("rate(5 minutes)").next_after(start) == start + timedelta(minutes=5)
    assert parse("rate(1 hour)").next_after(start) == start + timedelta(hours=1)
    assert parse("rate(2 days)").next_after(start) == start + timedelta(days=2)


def test_the_nightly_cron_fires_at_local_time_in_the_city() -> None:
    nightly = parse("cron(30 3 * * ? *)", "America/Argentina/Mendoza")

    fired = nightly.next_after(local(2026, 3, 1, 12, 0))

    assert fired == local(2026, 3, 2, 3, 30)
    assert fired is not None
    assert fired.astimezone(UTC).hour == 6


def test_cron_lists_ranges_steps_and_names() -> None:
    weekdays = parse("cron(0/15 8-9 ? * MON-FRI *)", "America/Argentina/Mendoza")

    saturday_noon = local(2026, 3, 7, 12, 0)
    assert weekdays.next_after(saturday_noon) == local(2026, 3, 9, 8, 0)  # Monday
    assert weekdays.next_after(local(2026, 3, 9, 8, 0)) == local(2026, 3, 9, 8, 15)
    assert weekdays.next_after(local(2026, 3, 9, 9, 45)) == local(2026, 3, 10, 8, 0)


def test_cron_last_day_and_nth_weekday() -> None:
    assert parse("cron(0 0 L * ? *)").next_after(datetime(2026, 2, 3, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    second_tuesday = parse("cron(0 10 ? * 3#2 *)").next_after(datetime(2026, 3, 1, tzinfo=UTC))
    assert second_tuesday == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    last_friday = parse("cron(0 10 ? * 6L *)").next_after(datetime(2026, 3, 1, tzinfo=UTC))
    assert last_friday == datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


def test_cron_day_of_month_and_month_names() -> None:
    assert parse("cron(0 12 1 JAN,JUL ? *)").next_after(datetime(2026, 2, 1, tzinfo=UTC)) == datetime(
        2026, 7, 1, 12, tzinfo=UTC
    )


def test_at_fires_once() -> None:
    once = parse("at(2026-05-25T10:00:00)", "America/Argentina/Mendoza")

    assert once.next_after(local(2026, 5, 1, 0, 0)) == local(2026, 5, 25, 10, 0)
    assert once.next_after(local(2026, 5, 26, 0, 0)) is None


@pytest.mark.parametrize(
    "expression", ["every day", "cron(0 3 * * *)", "rate(0 minutes)", "cron(0 3 1W * ? *)"]
)
def test_expressions_it_cannot_read_are_errors(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse(expression)
