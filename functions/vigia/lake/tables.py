"""The lake's tables, in ONE place: names, columns and their types, partition keys (the Glue catalog, the
Parquet files, `make sql`'s views and docs/observatory.md follow this module; tests compare each with it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# The column types the lake speaks (a Glue/Athena type each; pyarrow's and DuckDB's below, in their modules).
STRING, INT, DOUBLE, DATE, TIMESTAMP, BOOLEAN = "string", "int", "double", "date", "timestamp", "boolean"
GLUE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        STRING: "string",
        INT: "bigint",
        DOUBLE: "double",
        DATE: "date",
        TIMESTAMP: "timestamp",
        BOOLEAN: "boolean",
    }
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def prefix(self) -> str:
        """Where the table's files live in the lake bucket."""
        return f"lake/{self.name}/"


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


# The stack's own tables: one partition per city and local date, rewritten whole by the nightly export.
_BY_DAY = (
    _c("city", STRING, "the city pack's id (one stack per city)"),
    _c("date", DATE, "the city's local date (YYYY-MM-DD)"),
)

ALERTS = Table(
    "alerts",
    "A day's alerts, minimised: no sender, note, phone or address. A non-silent alert is one row; silent "
    "alerts (and alerts of a type the city seals) are one row per quadrant with their number only: no time, "
    "type, block or sender.",
    (
        _c("alert_id", STRING, "the alert's id, as the public feed names it; null on a silent quadrant row"),
        _c("received_at", TIMESTAMP, "when Vigía received it (UTC); null on a silent quadrant row"),
        _c("type", STRING, "the city pack's alert type; null on a silent quadrant row"),
        _c("silent", BOOLEAN, "true: a quadrant's silent alerts of the day, counted in `alerts`"),
        _c("alerts", INT, "1 for an alert; the quadrant's number of silent alerts on a silent row"),
        _c("block_id", STRING, "the block it was raised on; null on a silent quadrant row"),
        _c("quadrant_id", STRING, 'the quadrant ("#none": outside every quadrant, or raised abroad)'),
        _c("status", STRING, "its status when exported (received … resolved); null on a silent quadrant row"),
        _c("raised_abroad_in", STRING, "the partner city a resident's alert was forwarded to (roaming)"),
        _c("visitor_from", STRING, "the partner city a visitor's alert came from (roaming)"),
        _c("sirens_sounded", INT, "siren commands sent for it"),
        _c("neighbour_messages", INT, "messages to neighbours sent for it"),
    ),
    _BY_DAY,
)

INCIDENTS = Table(
    "incidents",
    "Each non-silent alert raised here as an incident, with its times (a silent alert is no incident; "
    "docs/incidents.md).",
    (
        _c("alert_id", STRING, "the alert's id"),
        _c("type", STRING, "the city pack's alert type"),
        _c("block_id", STRING, "the block it was raised on"),
        _c("quadrant_id", STRING, "the block's quadrant"),
        _c("status", STRING, "its status when exported"),
        _c("received_at", TIMESTAMP, "received (UTC)"),
        _c("assigned_at", TIMESTAMP, "first unit assigned (UTC)"),
        _c("on_scene_at", TIMESTAMP, "a unit on scene (UTC)"),
        _c("resolved_at", TIMESTAMP, "resolved (UTC)"),
        _c("dispatch_time_s", DOUBLE, "received → first assignment, seconds"),
        _c("response_time_s", DOUBLE, "received → on scene, seconds"),
        _c("met_target", BOOLEAN, "response time within the city's target"),
        _c("cancelled", BOOLEAN, "cancelled"),
        _c("false_alarm", BOOLEAN, "closed as a false alarm"),
    ),
    _BY_DAY,
)

PATROL_DOSAGE = Table(
    "patrol_dosage",
    "Fixed-point patrol minutes per quadrant: planned by the schedule, done by the check-ins.",
    (
        _c("quadrant_id", STRING, "the quadrant"),
        _c("planned_min", DOUBLE, "minutes the schedule planned"),
        _c("done_min", DOUBLE, "minutes the check-ins show done"),
        _c("compliance", DOUBLE, "done / planned (null when nothing was planned)"),
    ),
    _BY_DAY,
)

SURVEYS = Table(
    "surveys",
    "Perception surveys per quadrant, tallied: never a single answer.",
    (
        _c("quadrant_id", STRING, "the quadrant"),
        _c("responses", INT, "surveys taken"),
        _c("answers", INT, "answers to the city's questions"),
        _c("favourable", INT, "favourable answers among them (the top-two box)"),
    ),
    _BY_DAY,
)

REPORTS = Table(
    "reports",
    "Residents' reports of a day (docs/prevention.md): type, quadrant, local hour, whether it marks an "
    "unsafe place, and the self-declared gender where given. No reporter, text, address or coordinates.",
    (
        _c("type", STRING, "the city pack's report type"),
        _c("department", STRING, "the department it is routed to when exported"),
        _c("unsafe_place", BOOLEAN, "the type marks a place where people feel unsafe"),
        _c("quadrant_id", STRING, 'the quadrant ("#none": outside every quadrant)'),
        _c("local_hour", INT, "the hour (0-23, city time) it was received"),
        _c("month", STRING, "the local month it was received (YYYY-MM)"),
        _c(
            "time_of_day",
            STRING,
            "morning, afternoon, evening or night: as the resident said, else when received",
        ),
        _c(
            "declared_gender",
            STRING,
            "self-declared (woman, man, non_binary, prefer_not_to_say); null if not given",
        ),
        _c("status", STRING, "open, in_progress or closed when exported"),
        _c("channel", STRING, "v1 or open311: the door it came in by"),
    ),
    _BY_DAY,
)

# The published indicators, as GET /v1/indicators and the open-data files show them (small cells protected).
_SHARE = "share 0..1; null when withheld (see held_back) or undefined"
INDICATORS = Table(
    "indicators",
    "The nightly indicators exactly as published (docs/indicators.md): a held-back figure is null here and "
    "named in held_back with its marker.",
    (
        _c("zone_level", STRING, "city, quadrant or block"),
        _c("zone", STRING, 'the zone\'s id ("city" for the city)'),
        _c("type", STRING, "an alert type, or all"),
        _c("iccs", STRING, "the type's UNODC ICCS code"),
        _c("count", INT, "alerts"),
        _c("rate_per_100k", DOUBLE, "alerts per 100,000 residents"),
        _c("dispatch_time_median_s", DOUBLE, "seconds"),
        _c("dispatch_time_p90_s", DOUBLE, "seconds"),
        _c("response_time_median_s", DOUBLE, "seconds"),
        _c("response_time_p90_s", DOUBLE, "seconds"),
        _c("within_target_share", DOUBLE, _SHARE),
        _c("false_alarm_share", DOUBLE, _SHARE),
        _c("cancellations", INT, "null when withheld"),
        _c("sirens_sounded", INT, "null when withheld"),
        _c("neighbour_messages", INT, "null when withheld"),
        _c("patrol_dosage_compliance", DOUBLE, _SHARE),
        _c("survey_responses", INT, "null when withheld"),
        _c("perception_favourable_share", DOUBLE, _SHARE),
        _c("raised_abroad", INT, "the city rows only; null when withheld"),
        _c("visitors", INT, "null when withheld"),
        _c(
            "held_back",
            STRING,
            'the figures withheld, as column=marker pairs ("cancellations=<5;visitors=x")',
        ),
    ),
    _BY_DAY,
)

# Other agencies' records (docs/observatory.md "Sources and manifests"): written by the ingestion.
DATASET_RECORDS = Table(
    "dataset_records",
    "Every ingested dataset's records, one measure of one zone and month a row.",
    (
        _c("dataset_id", STRING, "the dataset version (GET /v1/datasets/{dataset_id})"),
        _c("reader", STRING, "the reader that read it (snic, cead, …, generic)"),
        _c("zone_kind", STRING, "block, quadrant, department, comuna or point"),
        _c("zone_id", STRING, "the zone's code (null for a point)"),
        _c("lat", DOUBLE, "WGS84 latitude (a point)"),
        _c("lon", DOUBLE, "WGS84 longitude (a point)"),
        _c("period", DATE, "the month (its first day)"),
        _c("measure", STRING, "the measure's name in the manifest"),
        _c("value", DOUBLE, "its value"),
        _c("row_number", INT, "the row of the uploaded file"),
    ),
    (
        _c("source", STRING, "the agency (the manifest's source)"),
        _c("year", STRING, "YYYY of the period"),
        _c("month", STRING, "MM of the period"),
    ),
)

TABLES: Mapping[str, Table] = MappingProxyType(
    {t.name: t for t in (ALERTS, INCIDENTS, PATROL_DOSAGE, SURVEYS, REPORTS, INDICATORS, DATASET_RECORDS)}
)
# The tables the nightly export writes, one partition per city and date.
DAILY: tuple[str, ...] = ("alerts", "incidents", "patrol_dosage", "surveys", "reports", "indicators")


def partition_key(table: str, city: str, day: str) -> str:
    """The one file of a daily table's partition: rewritten whole by every export of that day."""
    if table not in DAILY:
        raise ValueError(f"{table} is not one of the daily tables {DAILY}")
    return f"lake/{table}/city={city}/date={day}/part-0.parquet"
