"""The files a night publishes: indicators.csv, indicators.json and feed.json, byte for byte reproducible.

Nothing in them depends on when or where they were made (no generation time, no run id): rows in a
fixed order (city, quadrants, blocks; `all` first, then types by code), keys in a fixed order, numbers
written by one formatter, UTF-8 and "\\n" line ends. Re-running a day over the same records gives the
same bytes, so a partner can compare checksums instead of files.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from vigia.cells import spreadsheet_safe
from vigia.dispatch.cap import cap_time  # the feed's CAP times are the CAD's
from vigia.indicators.facts import AlertFacts
from vigia.indicators.frame import CityFrame
from vigia.indicators.suppression import WITHHELD, small_marker
from vigia.indicators.table import COLUMNS, DayIndicators

SCHEMA_BASE = "https://vigia.city/schemas/exports"
INDICATORS_SCHEMA = f"{SCHEMA_BASE}/indicators.schema.json"
FEED_SCHEMA = f"{SCHEMA_BASE}/feed.schema.json"
PERCENTILE_METHOD = (
    "Hyndman-Fan type 7 (linear interpolation between closest ranks, as numpy and Excel PERCENTILE.INC);"
    " median = p50; rounded to 0.1 s; published from 5 values up (the threshold)"
)
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"
# The day's files, in the order they are listed (GET /v1/indicators/exports/{date}), with their media types.
EXPORT_FILES = (("indicators.csv", CSV_TYPE), ("indicators.json", JSON_TYPE), ("feed.json", JSON_TYPE))


def file_names() -> tuple[str, str, str]:
    return ("indicators.csv", "indicators.json", "feed.json")


def export_prefix(city_id: str, day: str) -> str:
    return f"indicators/{city_id}/{day}/"


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(day: DayIndicators) -> dict[str, Any]:
    hours = day.window.hours
    return {
        "start": _utc(day.window.start),
        "end": _utc(day.window.end),
        "hours": int(hours) if hours.is_integer() else hours,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return spreadsheet_safe(value)  # zone and type codes: text, never a formula
    return str(value)  # ints, and floats already rounded (repr is the shortest exact form)


def to_csv(day: DayIndicators) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in day.rows:
        writer.writerow([_cell(row.published[c]) for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def _dump(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_json(day: DayIndicators, frame: CityFrame) -> bytes:
    threshold = frame.small_cell_threshold
    document = {
        "$schema": INDICATORS_SCHEMA,
        "city": frame.city_id,
        "city_name": frame.name,
        "date": day.date.isoformat(),
        "time_zone": frame.time_zone,
        "window": _window(day),
        "small_cell_threshold": threshold,
        "response_target_s": frame.response_target_s,
        # rate_per_100k is per the city's (quadrant's, block's) population: say whose, counted when, by whom
        "population": frame.population,
        **frame.population_statement(),
        "markers": {
            small_marker(threshold): f"fewer than {threshold} (the exact number is never published)",
            WITHHELD: f"withheld so a smaller cell cannot be recovered by subtraction; at least {threshold}",
        },
        "percentile_method": PERCENTILE_METHOD,
        "columns": list(COLUMNS),
        "items": [{c: row.published[c] for c in COLUMNS} for row in day.rows],
    }
    return _dump(document)


# ---------------------------------------------------------------- CAP/JSON feed
def _polygon(ring: Sequence[tuple[float, float]]) -> str:
    points = list(ring)
    if points and points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points)


def feed_alert(alert: AlertFacts, frame: CityFrame) -> dict[str, Any]:
    """One alert as CAP 1.2 in JSON: what, when, and which block — no sender, note or coordinates.

    Nor its outcome (cancelled, false alarm, response time): per alert, those would undo the small-cell
    suppression of the indicator files, which publish them only as protected aggregates.
    """
    info = frame.type_info(alert.type)
    block = frame.blocks.get(alert.block_id) if alert.block_id else None
    quadrant_id = block.quadrant_id if block else alert.quadrant_id
    quadrant = frame.quadrants.get(quadrant_id) if quadrant_id else None
    area: dict[str, Any] = {
        "areaDesc": ", ".join(
            x for x in (block.name if block else None, quadrant.name if quadrant else None, frame.name) if x
        )
    }
    if block is not None and len(block.ring) >= 3:
        area["polygon"] = [_polygon(block.ring)]
    geocode = [{"valueName": "vigia:quadrant", "value": quadrant_id}] if quadrant else []
    if block is not None:
        geocode.append({"valueName": "vigia:block", "value": block.block_id})
    if geocode:
        area["geocode"] = geocode
    codes = [{"valueName": "vigia:type", "value": alert.type}]
    if info.iccs:
        codes.append({"valueName": "ICCS", "value": info.iccs})
    return {
        "identifier": f"vigia-{frame.city_id}-{alert.alert_id}",
        "sender": frame.feed_sender,
        "sent": cap_time(alert.created_at, frame.time_zone),
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        "info": [
            {
                "language": frame.locale,
                "category": [info.cap_category],
                "event": info.label or alert.type,
                "urgency": info.cap_urgency,
                "severity": info.cap_severity,
                "certainty": info.cap_certainty,
                "eventCode": codes,
                "area": [area],
            }
        ],
    }


def to_feed(day: DayIndicators, frame: CityFrame) -> bytes:
    silent = {code for code, t in frame.types.items() if t.silent}
    public = [a for a in day.alerts if not a.silent and a.type not in silent]
    document = {
        "$schema": FEED_SCHEMA,
        "city": frame.city_id,
        "date": day.date.isoformat(),
        "time_zone": frame.time_zone,
        "window": _window(day),
        "alerts": [feed_alert(a, frame) for a in public],
    }
    return _dump(document)


def render(day: DayIndicators, frame: CityFrame) -> dict[str, tuple[bytes, str]]:
    """Every file of the day: name → (bytes, content type)."""
    return {
        "indicators.csv": (to_csv(day), CSV_TYPE),
        "indicators.json": (to_json(day, frame), JSON_TYPE),
        "feed.json": (to_feed(day, frame), JSON_TYPE),
    }
