"""What the nightly job and the indicator routes do, given the city frame and the stores (no AWS here)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from vigia import clock
from vigia.errors import FieldError, IdempotencyKeyReused, InvalidRequest, NotFound, Unprocessable
from vigia.indicators.days import catch_up_days, days_between, local_today, parse_day, previous_local_day
from vigia.indicators.exports import EXPORT_FILES, export_prefix, render
from vigia.indicators.facts import AlertFacts, PatrolDay, SurveyTally
from vigia.indicators.frame import CityFrame
from vigia.indicators.stats import CellStats, merge_all
from vigia.indicators.suppression import Sum
from vigia.indicators.table import (
    ALL,
    BLOCK_LEVEL,
    CITY,
    CITY_LEVEL,
    OUTCOMES,
    QUADRANT_LEVEL,
    RAISED_ABROAD,
    Cell,
    DayIndicators,
    Key,
    Row,
    compute_day,
    publish_cells,
    row_order,
)

MAX_RUN_DAYS = 366  # one POST /v1/indicator-runs
MAX_READ_DAYS = 366  # one GET /v1/indicators
MAX_PAGE = 1000


# ---------------------------------------------------------------- ports
@dataclass(frozen=True)
class DayRead:
    alerts: list[AlertFacts]
    items_read: int  # alert items plus delivery items: what DynamoDB read for the day


class AlertSource(Protocol):
    def alerts_on(self, day: date) -> DayRead: ...


class PatrolSource(Protocol):
    def patrol_day(self, day: date) -> PatrolDay | None: ...
    def surveys_on(self, day: date) -> dict[str, SurveyTally]: ...


@dataclass(frozen=True)
class StoredCell:
    zone_level: str
    zone: str
    type: str
    stats: CellStats
    published: Mapping[str, Any] = field(default_factory=dict, hash=False)  # the row as that day showed it
    listed: bool = True  # False: a sealed type's day total, kept only for the month's summary


class IndicatorsStore(Protocol):
    def replace_day(self, day: str, rows: Sequence[Row], run: Mapping[str, Any]) -> None: ...
    def published(self, day: str, *, zone: str | None, type_: str | None) -> list[dict[str, Any]]: ...
    def cells(self, day: str, zone: str) -> list[StoredCell]: ...
    def run_record(self, day: str) -> dict[str, Any] | None: ...
    def last_completed(self) -> date | None: ...
    def mark_completed(self, day: date, at: str) -> None: ...


class ExportSink(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...


class ExportLinks(Protocol):
    def link(self, key: str, filename: str, expires_s: int) -> str:
        """A GET URL of the exported file that needs no credentials and stops working after expires_s."""
        ...


class RunQueue(Protocol):
    def enqueue(self, run_id: str, days: Sequence[str]) -> None: ...


class Claims(Protocol):
    def claim(self, key: str, request_hash: str, resource_id: str) -> tuple[str, str] | None:
        """None when the key is new (now ours); the first (request hash, resource id) otherwise."""
        ...


# ---------------------------------------------------------------- running a day
@dataclass(frozen=True)
class RunReport:
    date: str
    alerts: int
    items_read: int
    rows: int
    outside_window: int
    files: Mapping[str, str] = field(hash=False)  # name → sha256

    def view(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "alerts": self.alerts,
            "items_read": self.items_read,
            "rows": self.rows,
            "outside_window": self.outside_window,
            "files": dict(self.files),
        }


def compute(
    day: date, frame: CityFrame, alerts: AlertSource, patrol: PatrolSource | None
) -> tuple[DayIndicators, int]:
    read = alerts.alerts_on(day)
    indicators = compute_day(
        day,
        read.alerts,
        frame,
        patrol=patrol.patrol_day(day) if patrol else None,
        surveys=patrol.surveys_on(day) if patrol else None,
    )
    return indicators, read.items_read


def run_day(
    day: date,
    *,
    frame: CityFrame,
    alerts: AlertSource,
    patrol: PatrolSource | None,
    store: IndicatorsStore,
    sink: ExportSink,
    source: str,
    now: datetime,
) -> RunReport:
    """Computes one local day and overwrites whatever an earlier run left for it: files, then rows."""
    indicators, items_read = compute(day, frame, alerts, patrol)
    files = render(indicators, frame)
    prefix = export_prefix(frame.city_id, day.isoformat())
    for name, (body, content_type) in files.items():
        sink.put(prefix + name, body, content_type)
    report = RunReport(
        date=day.isoformat(),
        alerts=len(indicators.alerts),
        items_read=items_read,
        rows=len(indicators.rows),
        outside_window=indicators.outside_window,
        files={name: hashlib.sha256(body).hexdigest() for name, (body, _) in files.items()},
    )
    store.replace_day(
        day.isoformat(),
        indicators.rows + indicators.sealed,
        {
            **report.view(),
            "source": source,
            "computed_at": now.isoformat(timespec="seconds"),
            "prefix": prefix,
        },
    )
    return report


def nightly(
    now: datetime,
    *,
    frame: CityFrame,
    alerts: AlertSource,
    patrol: PatrolSource | None,
    store: IndicatorsStore,
    sink: ExportSink,
    max_days: int,
    has_time: Callable[[], bool] = lambda: True,
) -> list[RunReport]:
    """Every day owed since the ledger's last completed day, oldest first, up to yesterday (city time).

    The ledger moves after each day, so a run cut short (timeout, an error) resumes where it stopped
    the next time, and a night the schedule missed is computed by the next night's run.
    """
    owed = catch_up_days(store.last_completed(), previous_local_day(now, frame.time_zone), max_days)
    reports: list[RunReport] = []
    for day in owed:
        if reports and not has_time():
            break
        reports.append(
            run_day(
                day,
                frame=frame,
                alerts=alerts,
                patrol=patrol,
                store=store,
                sink=sink,
                source="nightly",
                now=now,
            )
        )
        store.mark_completed(day, now.isoformat(timespec="seconds"))
    return reports


# ---------------------------------------------------------------- requests for runs
def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def run_days(body: Mapping[str, Any], frame: CityFrame, now: datetime) -> list[date]:
    """The dates a run request names ({date} or {from, to}), each a complete local day."""
    if "date" in body and ("from" in body or "to" in body):
        raise InvalidRequest(
            "Give either date, or from and to, not both.",
            errors=[FieldError("/date", "not together with from and to")],
        )
    if "date" in body:
        first = last = parse_day(body["date"], "/date")
    else:
        first, last = parse_day(body.get("from"), "/from"), parse_day(body.get("to"), "/to")
    clock.check_period(first, last, most=MAX_RUN_DAYS)
    yesterday = previous_local_day(now, frame.time_zone)
    if last > yesterday:
        field_name = "/date" if "date" in body else "/to"
        raise Unprocessable(
            f"{last.isoformat()} is not over yet in {frame.time_zone}; the latest day is {yesterday}.",
            errors=[FieldError(field_name, f"must be {yesterday.isoformat()} or earlier")],
        )
    return days_between(first, last)


def request_runs(
    body: Mapping[str, Any],
    *,
    frame: CityFrame,
    queue: RunQueue,
    claims: Claims,
    run_id: str,
    now: datetime,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """Queues one run per date; the answer names the run and its dates. A retry with the same key replays."""
    days = [d.isoformat() for d in run_days(body, frame, now)]
    if idempotency_key is not None:
        prior = claims.claim(idempotency_key, request_hash(dict(body)), run_id)
        if prior is not None:
            if prior[0] != request_hash(dict(body)):
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used with a different request.",
                    errors=[FieldError("/Idempotency-Key", "already used with another body")],
                )
            return {"run_id": prior[1], "status": "queued", "dates": days}
    queue.enqueue(run_id, days)
    return {"run_id": run_id, "status": "queued", "dates": days}


# ---------------------------------------------------------------- reading
def known_zone(frame: CityFrame, zone: str | None) -> str | None:
    if zone is None or zone == CITY or zone in frame.quadrants or zone in frame.blocks:
        return zone
    raise InvalidRequest(
        f"Unknown zone {zone}.",
        errors=[FieldError("/zone", "expected city, a quadrant id or a block id of the city pack")],
    )


def known_type(frame: CityFrame, type_: str | None) -> str | None:
    if type_ is None or type_ == ALL or type_ in frame.types:
        return type_
    raise InvalidRequest(
        f"Unknown alert type {type_}.",
        errors=[FieldError("/type", f"expected all or one of {', '.join(sorted(frame.types))}")],
    )


def _cursor(day: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([day, offset]).encode()).decode().rstrip("=")


def _uncursor(text: str) -> tuple[date, int]:
    try:
        day, offset = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(offset)
        return parse_day(day), offset
    except (ValueError, TypeError, binascii.Error, InvalidRequest):
        # 422: it has the document's shape, but no page of this API starts there
        raise Unprocessable(
            "The cursor is not one this API gave.",
            errors=[FieldError("/cursor", "use the `next` value as is")],
        ) from None


def read_indicators(
    params: Mapping[str, str | None], *, frame: CityFrame, store: IndicatorsStore, now: datetime
) -> dict[str, Any]:
    """GET /v1/indicators: one item per date × zone × type in [from, to], in the exports' order, paged.

    Without `zone` every zone is listed; `zone=city&type=all` is the city's totals. A page holds at
    most `limit` items (default and most 1000); `next`, when present, is the `cursor` of the next page.
    """
    yesterday = previous_local_day(now, frame.time_zone)
    last = parse_day(params["to"], "/to") if params.get("to") else yesterday
    first = parse_day(params["from"], "/from") if params.get("from") else last
    clock.check_period(first, last, most=MAX_READ_DAYS)
    zone = known_zone(frame, params.get("zone"))
    type_ = known_type(frame, params.get("type"))
    limit = _limit(params.get("limit"))
    start, skip = (first, 0)
    if params.get("cursor"):
        start, skip = _uncursor(str(params["cursor"]))
    items: list[dict[str, Any]] = []
    next_cursor = None
    for day in days_between(max(first, start), last):
        text = day.isoformat()
        rows = store.published(text, zone=zone, type_=type_)
        rows.sort(key=lambda r: row_order(r["zone_level"], r["zone"], r["type"]))
        offset = skip if day == start else 0
        room = limit - len(items)
        items.extend(rows[offset : offset + room])
        if offset + room < len(rows):
            next_cursor = _cursor(text, offset + room)
            break
        if len(items) == limit and day < last:
            next_cursor = _cursor((day + timedelta(days=1)).isoformat(), 0)
            break
    answer: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        **frame.population_statement(),  # what rate_per_100k is per
        "items": items,
    }
    if next_cursor:
        answer["next"] = next_cursor
    return answer


def _limit(text: str | None) -> int:
    if text is None:
        return MAX_PAGE
    if text.isdigit() and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    raise InvalidRequest(
        f"limit must be a whole number from 1 to {MAX_PAGE}.",
        errors=[FieldError("/limit", f"1 to {MAX_PAGE}")],
    )


def period_days(period: str | None, anchor: date) -> tuple[date, date]:
    """week: the ISO week (Monday to Sunday) holding `anchor`; month: its calendar month."""
    if period in (None, "week"):
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    raise InvalidRequest(
        "period must be week or month.", errors=[FieldError("/period", "expected week or month")]
    )


def summary(
    params: Mapping[str, str | None], *, frame: CityFrame, store: IndicatorsStore, now: datetime
) -> dict[str, Any]:
    """GET /v1/indicators/summary: a zone's week or month, from the nights' exact figures.

    Public alert counts are exact (the days' feeds list every such alert). An outcome (cancellations,
    false alarms, sirens, neighbour messages) or survey count is published only when every day under it
    published its own, so the summary adds no equation the days had not (docs/indicators.md, rule 4).
    Silent types appear only in the city's summary of a whole month that is over and computed every day.
    """
    yesterday = previous_local_day(now, frame.time_zone)
    anchor = parse_day(params["date"], "/date") if params.get("date") else yesterday
    period = params.get("period")
    first, last = period_days(period, anchor)
    zone = known_zone(frame, params.get("zone")) or CITY
    type_ = known_type(frame, params.get("type"))
    merged: dict[str, list[CellStats]] = {}
    shown: dict[str, list[Mapping[str, Any]]] = {}
    level = _level(frame, zone)
    computed: list[str] = []
    missing: list[str] = []
    for day in days_between(first, last):
        found = store.cells(day.isoformat(), zone) if day <= yesterday else []
        # A block has rows only on days with an alert: a night without them still counts as computed.
        ran = bool(found) or (day <= yesterday and store.run_record(day.isoformat()) is not None)
        (computed if ran else missing).append(day.isoformat())
        for c in found:
            merged.setdefault(c.type, []).append(c.stats)
            if c.listed:
                shown.setdefault(c.type, []).append(c.published)
    silent = {code for code, t in frame.types.items() if t.silent}
    public = [c for c in sorted(set(frame.types) | (set(merged) - {ALL})) if c not in silent]
    threshold = frame.small_cell_threshold
    population = _population(frame, zone)
    whole_month = period == "month" and zone == CITY and last <= yesterday and not missing
    sealed = [
        c
        for c in sorted(silent)
        if whole_month and merge_all(merged.get(c, [])).count >= threshold  # below: not listed at all
    ]
    codes = sorted(public + sealed)
    stats = {c: merge_all(merged.get(c, [])) for c in codes}
    cells = [
        Cell(level, zone, ALL, _joined(frame, codes), population, merge_all(stats.values())),
        *(Cell(level, zone, c, frame.type_info(c).iccs, population, stats[c]) for c in codes),
    ]
    withheld: dict[str, set[Key]] = {"count": set()}
    for name in (*OUTCOMES, RAISED_ABROAD, "survey_responses"):
        # A public type (and `all`) over the period: known exactly when each of its days was.
        hidden = {(zone, c) for c in [ALL, *public] if not all(_exact(row, name) for row in shown.get(c, []))}
        # A sealed type of a whole month: its own cell, in no other equation (no day, no `all` of a day).
        for code in sealed:
            s = stats[code]
            value = int(getattr(s, name) or 0)
            small = value < threshold or (name == "false_alarms" and s.count - s.false_alarms < threshold)
            never_any = ("sirens_sounded", "neighbour_messages", RAISED_ABROAD)  # silent: none, or not here
            if name not in never_any and small:
                hidden.add((zone, code))
        if hidden & {(zone, code) for code in sealed}:
            hidden.add((zone, ALL))  # `all` minus its exact parts would give the sealed one back
        withheld[name] = hidden
    sums = [Sum((zone, ALL), tuple((zone, c) for c in codes))]
    label = f"{first.isoformat()}/{last.isoformat()}"
    published = publish_cells(cells, sums, threshold, label, withheld=withheld)
    items = [published[c.key] for c in cells if type_ is None or c.type == type_]
    return {
        "period": period or "week",
        "from": first.isoformat(),
        "to": last.isoformat(),
        "zone": zone,
        "dates_computed": computed,
        "dates_missing": missing,
        **frame.population_statement(),  # what rate_per_100k is per
        "items": items,
    }


def _exact(row: Mapping[str, Any], name: str) -> bool:
    """Whether a day's published row gave `name` exactly (a false alarm count: through its share)."""
    if name == "false_alarms":
        return row.get("count") == 0 or row.get("false_alarm_share") is not None
    value = row.get(name)
    return value is None or isinstance(value, int)


def _level(frame: CityFrame, zone: str) -> str:
    if zone == CITY:
        return CITY_LEVEL
    return QUADRANT_LEVEL if zone in frame.quadrants else BLOCK_LEVEL


def _population(frame: CityFrame, zone: str) -> int:
    if zone == CITY:
        return frame.population
    if zone in frame.quadrants:
        return frame.quadrants[zone].population
    return frame.blocks[zone].population


def _joined(frame: CityFrame, codes: Sequence[str]) -> str | None:
    known = sorted({c for c in (frame.type_info(t).iccs for t in codes) if c})
    return ";".join(known) if known else None


def today(frame: CityFrame, now: datetime) -> date:
    return local_today(now, frame.time_zone)


def export_links(
    day_text: str,
    *,
    frame: CityFrame,
    store: IndicatorsStore,
    links: ExportLinks,
    expires_s: int,
    now: datetime,
) -> dict[str, Any]:
    """GET /v1/indicators/exports/{date}: the day's three files as short-lived links, 404 for a day not run.

    The run record (written after the files) is what says a day was exported: a day never run, still
    running or in the future has none.
    """
    parsed = parse_day(day_text, "/date")
    if not 2000 <= parsed.year <= 2099:  # the document's date: a year outside is a 400, as in a query
        raise InvalidRequest(
            "date must be a date from 2000 to 2099.", errors=[FieldError("/date", "years 2000-2099")]
        )
    day = parsed.isoformat()
    run = store.run_record(day)
    if run is None:
        raise NotFound(
            f"The indicators of {day} have not been exported; an admin can run them: POST /v1/indicator-runs."
        )
    prefix = str(run.get("prefix") or export_prefix(frame.city_id, day))
    hashes = run.get("files") or {}
    return {
        "date": day,
        "computed_at": run.get("computed_at"),
        "expires_at": clock.iso(now + timedelta(seconds=expires_s)),
        "files": [
            {
                "name": name,
                "media_type": media_type,
                "sha256": hashes.get(name),
                "url": links.link(prefix + name, f"{frame.city_id}-{day}-{name}", expires_s),
            }
            for name, media_type in EXPORT_FILES
        ],
    }
