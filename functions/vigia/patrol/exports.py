"""A schedule as CSV (RFC 4180) for spreadsheets and as iCalendar (RFC 5545) for officers' phones."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime

from vigia.cells import spreadsheet_safe
from vigia.patrol.schedule import Schedule, local_iso

CSV_COLUMNS = (
    "date",
    "unit_id",
    "quadrant_id",
    "stop",
    "start",
    "end",
    "patrol_end",
    "place_id",
    "lat",
    "lon",
    "hot_spot",
)

# The few words an event needs, by language; the city pack's locale picks one (English otherwise).
_WORDS: Mapping[str, Mapping[str, str]] = {
    "es": {
        "fixed_point": "Punto fijo",
        "then_patrol": "Luego patrullaje del cuadrante {quadrant} hasta las {until}.",
        "unit": "Móvil",
        "calendar": "Patrullaje por puntos calientes",
    },
    "en": {
        "fixed_point": "Fixed point",
        "then_patrol": "Then patrol quadrant {quadrant} until {until}.",
        "unit": "Unit",
        "calendar": "Hot-spot patrol",
    },
}


def _words(locale: str) -> Mapping[str, str]:
    return _WORDS.get(locale.split("-")[0].lower(), _WORDS["en"])


def to_csv(schedule: Schedule) -> str:
    """One row per stop, times with the city's offset; CRLF line ends as RFC 4180 says."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    zone = schedule.zone
    for unit in schedule.units:
        for n, stop in enumerate(unit.stops, start=1):
            writer.writerow(
                [
                    schedule.date,
                    spreadsheet_safe(unit.unit_id),  # ids a request named: text, never a formula
                    spreadsheet_safe(unit.quadrant_id),
                    n,
                    local_iso(stop.start, zone),
                    local_iso(stop.end, zone),
                    local_iso(stop.patrol_end, zone),
                    spreadsheet_safe(stop.place_id),
                    f"{stop.lat:.6f}",
                    f"{stop.lon:.6f}",
                    "true" if stop.hot_spot else "false",
                ]
            )
    return out.getvalue()


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT: backslash, semicolon, comma and newline are escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue on the next line after CRLF and a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        piece = ch.encode("utf-8")
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def to_ics(schedule: Schedule, *, city_id: str, locale: str) -> str:
    """A VCALENDAR with one VEVENT per fixed-point stop; times in UTC (no VTIMEZONE needed)."""
    words = _words(locale)
    zone = schedule.zone
    stamp = _utc(schedule.generated_at)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//Vigia//Patrol schedules {city_id}//{locale.upper()}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(words['calendar'] + ' ' + schedule.date)}",
        f"X-WR-TIMEZONE:{schedule.time_zone}",
    ]
    for unit in schedule.units:
        for n, stop in enumerate(unit.stops, start=1):
            until = stop.patrol_end.astimezone(zone).strftime("%H:%M")
            summary = f"{words['fixed_point']} {n} - {words['unit']} {unit.unit_id}"
            description = words["then_patrol"].format(quadrant=unit.quadrant_id, until=until)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{schedule.date}-{unit.unit_id}-{n:02d}@{city_id}.vigia",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_utc(stop.start)}",
                f"DTEND:{_utc(stop.end)}",
                f"SUMMARY:{escape_text(summary)}",
                f"DESCRIPTION:{escape_text(description)}",
                f"LOCATION:{escape_text(f'{stop.lat:.6f}, {stop.lon:.6f} ({stop.place_id})')}",
                f"GEO:{stop.lat:.6f};{stop.lon:.6f}",
                f"CATEGORIES:{escape_text(unit.quadrant_id)}",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
