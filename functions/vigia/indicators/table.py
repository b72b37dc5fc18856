"""One local day of alerts → one row per zone (city, quadrant, block) × non-silent alert type (and `all`).

Which rows exist:
- the city and every quadrant of the pack, for every non-silent type and `all`, every day (zero days too);
- a block only on a day it had at least one non-silent alert, for every non-silent type and `all`
  (a block absent from a day had none).
Silent alerts are in no published row of a day, not even `all` (the feed lists every non-silent alert, so
an `all` that counted them would give them back by subtraction); their city total per type is kept, exact
and unlisted (`DayIndicators.sealed`), for the one place they are published: the city's whole month.

What a row publishes: counts of alerts exactly (the feed has them anyway); outcome counts below the
threshold as "<5", and more as "x" until no held-back one is fixed by any combination of the published
ones (suppression.protect_linear); every figure computed from a held-back count is withheld.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from vigia.indicators.days import DayWindow, day_window
from vigia.indicators.facts import AlertFacts, PatrolDay, SurveyTally
from vigia.indicators.frame import CityFrame
from vigia.indicators.stats import CellStats, percentile
from vigia.indicators.suppression import WITHHELD, Sum, protect, protect_linear, small_marker

ALL = "all"
CITY = "city"
CITY_LEVEL, QUADRANT_LEVEL, BLOCK_LEVEL = "city", "quadrant", "block"
LEVEL_ORDER = {CITY_LEVEL: 0, QUADRANT_LEVEL: 1, BLOCK_LEVEL: 2}

COLUMNS: tuple[str, ...] = (
    "date",
    "zone_level",
    "zone",
    "type",
    "iccs",
    "count",
    "rate_per_100k",
    "dispatch_time_median_s",
    "dispatch_time_p90_s",
    "response_time_median_s",
    "response_time_p90_s",
    "within_target_share",
    "false_alarm_share",
    "cancellations",
    "sirens_sounded",
    "neighbour_messages",
    "patrol_dosage_compliance",
    "survey_responses",
    "perception_favourable_share",
    # Roaming (docs/roaming.md), after the older columns so that partners' scripts keep reading them:
    "raised_abroad",  # the city rows only: residents' alerts forwarded to a partner city, in no other figure
    "visitors",  # of `count`, the alerts a partner city's residents raised here
)

Key = tuple[str, str]  # (zone, type)
Atom = tuple[str, str]  # (place, type): a block, "Q-1#" (in the quadrant, no block) or "#none"; public types


@dataclass(frozen=True)
class Cell:
    """A zone × type before publication: where it sits, what it covers, its exact figures."""

    zone_level: str
    zone: str
    type: str
    iccs: str | None
    population: int
    stats: CellStats

    @property
    def key(self) -> Key:
        return (self.zone, self.type)


@dataclass(frozen=True)
class Row:
    date: str
    zone_level: str
    zone: str
    type: str
    stats: CellStats = field(repr=False)
    published: Mapping[str, Any] = field(hash=False)  # COLUMNS, in order
    listed: bool = True  # False: kept (exact) for a month's summary, never in a file or a day's read

    @property
    def sort_key(self) -> tuple[int, str, int, str]:
        return row_order(self.zone_level, self.zone, self.type)

    @property
    def sk(self) -> str:
        return f"{self.zone}#{self.type}"


def row_order(zone_level: str, zone: str, type_: str) -> tuple[int, str, int, str]:
    return (LEVEL_ORDER.get(zone_level, 9), zone, 0 if type_ == ALL else 1, type_)


@dataclass(frozen=True)
class DayIndicators:
    date: date
    window: DayWindow
    rows: tuple[Row, ...]  # the published rows, in the files' order
    alerts: tuple[AlertFacts, ...]  # the day's alerts inside the window (the feed picks the non-silent)
    alerts_read: int
    outside_window: int  # items filed under the date whose received time is not in the local day
    sealed: tuple[Row, ...] = ()  # the city's silent types of the day: stored exactly, never published


# ---------------------------------------------------------------- publication
def _shares(
    values: Mapping[Key, int],
    parts: Mapping[Key, int],
    threshold: int,
    sums: Sequence[Sum[Key]],
    hidden_rows: set[Key],
    order: Any,
) -> set[Key]:
    """Cells whose share parts/values is withheld: too few on either side, a hidden row, or complementary."""
    primary = {k for k, n in values.items() if parts[k] < threshold or n - parts[k] < threshold}
    return protect(values, sums, threshold, unknown=primary | hidden_rows, order=order)


def _ratio(part: int, whole: int, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


OUTCOMES: tuple[str, ...] = (
    "cancellations",
    "sirens_sounded",
    "neighbour_messages",
    "false_alarms",
    "visitors",
)
RAISED_ABROAD = "raised_abroad"
ABROAD = "#abroad"  # the place of an atom of alerts raised in a partner city: no zone of ours


def publish_cells(
    cells: Sequence[Cell],
    sums: Sequence[Sum[Key]],
    threshold: int,
    date_text: str,
    *,
    withheld: Mapping[str, set[Key]],
) -> dict[Key, dict[str, Any]]:
    """The published row of every cell, given which counts are withheld (`count` and OUTCOMES).

    Which counts are withheld is the caller's: a day decides it over the day's table (`day_withheld`),
    a summary from what its days published. Everything computed from a withheld count is withheld too.
    """
    by_key = {c.key: c for c in cells}
    stats = {k: c.stats for k, c in by_key.items()}
    level = {k: c.zone_level for k, c in by_key.items()}

    def order(k: Key) -> tuple[int, str, int, str]:
        return row_order(level[k], k[0], k[1])

    small = small_marker(threshold)
    hidden_count = withheld.get("count", set())
    hidden_target = _shares(
        {k: s.with_target for k, s in stats.items()},
        {k: s.within_target for k, s in stats.items()},
        threshold,
        sums,
        hidden_count,
        order,
    )
    surveyed = {k: s for k, s in stats.items() if s.survey_responses is not None}
    hidden_surveys = withheld.get("survey_responses")
    if hidden_surveys is None:
        hidden_surveys = protect(
            {k: int(s.survey_responses or 0) for k, s in surveyed.items()}, sums, threshold, order=order
        )
    hidden_perception = _shares(
        {k: int(s.survey_answers or 0) for k, s in surveyed.items()},
        {k: int(s.survey_favourable or 0) for k, s in surveyed.items()},
        threshold,
        sums,
        set(),
        order,
    )

    def shown(value: int, withheld: bool) -> int | str:
        if not withheld:
            return value
        return small if value < threshold else WITHHELD

    def timing(values: tuple[float, ...], k: Key, p: float) -> float | None:
        if k in hidden_count or len(values) < threshold:
            return None
        return percentile(values, p)

    rows: dict[Key, dict[str, Any]] = {}
    for k, cell in by_key.items():
        s = cell.stats
        count_known = k not in hidden_count
        false_alarms_known = count_known and k not in withheld.get("false_alarms", set())
        rows[k] = {
            "date": date_text,
            "zone_level": cell.zone_level,
            "zone": cell.zone,
            "type": cell.type,
            "iccs": cell.iccs,
            "count": shown(s.count, not count_known),
            "rate_per_100k": (
                round(s.count * 100_000 / cell.population, 2) if count_known and cell.population > 0 else None
            ),
            "dispatch_time_median_s": timing(s.dispatch_times, k, 0.5),
            "dispatch_time_p90_s": timing(s.dispatch_times, k, 0.9),
            "response_time_median_s": timing(s.response_times, k, 0.5),
            "response_time_p90_s": timing(s.response_times, k, 0.9),
            "within_target_share": (None if k in hidden_target else _ratio(s.within_target, s.with_target)),
            "false_alarm_share": _ratio(s.false_alarms, s.count) if false_alarms_known else None,
            "cancellations": shown(s.cancellations, k in withheld.get("cancellations", set())),
            "sirens_sounded": shown(s.sirens_sounded, k in withheld.get("sirens_sounded", set())),
            "neighbour_messages": shown(s.neighbour_messages, k in withheld.get("neighbour_messages", set())),
            "patrol_dosage_compliance": (
                round((s.patrol_done_min or 0.0) / s.patrol_planned_min, 3) if s.patrol_planned_min else None
            ),
            "survey_responses": (
                None if s.survey_responses is None else shown(s.survey_responses, k in hidden_surveys)
            ),
            "perception_favourable_share": (
                None
                if s.survey_responses is None or k in hidden_perception
                else _ratio(int(s.survey_favourable or 0), int(s.survey_answers or 0))
            ),
            "raised_abroad": (
                shown(s.raised_abroad, k in withheld.get(RAISED_ABROAD, set()))
                if cell.zone_level == CITY_LEVEL
                else None
            ),
            "visitors": shown(s.visitors, k in withheld.get("visitors", set())),
        }
    return rows


def share_primary(stats: Mapping[Key, CellStats], threshold: int) -> set[Key]:
    """False alarms are shown only as a share, and only with at least `threshold` on either side."""
    return {k for k, s in stats.items() if s.false_alarms < threshold or s.count - s.false_alarms < threshold}


def day_withheld(
    cells: Sequence[Cell],
    cover: Mapping[Key, frozenset[Atom]],
    threshold: int,
    abroad: Mapping[Key, frozenset[Atom]] | None = None,
) -> dict[str, set[Key]]:
    """A day's withheld counts: none of `count` (the feed lists every public alert), and for each outcome
    the cells below the threshold plus whatever keeps them from being fixed by the published ones."""
    stats = {c.key: c.stats for c in cells}
    level = {c.key: c.zone_level for c in cells}

    def order(k: Key) -> tuple[int, str, int, str]:
        # Of two equal candidates the finer one is withheld: a block before its quadrant, before the city.
        level_rank, zone, all_first, type_ = row_order(level[k], k[0], k[1])
        return (-level_rank, zone, all_first, type_)

    withheld: dict[str, set[Key]] = {"count": set()}
    for name in OUTCOMES:
        values = {k: int(getattr(s, name)) for k, s in stats.items()}
        primary = share_primary(stats, threshold) if name == "false_alarms" else set()
        withheld[name] = protect_linear(cover, values, threshold, unknown=primary, order=order)
    # Alerts raised abroad enter no other figure: their own equations (the city's types and `all`) only.
    raised = {k: s.raised_abroad for k, s in stats.items() if abroad is not None and k in abroad}
    withheld[RAISED_ABROAD] = (
        protect_linear(abroad, raised, threshold, order=order) if abroad is not None else set()
    )
    return withheld


# ---------------------------------------------------------------- one day
def _alert_stats(alert: AlertFacts) -> CellStats:
    return CellStats(
        count=1,
        cancellations=int(alert.cancelled),
        false_alarms=int(alert.false_alarm),
        sirens_sounded=alert.sirens_sounded,
        neighbour_messages=alert.neighbour_messages,
        dispatch_times=(alert.dispatch_time_s,) if alert.dispatch_time_s is not None else (),
        response_times=(alert.response_time_s,) if alert.response_time_s is not None else (),
        within_target=int(alert.met_target is True),
        with_target=int(alert.met_target is not None),
        visitors=int(alert.visitor_from is not None),
    )


def _iccs_of(codes: Iterable[str | None]) -> str | None:
    """A total's ICCS field: the codes of the types it covers, sorted and joined with ";"."""
    known = sorted({c for c in codes if c})
    return ";".join(known) if known else None


def compute_day(
    day: date,
    alerts: Iterable[AlertFacts],
    frame: CityFrame,
    *,
    patrol: PatrolDay | None = None,
    surveys: Mapping[str, SurveyTally] | None = None,
) -> DayIndicators:
    window = day_window(day, frame.time_zone)
    read = list(alerts)
    inside = sorted(
        (a for a in read if window.contains(a.created_at)), key=lambda a: (a.created_at, a.alert_id)
    )
    # A resident's alert forwarded to a partner city happened there: the partner counts it (as a visitor's)
    # and the home only as raised abroad, so a sum over both cities counts it once (docs/indicators.md).
    forwarded = [a for a in inside if a.raised_abroad_in is not None]
    inside = [a for a in inside if a.raised_abroad_in is None]

    silent_types = {code for code, t in frame.types.items() if t.silent} | {
        a.type for a in inside if a.silent
    }
    type_codes = sorted(set(frame.types) | {a.type for a in inside})
    public_types = [t for t in type_codes if t not in silent_types]
    # A silent alert is in no day's row, here or abroad (see docs/indicators.md); it is not counted twice
    # in the sealed month either: it happened in the partner city.
    abroad_by_type: dict[str, int] = {}
    for a in forwarded:
        if a.type in public_types and not a.silent:
            abroad_by_type[a.type] = abroad_by_type.get(a.type, 0) + 1

    totals: dict[Key, CellStats] = {}
    sealed: dict[str, CellStats] = {t: CellStats() for t in type_codes if t in silent_types}
    atoms: dict[str, set[Atom]] = {}  # zone → the (place, type) of its public alerts

    def add(key: Key, s: CellStats) -> None:
        totals[key] = totals[key].merged(s) if key in totals else s

    blocks_seen: set[str] = set()
    for alert in inside:
        s = _alert_stats(alert)
        if alert.type in silent_types:
            # A silent alert is in no published row: not its type's, not `all` (see docs/indicators.md).
            sealed[alert.type] = sealed[alert.type].merged(s)
            continue
        block = frame.blocks.get(alert.block_id) if alert.block_id else None
        quadrant_id = block.quadrant_id if block else alert.quadrant_id
        if quadrant_id not in frame.quadrants:
            quadrant_id = None
        zones = [CITY] + ([quadrant_id] if quadrant_id else [])
        if block is not None:
            zones.append(block.block_id)
            blocks_seen.add(block.block_id)
        place = block.block_id if block else (f"{quadrant_id}#" if quadrant_id else "#none")
        for zone in zones:
            add((zone, alert.type), s)
            add((zone, ALL), s)
            atoms.setdefault(zone, set()).add((place, alert.type))

    cells: list[Cell] = []
    sums: list[Sum[Key]] = []
    cover: dict[Key, frozenset[Atom]] = {}
    abroad: dict[Key, frozenset[Atom]] = {}

    def cell(level: str, zone: str, type_: str, population: int, codes: Iterable[str | None]) -> None:
        stats = totals.get((zone, type_), CellStats())
        if level == CITY_LEVEL:
            raised = {t: n for t, n in abroad_by_type.items() if type_ in (ALL, t)}
            stats = replace(stats, raised_abroad=sum(raised.values()))
            abroad[(zone, type_)] = frozenset((ABROAD, t) for t in raised)
        cells.append(Cell(level, zone, type_, _iccs_of(codes), population, stats))
        here = atoms.get(zone, set())
        cover[(zone, type_)] = frozenset(a for a in here if type_ == ALL or a[1] == type_)

    def iccs(t: str) -> str | None:
        return frame.type_info(t).iccs

    zones_in_order = [(CITY_LEVEL, CITY, frame.population)]
    zones_in_order += [
        (QUADRANT_LEVEL, q.quadrant_id, q.population)
        for q in sorted(frame.quadrants.values(), key=lambda q: q.quadrant_id)
    ]
    zones_in_order += [(BLOCK_LEVEL, b, frame.blocks[b].population) for b in sorted(blocks_seen)]
    for level, zone, population in zones_in_order:
        cell(level, zone, ALL, population, (iccs(t) for t in public_types))
        for t in public_types:
            cell(level, zone, t, population, (iccs(t),))
        sums.append(Sum((zone, ALL), tuple((zone, t) for t in public_types)))

    blocks_by_quadrant: dict[str, list[str]] = {}
    for b in sorted(blocks_seen):
        blocks_by_quadrant.setdefault(frame.blocks[b].quadrant_id, []).append(b)
    for q in sorted(frame.quadrants):
        mine = blocks_by_quadrant.get(q, [])
        for t in [ALL, *public_types]:
            sums.append(Sum((q, t), tuple((b, t) for b in mine)))
    for t in [ALL, *public_types]:
        sums.append(Sum((CITY, t), tuple((q, t) for q in sorted(frame.quadrants))))

    cells = _with_patrol_and_surveys(cells, frame, patrol, surveys)
    threshold = frame.small_cell_threshold
    withheld = day_withheld(cells, cover, threshold, abroad)
    published = publish_cells(cells, sums, threshold, day.isoformat(), withheld=withheld)
    rows = tuple(
        sorted(
            (Row(day.isoformat(), c.zone_level, c.zone, c.type, c.stats, published[c.key]) for c in cells),
            key=lambda r: r.sort_key,
        )
    )
    kept = tuple(
        Row(day.isoformat(), CITY_LEVEL, CITY, t, stats, {}, listed=False)
        for t, stats in sorted(sealed.items())
    )
    return DayIndicators(day, window, rows, tuple(inside), len(read), len(read) - len(inside), kept)


def _with_patrol_and_surveys(
    cells: list[Cell],
    frame: CityFrame,
    patrol: PatrolDay | None,
    surveys: Mapping[str, SurveyTally] | None,
) -> list[Cell]:
    """Dosage compliance and perception belong to the `all` rows of quadrants and the city."""
    if patrol is None and not surveys:
        return cells
    out = []
    for c in cells:
        s = c.stats
        if c.type == ALL and c.zone_level in (CITY_LEVEL, QUADRANT_LEVEL):
            quadrants = list(frame.quadrants) if c.zone_level == CITY_LEVEL else [c.zone]
            if patrol is not None:
                minutes = [patrol.minutes.get(q, (0.0, 0.0)) for q in quadrants]
                s = s.with_patrol(sum(m[0] for m in minutes), sum(m[1] for m in minutes))
            if surveys:
                tallies = [surveys[q] for q in quadrants if q in surveys]
                s = s.with_surveys(
                    sum(t.responses for t in tallies),
                    sum(t.answers for t in tallies),
                    sum(t.favourable for t in tallies),
                )
            c = Cell(c.zone_level, c.zone, c.type, c.iccs, c.population, s)
        out.append(c)
    return out
