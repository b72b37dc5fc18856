"""Small-cell suppression: no count below the city's threshold is published, nor can it be subtracted out.

Primary suppression: a count below the threshold is published as "<5" (for a threshold of 5).
Complementary suppression: the cells of a table add up (a zone's `all` row is the sum of its type rows,
a quadrant the sum of its blocks, the city the sum of its quadrants). Whenever one of those sums has
exactly one unpublished cell (the total or one part), that cell is the total minus the others: the
smallest published part of the sum is withheld as well (published as "x", meaning "withheld so that a
small cell cannot be recovered; at least the threshold"), and the check runs again until no sum has a
single unknown. Parts the reader can count elsewhere (alerts located in no block) are treated as known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")

WITHHELD = "x"


def small_marker(threshold: int) -> str:
    return f"<{threshold}"


@dataclass(frozen=True)
class Sum(Generic[K]):
    """total = Σ parts (+ something the reader already knows)."""

    total: K
    parts: tuple[K, ...]


def protect(
    values: Mapping[K, int],
    sums: Sequence[Sum[K]],
    threshold: int,
    *,
    unknown: Iterable[K] = (),
    order: Callable[[K], object] = repr,
) -> set[K]:
    """The cells to withhold: those below `threshold`, those in `unknown`, and the complementary ones.

    Only cells present in `values` take part: a cell absent from `values` is not published in this
    quantity and plays no role in its sums.
    """
    hidden = {k for k, v in values.items() if v < threshold}
    hidden |= {k for k in unknown if k in values}
    changed = True
    while changed:
        changed = False
        for s in sums:
            if s.total not in values:
                continue
            parts = [p for p in s.parts if p in values]
            unknowns = (s.total in hidden) + sum(1 for p in parts if p in hidden)
            if unknowns != 1:
                continue
            # Hide the smallest published part; a sum whose only part is hidden hides its total instead.
            candidates = [p for p in parts if p not in hidden] or [c for c in (s.total,) if c not in hidden]
            if not candidates:
                continue  # a hidden total without parts: nothing to subtract from
            hidden.add(min(candidates, key=lambda k: (values[k], order(k))))
            changed = True
    return hidden


def recoverable(values: Mapping[K, int], sums: Sequence[Sum[K]], hidden: set[K]) -> set[K]:
    """Hidden cells an attacker can compute exactly from one sum (for tests and audits)."""
    found: set[K] = set()
    for s in sums:
        if s.total not in values:
            continue
        cells = [s.total, *(p for p in s.parts if p in values)]
        unknowns = [c for c in cells if c in hidden]
        if len(unknowns) == 1:
            found.add(unknowns[0])
    return found
