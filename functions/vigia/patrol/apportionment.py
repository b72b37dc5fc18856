"""How many of a unit's hourly stops each fixed point gets: in proportion to its score.

Three steps, each a textbook rule:

1. Fair shares: stops * score / total score (Hamilton's quota), except that no place may take more
   than stops / spacing — one stop in every `spacing` hours is the most the no-return rule lets a
   place have. Shares above that cap are cut to it and the surplus is shared out in proportion among
   the rest (water-filling); when every scored place is capped, places without score share the rest.
2. Largest remainder (Hamilton's method): every place gets the whole part of its share, and the
   stops left over go to the largest fractional parts (ties: higher score, then the earlier place).
3. Order check: a sequence with each place `spacing` slots apart exists exactly when
   (most - 1) * spacing + (places with that most) <= stops; while it does not, one stop moves from
   a most-visited place to the least-served place that is two or more below it.

With at least `spacing` places the result always admits a schedule that never returns too soon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def fair_shares(total: int, weights: Sequence[float], cap: float | None = None) -> list[float]:
    """Real-valued shares summing to `total`: proportional to weights, none above `cap`."""
    k = len(weights)
    if k == 0 or total <= 0:
        return [0.0] * k
    limit = math.inf if cap is None else float(cap)
    shares = [0.0] * k
    fixed: set[int] = set()
    remaining = float(total)
    positive = [i for i in range(k) if weights[i] > 0]
    # Water-filling over the scored places: cap the largest, re-share the rest, until nothing exceeds.
    while positive:
        mass = sum(weights[i] for i in positive)
        over = [i for i in positive if remaining * weights[i] / mass > limit + 1e-12]
        if not over:
            for i in positive:
                shares[i] = remaining * weights[i] / mass
            remaining = 0.0
            break
        for i in over:
            shares[i] = limit
            fixed.add(i)
            remaining -= limit
        positive = [i for i in positive if i not in fixed]
    if remaining > 1e-9:
        # Every scored place is capped (or none had score): the rest goes evenly to the others.
        others = [i for i in range(k) if i not in fixed and weights[i] <= 0] or [
            i for i in range(k) if i not in fixed
        ]
        while others and remaining > 1e-9:
            even = remaining / len(others)
            if even <= limit + 1e-12:
                for i in others:
                    shares[i] = even
                remaining = 0.0
                break
            for i in others:
                shares[i] = limit
            remaining -= limit * len(others)
            others = []
    return shares


def largest_remainder(
    total: int, shares: Sequence[float], weights: Sequence[float] | None = None
) -> list[int]:
    """Integers summing to `total`, each the floor or ceiling of its (real) share."""
    k = len(shares)
    if k == 0:
        return []
    counts = [math.floor(s + 1e-9) for s in shares]
    left = total - sum(counts)
    w = weights or [0.0] * k
    order = sorted(range(k), key=lambda i: (-(shares[i] - counts[i]), -w[i], i))
    for i in order[: max(left, 0)]:
        counts[i] += 1
    return counts


def spacing_feasible(counts: Sequence[int], spacing: int) -> bool:
    """Whether the counts can be laid out in sum(counts) consecutive slots, repeats `spacing` apart."""
    total = sum(counts)
    if total == 0 or spacing <= 1:
        return True
    most = max(counts)
    with_most = sum(1 for c in counts if c == most)
    return (most - 1) * spacing + with_most <= total


def stop_counts(total: int, weights: Sequence[float], spacing: int) -> list[int]:
    """Stops per place for `total` hourly slots (see the module docstring)."""
    k = len(weights)
    if k == 0:
        return []
    cap = total / spacing if spacing > 1 and k >= spacing else None
    shares = fair_shares(total, weights, cap)
    counts = largest_remainder(total, shares, weights)
    if cap is None:
        return counts
    while not spacing_feasible(counts, spacing):
        most = max(counts)
        donors = [i for i in range(k) if counts[i] == most]
        receivers = [i for i in range(k) if counts[i] <= most - 2]
        if not receivers:  # cannot happen with k >= spacing; stop rather than loop
            break
        donor = min(donors, key=lambda i: (shares[i] - counts[i], weights[i], -i))
        receiver = max(receivers, key=lambda i: (shares[i] - counts[i], weights[i], -i))
        counts[donor] -= 1
        counts[receiver] += 1
    return counts
