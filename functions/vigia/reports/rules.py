"""The rules of residents' reports, pure: what is an emergency, the reports' own limit, the status a report
may move to, and what Open311's public feed may show of one (no reporter, rounded place, small cells)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from vigia import clock
from vigia.errors import TooManyAlerts
from vigia.reports.catalogue import Catalogue, ReportLimit

OPEN, IN_PROGRESS, CLOSED = "open", "in_progress", "closed"
STATUSES = (OPEN, IN_PROGRESS, CLOSED)
# A closed report stays closed: a new problem at the same place is a new report.
NEXT = {OPEN: frozenset({IN_PROGRESS, CLOSED}), IN_PROGRESS: frozenset({OPEN, CLOSED}), CLOSED: frozenset()}
TIMES_OF_DAY = ("morning", "afternoon", "evening", "night")
GENDERS = ("woman", "man", "non_binary", "prefer_not_to_say")
OPEN311_STATUS = {OPEN: "open", IN_PROGRESS: "open", CLOSED: "closed"}
# GeoReport v2's GET requests: without dates, the last 90 days; at most 1000 requests in one answer.
OPEN311_DEFAULT_DAYS = 90
OPEN311_MAX_REQUESTS = 1000


class TooManyReports(TooManyAlerts):
    """A resident's reports past the city's limit (apart from her alerts'); 429 with Retry-After."""

    title, slug = "Too many reports", "too-many-reports"


@dataclass(frozen=True)
class Note:
    at: str
    status: str
    note: str
    by_role: str
    department: str | None = None


@dataclass(frozen=True)
class Report:
    report_id: str
    reporter_id: str
    type: str
    department: str
    unsafe_place: bool
    lat: float
    lon: float
    quadrant_id: str | None
    description: str
    created_at: str
    status: str = OPEN
    time_of_day: str | None = None
    declared_gender: str | None = None
    address: str | None = None
    channel: str = "v1"  # v1 or open311: the door it came in by
    updated_at: str | None = None
    closed_at: str | None = None
    notes: tuple[Note, ...] = field(default=())

    @property
    def month(self) -> str:
        return self.created_at[:7]


# ------------------------------------------------------------------ not an emergency channel
def _plain(text: str) -> str:
    """Lower case, without accents or punctuation: 'Me están ROBANDO!' → 'me estan robando'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def emergency_word(text: str, words: Mapping[str, Iterable[str]]) -> str | None:
    """The pack's word or phrase (of any of its languages) the text holds as whole words, if any."""
    plain = f" {_plain(text)} "
    for phrases in words.values():
        for phrase in phrases:
            if f" {_plain(phrase)} " in plain:
                return phrase
    return None


# ------------------------------------------------------------------ the reports' own limit
def admit(sent: Iterable[str], *, now: datetime, limit: ReportLimit) -> tuple[str, ...]:
    """The window's times with a report accepted `now`, or TooManyReports (Retry-After) if it is full."""
    span = timedelta(seconds=limit.window_s)
    since = clock.iso(now - span)
    recent = sorted(at for at in sent if at > since)
    if len(recent) >= limit.max_reports:
        frees = clock.parse_iso(recent[len(recent) - limit.max_reports])
        retry_after = max(1, math.ceil((frees + span - now).total_seconds()))
        raise TooManyReports(
            f"At most {limit.max_reports} reports in {limit.window_s // 60} minutes; try again in "
            f"{retry_after} s. In an emergency use the alert button.",
            retry_after_s=retry_after,
        )
    return (*recent, clock.iso(now))[-limit.max_reports :]


# ------------------------------------------------------------------ status
def moved(report: Report, status: str, note: str, *, by_role: str, now: datetime) -> Report:
    """The report in `status` with the note on its timeline; ValueError if the step is not allowed."""
    if status not in NEXT[report.status] and not (status == report.status and status != CLOSED):
        raise ValueError(f"A report {report.status} cannot become {status}.")
    at = clock.iso(now)
    return replace(
        report,
        status=status,
        updated_at=at,
        closed_at=at if status == CLOSED else None,
        notes=(*report.notes, Note(at, status, note, by_role)),
    )


def routed(report: Report, department: str, note: str, *, by_role: str, now: datetime) -> Report:
    if report.status == CLOSED:
        raise ValueError("A closed report is not routed again.")
    at = clock.iso(now)
    return replace(
        report,
        department=department,
        updated_at=at,
        notes=(*report.notes, Note(at, report.status, note, by_role, department)),
    )


# ------------------------------------------------------------------ the observatory's view
def local_hour(report: Report, time_zone: str) -> int:
    return clock.parse_iso(report.created_at).astimezone(ZoneInfo(time_zone)).hour


def local_month(report: Report, time_zone: str) -> str:
    return clock.parse_iso(report.created_at).astimezone(ZoneInfo(time_zone)).strftime("%Y-%m")


def time_of_day(report: Report, time_zone: str) -> str:
    """What the resident said, else the part of the day she reported in (local time)."""
    if report.time_of_day:
        return report.time_of_day
    hour = local_hour(report, time_zone)
    return (
        "morning"
        if 6 <= hour < 12
        else "afternoon"
        if hour < 19 and hour >= 12
        else ("evening" if 19 <= hour < 23 else "night")
    )


# ------------------------------------------------------------------ Open311
def cell(report: Report, decimals: int) -> tuple[str, float, float]:
    """The report's month and its place rounded as the public feed shows it."""
    return report.month, round(report.lat, decimals), round(report.lon, decimals)


def cell_counts(reports: Iterable[Report], decimals: int) -> Counter[tuple[str, float, float]]:
    return Counter(cell(r, decimals) for r in reports)


def _hour(at: str | None) -> str | None:
    """A time to the hour (UTC): the public feed never says the minute someone reported."""
    if not at:
        return None
    return clock.parse_iso(at).replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def service(code: str, cat: Catalogue, locale: str | None = None) -> dict[str, Any]:
    """A report type as a GeoReport v2 service."""
    t = cat.types[code]
    return {
        "service_code": code,
        "service_name": cat.label(code, locale),
        "description": cat.label(code, locale),
        "metadata": False,
        "type": "realtime",
        "keywords": "unsafe_place" if t.unsafe_place else "",
        "group": cat.department_name(t.department, locale),
    }


def public_request(
    report: Report, cat: Catalogue, counts: Mapping[tuple[str, float, float], int], locale: str | None = None
) -> dict[str, Any]:
    """A report as GeoReport v2's public service request: no reporter (no id, name, phone, gender, time of
    day), the text only if the city allows, the place rounded, and no place at all in a small cell."""
    decimals = cat.public.location_decimals
    key = cell(report, decimals)
    shown = counts.get(key, 0) >= cat.small_cell_threshold
    last = report.notes[-1].note if report.notes else None
    return {
        "service_request_id": report.report_id,
        "status": OPEN311_STATUS[report.status],
        "status_notes": last if report.status == CLOSED and cat.public.description else None,
        "service_name": cat.label(report.type, locale) if report.type in cat.types else report.type,
        "service_code": report.type,
        "description": report.description if cat.public.description else None,
        "agency_responsible": cat.department_name(report.department, locale)
        if report.department in cat.departments
        else report.department,
        "service_notice": None,
        "requested_datetime": _hour(report.created_at),
        "updated_datetime": _hour(report.updated_at or report.created_at),
        "expected_datetime": None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": key[1] if shown else None,
        "long": key[2] if shown else None,
        "media_url": None,
    }


def own_view(report: Report, cat: Catalogue, locale: str | None = None) -> dict[str, Any]:
    """The report as its reporter (and staff) read it in /v1."""
    return {
        "report_id": report.report_id,
        "type": report.type,
        "label": cat.label(report.type, locale) if report.type in cat.types else report.type,
        "department": report.department,
        "unsafe_place": report.unsafe_place,
        "location": {"lat": report.lat, "lon": report.lon},
        "quadrant_id": report.quadrant_id,
        "description": report.description,
        "time_of_day": report.time_of_day,
        "declared_gender": report.declared_gender,
        "address": report.address,
        "status": report.status,
        "channel": report.channel,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "closed_at": report.closed_at,
        "notes": [
            {k: v for k, v in vars(n).items() if v is not None and (k != "by_role")} for n in report.notes
        ],
    }
