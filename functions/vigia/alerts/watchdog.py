"""The watchdog: alerts still `received` past a threshold (the relay stalled, or its record was lost) are
re-published once, the way the relay would have, and counted so an alarm goes off.

"Once" is a conditional write on the alert (still `received`, never re-published) taken before the
publish; a publish that fails gives the claim back, so the next run tries again. Dispatch and the silent
router are idempotent, so an alert the relay also delivers late is still fanned out once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from vigia import clock
from vigia.alerts.relaying import SILENT

THRESHOLD_S = 120  # an alert is relayed within seconds; two minutes in `received` means it stalled
LOOKBACK_S = 86_400  # older stalls are the IteratorAge alarm's and the operators' (docs/dispatch.md)


@dataclass(frozen=True)
class Window:
    """Alerts created in [since, until] (UTC ISO text), found by their local dates."""

    local_dates: tuple[str, ...]
    since: str
    until: str


def stalled_window(now: datetime, *, time_zone: str, threshold_s: int, lookback_s: int) -> Window:
    until, since = now - timedelta(seconds=threshold_s), now - timedelta(seconds=max(lookback_s, threshold_s))
    first, last = clock.local_date(since, time_zone), clock.local_date(until, time_zone)
    dates, day = [first], datetime.fromisoformat(first).date()
    while dates[-1] < last:
        day += timedelta(days=1)
        dates.append(day.isoformat())
    return Window(tuple(dates), clock.iso(since), clock.iso(until))


class StalledAlerts(Protocol):
    def received(self, local_date: str, *, since: str, until: str) -> Iterable[Mapping[str, Any]]:
        """Alerts of that local date created in [since, until], still `received` and never re-published,
        as the stream's new image would show them (an index Query, never a Scan)."""
        ...

    def claim(self, alert_id: str, *, at: str) -> bool:
        """Marks the alert re-published if it is still `received` and was not; False otherwise."""
        ...

    def release(self, alert_id: str) -> None:
        """Gives a claim back after a failed publish."""
        ...


@dataclass
class Report:
    found: int = 0
    republished: list[str] = field(default_factory=list)
    silent: int = 0  # of the republished, how many went to the Silent queue
    failed: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "republished": len(self.republished),
            "silent": self.silent,
            "failed": len(self.failed),
            "alert_ids": self.republished,
        }


def republish_stalled(
    window: Window, *, store: StalledAlerts, relay: Callable[[Mapping[str, Any]], str], now: datetime
) -> Report:
    report, at = Report(), clock.iso(now)
    for local_date in window.local_dates:
        for image in store.received(local_date, since=window.since, until=window.until):
            report.found += 1
            alert_id = str(image["pk"])
            if not store.claim(alert_id, at=at):
                continue  # moved on, or another run got it first
            try:
                kind = relay(image)
            except Exception:
                store.release(alert_id)
                report.failed.append(alert_id)
                continue
            report.republished.append(alert_id)
            report.silent += kind == SILENT
    return report
