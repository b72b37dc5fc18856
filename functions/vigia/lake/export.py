"""The rows of each daily lake table for one local date, from the stores the nightly indicators read (pure:
the stores and the Parquet encoder are handed in), and `export_day`, which rewrites that date's partitions.

What is protected here, in one place:
- alerts keep no sender, note, phone, address or coordinates (AlertFacts never carries them);
- a silent alert, and any alert of a type the city pack seals, is only counted per quadrant: its row has no
  id, time, type, block, status or deliveries, so nothing in the lake says who, what, where or when within
  the day; it is no incident either;
- the indicators are the published rows, small cells withheld as the API and the open-data files show them;
- surveys are tallies per quadrant, never an answer;
- reports keep no reporter, text, address or coordinates: type, quadrant, local hour, declared gender.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from vigia.indicators.days import day_window
from vigia.indicators.facts import AlertFacts, PatrolDay, SurveyTally
from vigia.indicators.frame import CityFrame
from vigia.lake.tables import DAILY, INDICATORS, partition_key

Row = dict[str, Any]
NO_QUADRANT = "#none"


class AlertDays(Protocol):
    def alerts_on(self, day: date) -> Any: ...  # vigia.indicators.service.DayRead


class PatrolDays(Protocol):
    def patrol_day(self, day: date) -> PatrolDay | None: ...
    def surveys_on(self, day: date) -> dict[str, SurveyTally]: ...


class PublishedIndicators(Protocol):
    def published(self, day: str, *, zone: str | None, type_: str | None) -> list[dict[str, Any]]: ...
    def run_record(self, day: str) -> dict[str, Any] | None: ...


class ReportDays(Protocol):
    def reports_between(self, start: datetime, end: datetime) -> Iterable[Any]: ...  # vigia.reports.Report


class LakeSink(Protocol):
    def put(self, key: str, body: bytes) -> None: ...


Encoder = Callable[[str, Iterable[Mapping[str, Any]]], bytes]  # table name, rows → the file's bytes


# ---------------------------------------------------------------- rows, per table
def _sealed(alert: AlertFacts, frame: CityFrame) -> bool:
    return alert.silent or frame.type_info(alert.type, alert.silent).silent


def alert_rows(alerts: Sequence[AlertFacts], frame: CityFrame) -> list[Row]:
    """One row per non-silent alert, then one per quadrant holding the day's silent alerts (their number)."""
    rows: list[Row] = []
    silent: Counter[str] = Counter()
    for a in alerts:
        if _sealed(a, frame):
            silent[a.quadrant_id or NO_QUADRANT] += 1
            continue
        rows.append(
            {
                "alert_id": a.alert_id,
                "received_at": a.created_at,
                "type": a.type,
                "silent": False,
                "alerts": 1,
                "block_id": a.block_id,
                "quadrant_id": a.quadrant_id or NO_QUADRANT,
                "status": a.status,
                "raised_abroad_in": a.raised_abroad_in,
                "visitor_from": a.visitor_from,
                "sirens_sounded": a.sirens_sounded,
                "neighbour_messages": a.neighbour_messages,
            }
        )
    rows.extend({"silent": True, "alerts": n, "quadrant_id": q} for q, n in sorted(silent.items()))
    return rows


def incident_rows(alerts: Sequence[AlertFacts], frame: CityFrame) -> list[Row]:
    """Every non-silent alert raised here, with its times (one forwarded to a partner is the partner's)."""
    return [
        {
            "alert_id": a.alert_id,
            "type": a.type,
            "block_id": a.block_id,
            "quadrant_id": a.quadrant_id or NO_QUADRANT,
            "status": a.status,
            "received_at": a.created_at,
            "assigned_at": a.assigned_at,
            "on_scene_at": a.on_scene_at,
            "resolved_at": a.resolved_at,
            "dispatch_time_s": a.dispatch_time_s,
            "response_time_s": a.response_time_s,
            "met_target": a.met_target,
            "cancelled": a.cancelled,
            "false_alarm": a.false_alarm,
        }
        for a in alerts
        if not _sealed(a, frame) and a.raised_abroad_in is None
    ]


def patrol_rows(patrol: PatrolDay | None) -> list[Row]:
    if patrol is None:
        return []
    return [
        {
            "quadrant_id": q,
            "planned_min": planned,
            "done_min": done,
            "compliance": round(done / planned, 3) if planned else None,
        }
        for q, (planned, done) in sorted(patrol.minutes.items())
    ]


def survey_rows(tallies: Mapping[str, SurveyTally]) -> list[Row]:
    return [
        {"quadrant_id": q, "responses": t.responses, "answers": t.answers, "favourable": t.favourable}
        for q, t in sorted(tallies.items())
    ]


_INDICATOR_COLUMNS = tuple(c for c in INDICATORS.columns if c.name != "held_back")


def indicator_rows(published: Iterable[Mapping[str, Any]]) -> list[Row]:
    """The published rows, typed: a held-back figure ("<5", "x") becomes null and is named in held_back."""
    rows: list[Row] = []
    for p in published:
        row: Row = {}
        held: list[str] = []
        for column in _INDICATOR_COLUMNS:
            value = p.get(column.name)
            if isinstance(value, str) and column.type in ("int", "double"):
                held.append(f"{column.name}={value}")
                value = None
            row[column.name] = value
        row["held_back"] = ";".join(held) or None
        rows.append(row)
    return rows


# ---------------------------------------------------------------- one day
@dataclass(frozen=True)
class DayExport:
    date: str
    rows: Mapping[str, int]  # table → rows written
    keys: Mapping[str, str]  # table → the partition's file
    indicators_computed: bool  # False: the day's indicators were never computed, so no indicators file

    def view(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "rows": dict(self.rows),
            "keys": dict(self.keys),
            "indicators_computed": self.indicators_computed,
        }


def report_rows(reports: Iterable[Any], time_zone: str) -> list[Row]:
    """One row per report received in the day, minimised (vigia.reports.rules says hour and time of day)."""
    from vigia.reports.rules import local_hour, local_month, time_of_day

    return [
        {
            "type": r.type,
            "department": r.department,
            "unsafe_place": r.unsafe_place,
            "quadrant_id": r.quadrant_id or NO_QUADRANT,
            "local_hour": local_hour(r, time_zone),
            "month": local_month(r, time_zone),
            "time_of_day": time_of_day(r, time_zone),
            "declared_gender": r.declared_gender,
            "status": r.status,
            "channel": r.channel,
        }
        for r in sorted(reports, key=lambda r: (r.created_at, r.report_id))
    ]


def day_tables(
    day: date,
    *,
    frame: CityFrame,
    alerts: AlertDays,
    patrol: PatrolDays | None,
    indicators: PublishedIndicators,
    reports: ReportDays | None = None,
) -> tuple[dict[str, list[Row]], bool]:
    """Every daily table's rows for `day` (the alerts whose received time is in the local day, as the
    indicators count them), and whether the day's indicators were computed."""
    window = day_window(day, frame.time_zone)
    inside = sorted(
        (a for a in alerts.alerts_on(day).alerts if window.contains(a.created_at)),
        key=lambda a: (a.created_at, a.alert_id),
    )
    computed = indicators.run_record(day.isoformat()) is not None
    published = indicators.published(day.isoformat(), zone=None, type_=None) if computed else []
    tables = {
        "alerts": alert_rows(inside, frame),
        "incidents": incident_rows(inside, frame),
        "patrol_dosage": patrol_rows(patrol.patrol_day(day) if patrol else None),
        "surveys": survey_rows(patrol.surveys_on(day) if patrol else {}),
        "reports": report_rows(
            reports.reports_between(window.start, window.end) if reports else (), frame.time_zone
        ),
        "indicators": indicator_rows(published),
    }
    return tables, computed


def export_day(
    day: date,
    *,
    frame: CityFrame,
    alerts: AlertDays,
    patrol: PatrolDays | None,
    indicators: PublishedIndicators,
    lake: LakeSink,
    encode: Encoder,
    reports: ReportDays | None = None,
) -> DayExport:
    """Rewrites the date's partition of every daily table whole (one file each, with no rows when the day had
    nothing), so running it twice, or after a late correction, leaves exactly one current copy.

    A day whose indicators were never computed gets no indicators file (an empty one would read as a day
    with no rows at all); the next export after `make indicators` writes it."""
    tables, computed = day_tables(
        day, frame=frame, alerts=alerts, patrol=patrol, indicators=indicators, reports=reports
    )
    keys = {}
    for name in DAILY:
        if name == "indicators" and not computed:
            continue
        key = partition_key(name, frame.city_id, day.isoformat())
        lake.put(key, encode(name, tables[name]))
        keys[name] = key
    return DayExport(day.isoformat(), {n: len(tables[n]) for n in keys}, keys, computed)
