"""The SAT's only figures that leave SatTable: cases opened, followed and re-engaged per quadrant and month,
small cells held back as the indicators hold theirs (vigia.indicators.suppression), pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vigia.indicators.suppression import WITHHELD, Sum, protect, small_marker
from vigia.sat.cases import Case

MEASURES = ("opened", "followed", "re_engaged")
CITY = "city"
NO_QUADRANT = "#none"  # a student whose file named no quadrant


def _month(instant: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(zone).strftime("%Y-%m")


def monthly_counts(
    cases: Iterable[tuple[Case, Sequence[Mapping[str, Any]]]], time_zone: str
) -> dict[tuple[str, str, str], int]:
    """(month, quadrant, measure) → cases: opened in the month (opened_at), followed (moved to in_follow_up
    in it), re-engaged (ended as re_engaged in it), in the city's time zone."""
    zone = ZoneInfo(time_zone)
    counts: dict[tuple[str, str, str], int] = {}

    def add(month: str, quadrant: str, measure: str) -> None:
        counts[(month, quadrant, measure)] = counts.get((month, quadrant, measure), 0) + 1

    for case, timeline in cases:
        quadrant = case.quadrant or NO_QUADRANT
        add(_month(case.opened_at, zone), quadrant, "opened")
        followed = [
            e["at"] for e in timeline if e.get("kind") == "status" and e.get("status") == "in_follow_up"
        ]
        if followed:
            add(_month(min(followed), zone), quadrant, "followed")
        if case.status == "re_engaged" and case.closed_at:
            add(_month(case.closed_at, zone), quadrant, "re_engaged")
    return counts


def published(
    counts: Mapping[tuple[str, str, str], int], quadrants: Sequence[str], threshold: int
) -> list[dict[str, Any]]:
    """One row per month with cases × (the city, every quadrant of the pack, "#none"): each measure's count,
    or "<threshold" below it, or "x" where a small cell could otherwise be subtracted from the city's total
    (the city = the sum of its quadrants and "#none"). Zeros are small cells too: no row tells which
    quadrant had none."""
    zones = [*sorted(quadrants), NO_QUADRANT]
    months = sorted({m for m, _, _ in counts})
    rows: dict[tuple[str, str], dict[str, Any]] = {
        (m, z): {"month": m, "zone": z} for m in months for z in (CITY, *zones)
    }
    small = small_marker(threshold)
    for month in months:
        for measure in MEASURES:
            values = {z: counts.get((month, z, measure), 0) for z in zones}
            values[CITY] = sum(values.values())
            hidden = protect(values, [Sum(CITY, tuple(zones))], threshold)
            for zone, value in values.items():
                if zone in hidden:
                    rows[(month, zone)][measure] = small if value < threshold else WITHHELD
                else:
                    rows[(month, zone)][measure] = value
    return list(rows.values())


def document(rows: list[dict[str, Any]], city_id: str, threshold: int, generated_at: str) -> dict[str, Any]:
    """The night's SAT file: what each figure is, and the rows."""
    return {
        "city": city_id,
        "generated_at": generated_at,
        "sat_cases": rows,
        "measures": {
            "opened": "SAT cases opened in the month (the school-dropout early warning)",
            "followed": "cases whose follow-up started in the month",
            "re_engaged": "cases closed in the month with the student back in school",
        },
        "small_cells": f"'{small_marker(threshold)}': fewer than {threshold}; '{WITHHELD}': withheld so "
        "that a small cell cannot be recovered from the city's total",
    }
