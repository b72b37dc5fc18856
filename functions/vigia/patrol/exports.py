"""A schedule as CSV (RFC 4180) for spreadsheets and as iCalendar (RFC 5545) for officers' phones."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from vigia.cells import spreadsheet_safe
from vigia.patrol.schedule import Schedule, local_iso

if TYPE_CHECKING:
    from vigia.city import CityPack

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
    "unit_name",  # last, so a sheet or script that reads the columns above by position still works
    "quadrant_name",
)
# Excel opens a CSV without a byte order mark as the machine's code page (Windows-1252 in Chile and
# Argentina): "Peñalolén" would read "PeÃ±alolÃ©n". Python's csv, pandas (utf-8-sig) and LibreOffice skip it.
UTF8_BOM = "\ufeff"

# The few words an event needs, by full locale first, then by language (English otherwise). Chile says
# carro and patrols in tuteo ("patrulla"), as its console does; Argentina's móvil and impersonal wording.
_WORDS: Mapping[str, Mapping[str, str]] = {
    "es-cl": {
        "fixed_point": "Punto fijo",
        "then_patrol": "Luego patrulla el cuadrante {quadrant} hasta las {until}.",
        "unit": "Carro",
        "calendar": "Patrullaje por puntos calientes",
    },
    "es-ar": {
        "fixed_point": "Punto fijo",
        "then_patrol": "Luego patrullaje del cuadrante {quadrant} hasta las {until}.",
        "unit": "Móvil",
        "calendar": "Patrullaje por puntos calientes",
    },
    "es": {
        "fixed_point": "Punto fijo",
        "then_patrol": "Luego patrullaje del cuadrante {quadrant} hasta las {until}.",
        "unit": "Unidad",
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
    full = locale.replace("_", "-").lower()
    return _WORDS.get(full) or _WORDS.get(full.split("-")[0]) or _WORDS["en"]


@dataclass(frozen=True)
class Names:
    """What staff call a unit and a quadrant (the city pack's names); an id stands for any name missing."""

    units: Mapping[str, str] = field(default_factory=dict)
    quadrants: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, pack: CityPack) -> Names:
        return cls(
            {unit.unit_id: unit.name for unit in pack.units.values()},
            {quadrant.quadrant_id: quadrant.name for quadrant in pack.quadrants.values()},
        )


NO_NAMES = Names()


def to_csv(schedule: Schedule, *, names: Names = NO_NAMES) -> str:
    """One row per stop, times with the city's offset, the unit's and quadrant's names; CRLF line ends as
    RFC 4180 says, after a UTF-8 byte order mark so a spreadsheet reads the names' ñ and accents."""
    out = io.StringIO()
    out.write(UTF8_BOM)
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
                    spreadsheet_safe(names.units.get(unit.unit_id, "")),  # pack text: shown, never run
                    spreadsheet_safe(names.quadrants.get(unit.quadrant_id, "")),
                ]
            )
    return out.getvalue()


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# RFC 5545 TEXT holds no control character but TAB: a line break is "\\n", anything else shows as U+FFFD
# (as the API's door does), so a stray CR in a name cannot end a content line early.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT: backslash, semicolon, comma and line breaks are escaped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    return _NOT_TEXT.sub("\ufffd", escaped)


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


def to_ics(schedule: Schedule, *, city_id: str, locale: str, names: Names = NO_NAMES) -> str:
    """A VCALENDAR with one VEVENT per fixed-point stop; times in UTC (no VTIMEZONE needed). Events name the
    unit and the quadrant as the city does (`names`); a unit without a name is "<the locale's word> <id>"."""
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
            unit_name = names.units.get(unit.unit_id) or f"{words['unit']} {unit.unit_id}"
            summary = f"{words['fixed_point']} {n} - {unit_name}"
            quadrant_name = names.quadrants.get(unit.quadrant_id)
            quadrant = f"{unit.quadrant_id} {quadrant_name}" if quadrant_name else unit.quadrant_id
            description = words["then_patrol"].format(quadrant=quadrant, until=until)
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
