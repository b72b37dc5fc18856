"""A resident's report from submission to closing: the /v1 and Open311 doors both come here."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from vigia import clock
from vigia.city.model import CityPack
from vigia.errors import Conflict, FieldError, InvalidRequest, NotFound, OutsideServiceArea, Unprocessable
from vigia.reports import rules
from vigia.reports.catalogue import Catalogue
from vigia.reports.rules import Report


class WindowMoved(Exception):
    """Another report of the same resident was accepted between the window's read and this write."""


@dataclass(frozen=True)
class Window:
    key: str
    sent: tuple[str, ...] = ()
    version: int = 0
    span_s: int = 0


class ReportStore(Protocol):
    def window(self, key: str) -> Window: ...

    def create(self, report: Report, window: Window) -> None:
        """Stores the report and the window moved on, atomically; WindowMoved if the window changed."""
        ...

    def get(self, report_id: str) -> Report | None: ...

    def save(self, report: Report, *, was_status: str) -> bool:
        """Writes the report if it is still in `was_status` (False: someone changed it first)."""
        ...

    def of_reporter(self, reporter_id: str, limit: int) -> list[Report]: ...

    def in_month(self, month: str) -> list[Report]: ...


def window_key(reporter_id: str) -> str:
    return f"window#report#{reporter_id}"


def submit(
    body: dict[str, Any],
    *,
    reporter_id: str,
    channel: str,
    pack: CityPack,
    cat: Catalogue,
    store: ReportStore,
    now: datetime,
    fields: dict[str, str] | None = None,
) -> Report:
    """A resident's report, checked against the city's words and limit; `fields` names each body field as the
    caller sent it (Open311's `service_code`, `long`), so a problem points at what she wrote."""
    name = {"type": "/type", "lat": "/location/lat", "lon": "/location/lon", "description": "/description"}
    name.update(fields or {})
    code = str(body["type"])
    if code not in cat.types:
        raise InvalidRequest(
            f"Unknown report type {code[:64]!r}; this city takes: {', '.join(cat.types)}.",
            errors=[FieldError(name["type"], f"one of {', '.join(cat.types)}")],
        )
    description = str(body.get("description") or "")
    word = rules.emergency_word(description, cat.emergency_words)
    if word is not None:
        raise Unprocessable(
            f"This sounds like an emergency ({word!r}). Reports are not read at once: use the alert button "
            f"in the app, or call {cat.helpline}.",
            errors=[
                FieldError(name["description"], f"describes an emergency ({word!r}): use the alert button")
            ],
            use="POST /v1/alerts",
        )
    lat, lon = float(body["lat"]), float(body["lon"])
    if not pack.in_service_area(lat, lon):
        raise OutsideServiceArea(
            "That place is outside the city's service area.",
            errors=[FieldError(name["lat"], "outside the service area")],
        )
    quadrant = pack.quadrant_at(lat, lon)
    kind = cat.types[code]
    for attempt in range(cat.limit.max_reports + 3):
        window = store.window(window_key(reporter_id))
        sent = rules.admit(window.sent, now=now, limit=cat.limit)
        report = Report(
            report_id=clock.new_id(now),
            reporter_id=reporter_id,
            type=code,
            department=kind.department,
            unsafe_place=kind.unsafe_place,
            lat=lat,
            lon=lon,
            quadrant_id=quadrant.quadrant_id if quadrant else None,
            description=description,
            created_at=clock.iso(now),
            time_of_day=body.get("time_of_day"),
            declared_gender=body.get("declared_gender"),
            address=body.get("address"),
            channel=channel,
        )
        try:
            store.create(report, Window(window.key, sent, window.version, cat.limit.window_s))
        except WindowMoved:
            time.sleep(0.005 * (attempt + 1))
            continue
        return report
    raise Conflict("Your report could not be stored just now; send it again.")


def own(report_id: str, reporter_id: str, store: ReportStore) -> Report:
    """Her report; another's, or none, is absent (404)."""
    found = store.get(report_id)
    if found is None or found.reporter_id != reporter_id:
        raise NotFound("No such report.")
    return found


def read(report_id: str, store: ReportStore) -> Report:
    found = store.get(report_id)
    if found is None:
        raise NotFound("No such report.")
    return found


def months(start: datetime, end: datetime) -> list[str]:
    """Every YYYY-MM (UTC) from start to end, newest first."""
    out, cursor = [], end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while cursor >= start.replace(day=1, hour=0, minute=0, second=0, microsecond=0):
        out.append(cursor.strftime("%Y-%m"))
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return out


def between(store: ReportStore, start: datetime, end: datetime) -> list[Report]:
    """Every report received from start to end (both included), newest first."""
    since, until = clock.iso(start), clock.iso(end)
    found = [r for m in months(start, end) for r in store.in_month(m) if since <= r.created_at <= until]
    return sorted(found, key=lambda r: r.created_at, reverse=True)


def listed(
    store: ReportStore,
    *,
    start: datetime,
    end: datetime,
    types: Sequence[str] = (),
    statuses: Sequence[str] = (),
    department: str | None = None,
    quadrant: str | None = None,
    limit: int = 200,
) -> list[Report]:
    found: Iterable[Report] = between(store, start, end)
    return [
        r
        for r in found
        if (not types or r.type in types)
        and (not statuses or r.status in statuses)
        and (department is None or r.department == department)
        and (quadrant is None or r.quadrant_id == quadrant)
    ][:limit]


def route_to(
    report_id: str,
    department: str,
    note: str,
    *,
    cat: Catalogue,
    store: ReportStore,
    by_role: str,
    now: datetime,
) -> Report:
    if department not in cat.departments:
        raise InvalidRequest(
            f"Unknown department {department[:64]!r}; this city has: {', '.join(cat.departments)}.",
            errors=[FieldError("/department", f"one of {', '.join(cat.departments)}")],
        )
    report = read(report_id, store)
    try:
        changed = rules.routed(report, department, note, by_role=by_role, now=now)
    except ValueError as why:
        raise Conflict(str(why), report_status=report.status) from None
    if not store.save(changed, was_status=report.status):
        raise Conflict("The report changed meanwhile; read it again.")
    return changed


def set_status(
    report_id: str, status: str, note: str, *, store: ReportStore, by_role: str, now: datetime
) -> Report:
    report = read(report_id, store)
    try:
        changed = rules.moved(report, status, note, by_role=by_role, now=now)
    except ValueError as why:
        raise Conflict(
            str(why), report_status=report.status, allowed=sorted(rules.NEXT[report.status])
        ) from None
    if not store.save(changed, was_status=report.status):
        raise Conflict("The report changed meanwhile; read it again.")
    return changed


@dataclass(frozen=True)
class ReportDays:
    """The lake export's reader: the reports received in [start, end) (a local day's window)."""

    store: ReportStore

    def reports_between(self, start: datetime, end: datetime) -> list[Report]:
        until = clock.iso(end)
        return [r for r in between(self.store, start, end) if r.created_at < until]
