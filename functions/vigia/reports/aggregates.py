"""The observatory's unsafe-place map: reports per quadrant and time of day, small cells held back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from vigia.city.geo import polygon_centroid
from vigia.city.model import CityPack
from vigia.reports.rules import TIMES_OF_DAY, Report, time_of_day


def _shown(count: int, k: int) -> int | str:
    return f"<{k}" if 0 < count < k else count


def unsafe_places(reports: Iterable[Report], pack: CityPack, k: int) -> list[dict[str, Any]]:
    """One row per quadrant: unsafe-place reports by time of day, women's (self-declared) and the total.

    A count of 1 to k-1 is "<k". So a held-back cell cannot be had by subtraction from the row's total, a
    row with one held-back cell holds back its next smallest too; women's count is held back when the rest
    of the row (total minus women) is small, and everything when the total is."""
    by_quadrant: dict[str, Counter[str]] = {}
    women: Counter[str] = Counter()
    for r in reports:
        if not r.unsafe_place or r.quadrant_id is None:
            continue
        by_quadrant.setdefault(r.quadrant_id, Counter())[time_of_day(r, pack.time_zone)] += 1
        women[r.quadrant_id] += r.declared_gender == "woman"
    rows = []
    for quadrant_id, quadrant in pack.quadrants.items():
        counts = by_quadrant.get(quadrant_id, Counter())
        total = sum(counts.values())
        cells: dict[str, int | str] = {t: _shown(counts[t], k) for t in TIMES_OF_DAY}
        held = [t for t in TIMES_OF_DAY if isinstance(cells[t], str)]
        if len(held) == 1 and total >= k:
            others = sorted((counts[t], t) for t in TIMES_OF_DAY if t not in held and counts[t] > 0)
            if others:
                cells[others[0][1]] = f"<{k}" if others[0][0] < k else "x"
        w = women[quadrant_id]
        women_shown: int | str = _shown(w, k)
        if 0 < total - w < k:
            women_shown = "x"
        if 0 < total < k:
            cells = {t: (f"<{k}" if counts[t] else 0) for t in TIMES_OF_DAY}
            women_shown = f"<{k}" if w else 0
        lat, lon = polygon_centroid(quadrant.polygon)
        rows.append(
            {
                "quadrant_id": quadrant_id,
                "name": quadrant.name,
                "centroid": {"lat": lat, "lon": lon},
                "by_time_of_day": cells,
                "women": women_shown,
                "total": _shown(total, k),
            }
        )
    return rows
