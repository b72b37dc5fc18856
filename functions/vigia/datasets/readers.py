"""The built-in readers: which columns each shape of open data has, and how one row becomes records.

One table (`READERS`) says, per reader, the geography its rows use, the column holding the place, the
period's columns, the category (a crime code, a cause) and the measures. A row becomes one `Record` per
measure it has a value for; a value that cannot be read is a `BadValue` (row, column, why), never a guess.
Places are joined on codes, never on names: the name columns of a file are not read at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from vigia.datasets.files import name

POINT, BLOCK, QUADRANT, DEPARTMENT, COMUNA = "point", "block", "quadrant", "department", "comuna"
ZONE_KINDS = (POINT, BLOCK, QUADRANT, DEPARTMENT, COMUNA)
# Which country's official coding each administrative zone kind is (vigia.city.model.OFFICIAL_CODE_SCHEMES).
ADMINISTRATIVE = {DEPARTMENT: ("AR", "INDEC"), COMUNA: ("CL", "CUT")}
UNKNOWN = "unknown"  # the zone_id of a row whose file says its place is not known

# How open data writes "we do not know" in a code or value column (after `name`: lower case, no accents).
_UNKNOWN_MARKERS = frozenset(
    {"", "unknown", "desconocido", "sin_dato", "sin_datos", "s_d", "sd", "nd", "n_d", "ignorado",
     "no_informado", "sin_informacion", "sin_determinar", "na", "n_a", "null", "none", "99999"}
)  # fmt: skip


class BadValue(ValueError):
    """One cell of a row that cannot be read; the row is reported (row number, column, why) and left out."""

    def __init__(self, column: str, why: str) -> None:
        super().__init__(f"{column}: {why}")
        self.column, self.why = column, why


@dataclass(frozen=True)
class Shape:
    """The columns of one reader's files (normalised names, vigia.datasets.files.name)."""

    zone_kinds: tuple[str, ...]  # the geographies its rows may use (the manifest picks one)
    zone: str | None  # the column with the place's code (None: lat/lon columns)
    year: str | None
    month: str | None
    day: str | None  # a date column (YYYY-MM-DD or DD/MM/YYYY) instead of year and month
    category: str | None  # kept in the lake's measure as "<measure>:<category>"
    measures: tuple[str, ...]  # () : the manifest names them (a survey's questions, a generic file)
    weight: str | None = None  # a survey's expansion factor
    region: str | None = None  # a province column that must contain the zone's code (SNIC)
    counts: bool = False  # its measures are counts: a value must be whole ("1.234" is refused, not guessed)


READERS: dict[str, Shape] = {
    # Argentina's SNIC, by department and month (Ministerio de Seguridad): ";", UTF-8 with a BOM
    "snic": Shape(
        (DEPARTMENT,), "departamento_id", "anio", "mes", None, "codigo_delito_snic_id",
        ("cantidad_hechos", "cantidad_victimas"), region="provincia_id", counts=True,
    ),
    # Chile's police cases (CEAD, Subsecretaría de Prevención del Delito) by comuna and month
    "cead": Shape((COMUNA,), "cut_comuna", "anio", "mes", None, "delito", ("casos",), counts=True),
    # health records by the patient's place of residence (a department or a comuna)
    "health": Shape(
        (DEPARTMENT, COMUNA), "codigo_residencia", "anio", "mes", None, "causa", ("casos",), counts=True
    ),
    # school incidents: each school's place (lat/lon, or the pack's block) and the incident's date
    "school": Shape(
        (POINT, BLOCK), "block_id", None, None, "fecha", "tipo_incidente", ("incidentes",), counts=True
    ),
    # perception surveys, one row a respondent with an expansion factor (ENUSC-like)
    "survey": Shape(
        (COMUNA, DEPARTMENT, QUADRANT, BLOCK), "zona", "anio", "mes", None, None, (),
        weight="factor_expansion",
    ),
    # the SAT's weekly attendance per student (vigia.sat.attendance reads it, into SatTable, not the lake)
    "sat_attendance": Shape(
        (QUADRANT,), "quadrant", None, None, None, None, ("days_expected", "days_attended"), counts=True
    ),
}  # fmt: skip
GENERIC = "generic"
READER_NAMES = (*READERS, GENERIC)
# what a generic reader's `columns` mapping may name (each to a column of the file)
GENERIC_ROLES = ("zone", "lat", "lon", "year", "month", "date", "category", "weight")


@dataclass(frozen=True)
class Record:
    """One measure of one row: where, which month, how much (and the respondent's weight, for a survey)."""

    row_number: int
    zone_kind: str
    zone_id: str | None  # None for a point; UNKNOWN when the file says it does not know
    lat: float | None
    lon: float | None
    period: date  # the month's first day
    measure: str  # the manifest's measure, or "<measure>:<category>"
    value: float
    weight: float | None = None


def shape_of(reader: str, columns: dict[str, str] | None, measures: tuple[str, ...]) -> Shape:
    """The reader's shape; a generic reader's from its manifest's column mapping."""
    if reader != GENERIC:
        return READERS[reader]
    mapping = {role: name(column) for role, column in (columns or {}).items()}
    return Shape(
        ZONE_KINDS,
        mapping.get("zone"),
        mapping.get("year"),
        mapping.get("month"),
        mapping.get("date"),
        mapping.get("category"),
        measures,
        weight=mapping.get("weight"),
    )


def is_unknown(text: str) -> bool:
    raw = text.strip()
    if raw[:1].isdigit():  # most cells: a figure or a code (normalising each would be most of the time)
        return raw == "99999"
    return name(raw) in _UNKNOWN_MARKERS


def number(column: str, text: str) -> float | None:
    """A figure as open data writes it: "1.234,5", "1,5", " 12 ", "1 234"; None when it says unknown."""
    if is_unknown(text):
        return None
    raw = text.replace("\u00a0", "").replace(" ", "").strip()
    if "," in raw and "." in raw:  # the last one is the decimal mark, the other groups thousands
        raw = (
            raw.replace(".", "").replace(",", ".")
            if raw.rfind(",") > raw.rfind(".")
            else raw.replace(",", "")
        )
    elif raw.count(",") == 1:
        raw = raw.replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise BadValue(column, f"{text.strip()!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise BadValue(column, f"{text.strip()!r} is not a number")
    return value


def code(column: str, text: str, width: int = 5) -> str:
    """An administrative code, digits only, zero-padded (Excel drops a CUT's leading zero: 5101 is 05101)."""
    raw = text.strip()
    if raw.endswith(".0"):
        raw = raw[:-2]  # a code a spreadsheet stored as a number
    if is_unknown(raw):
        return UNKNOWN
    if not re.fullmatch(rf"[0-9]{{1,{width}}}", raw):
        raise BadValue(column, f"{raw!r} is not a code of {width} digits")
    return raw.zfill(width)


def month_of(shape: Shape, row: dict[str, str]) -> date:
    if shape.day is not None:
        return _date_month(shape.day, row.get(shape.day, ""))
    assert shape.year is not None
    assert shape.month is not None
    year = _integer(shape.year, row.get(shape.year, ""), 1900, 2200)
    month = _integer(shape.month, row.get(shape.month, ""), 1, 12)
    return date(year, month, 1)


def _integer(column: str, text: str, least: int, most: int) -> int:
    value = number(column, text)
    if value is None:
        raise BadValue(column, "missing")
    if not value.is_integer() or not least <= value <= most:
        raise BadValue(column, f"{text.strip()!r} is not a whole number from {least} to {most}")
    return int(value)


def _date_month(column: str, text: str) -> date:
    raw = text.strip()
    found = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[T ].*)?", raw) or None
    if found:
        year, month = int(found[1]), int(found[2])
    else:
        other = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", raw)  # DD/MM/YYYY, as Argentina and Chile
        if other is None:
            raise BadValue(column, f"{raw!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")
        year, month = int(other[3]), int(other[2])
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise BadValue(column, f"{raw!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    return date(year, month, 1)


def coordinates(row: dict[str, str], lat_column: str = "lat", lon_column: str = "lon") -> tuple[float, float]:
    lat = number(lat_column, row.get(lat_column, ""))
    lon = number(lon_column, row.get(lon_column, ""))
    if lat is None:
        raise BadValue(lat_column, "missing")
    if lon is None:
        raise BadValue(lon_column, "missing")
    if not -90 <= lat <= 90:
        raise BadValue(lat_column, f"{lat} is not a WGS84 latitude")
    if not -180 <= lon <= 180:
        raise BadValue(lon_column, f"{lon} is not a WGS84 longitude")
    return lat, lon


_YES = frozenset({"si", "yes", "true", "verdadero"})
_NO = frozenset({"no", "false", "falso"})


def answer(column: str, text: str) -> float | None:
    """A survey's answer: a number (0/1, a share) or sí/no; None when the respondent did not answer."""
    word = name(text)
    if word in _YES:
        return 1.0
    if word in _NO:
        return 0.0
    return number(column, text)


def required_columns(
    shape: Shape, zone_kind: str, measures: tuple[str, ...], lat_lon: tuple[str, str] = ("lat", "lon")
) -> tuple[str, ...]:
    """The columns a file of this shape must have for this geography (the header is checked first)."""
    wanted: list[str | None] = []
    if zone_kind == POINT:
        wanted += list(lat_lon)
    else:
        wanted.append(shape.zone)
    wanted += [shape.day] if shape.day else [shape.year, shape.month]
    wanted += [shape.weight, *measures]
    return tuple(dict.fromkeys(c for c in wanted if c))


def records(
    shape: Shape,
    row_number: int,
    row: dict[str, str],
    *,
    zone_kind: str,
    measures: dict[str, str],
    is_survey: bool,
    lat_lon: tuple[str, str] = ("lat", "lon"),
) -> list[Record]:
    """The row's records, one per measure with a value (a blank or "sin dato" value is no record: the file
    says it has none); raises BadValue for the first cell that cannot be read."""
    if "#invalid" in row:
        raise BadValue("", row["#invalid"])
    if "#extra" in row:
        raise BadValue("", f"more cells than the header names ({row['#extra'][:60]})")
    period = month_of(shape, row)
    lat = lon = None
    zone_id: str | None
    if zone_kind == POINT:
        lat, lon = coordinates(row, *lat_lon)
        zone_id = None
    elif zone_kind in ADMINISTRATIVE:
        assert shape.zone is not None
        zone_id = code(shape.zone, row.get(shape.zone, ""), 5)
        zone_id = _within_region(shape, row, zone_id)
    else:
        assert shape.zone is not None
        raw = row.get(shape.zone, "").strip()
        zone_id = UNKNOWN if is_unknown(raw) else raw
    weight = None
    if shape.weight is not None:
        weight = number(shape.weight, row.get(shape.weight, ""))
        if weight is None or weight <= 0:
            raise BadValue(shape.weight, "a respondent's weight must be a number above 0")
    category = ""
    if shape.category is not None:
        raw_category = row.get(shape.category, "").strip()
        category = UNKNOWN if is_unknown(raw_category) else raw_category
    out = []
    for measure, column in measures.items():
        value = answer(column, row.get(column, "")) if is_survey else number(column, row.get(column, ""))
        if value is None:
            continue
        if not is_survey and value < 0:
            raise BadValue(column, f"{value:g} is below 0")
        if shape.counts and not value.is_integer():
            raise BadValue(
                column, f"{row.get(column, '').strip()!r} is not a whole count (write 1234, not 1.234)"
            )
        label = f"{measure}:{category}" if category else measure
        out.append(Record(row_number, zone_kind, zone_id, lat, lon, period, label, value, weight))
    return out


def _within_region(shape: Shape, row: dict[str, str], zone_id: str) -> str:
    """SNIC gives the province beside the department: a department of three digits is the province's, one of
    five must lie in it (a mismatch is a shifted column, not a place)."""
    if shape.region is None or zone_id == UNKNOWN:
        return zone_id
    raw_region = row.get(shape.region, "").strip()
    if is_unknown(raw_region):
        return zone_id
    region = code(shape.region, raw_region, 2)
    raw_zone = row.get(shape.zone or "", "").strip().removesuffix(".0")
    if len(raw_zone) <= 3:
        return region + raw_zone.zfill(3)
    if zone_id[:2] != region:
        raise BadValue(shape.zone or "", f"department {zone_id} is not in province {region}")
    return zone_id


def measure_columns(shape: Shape, manifest_measures: list[dict[str, Any]]) -> dict[str, str]:
    """measure name → the file's column (a generic or survey measure may name its column; else its name)."""
    return {m["name"]: name(m.get("column") or m["name"]) for m in manifest_measures}
