"""The Getis-Ord Gi* statistic: is a place, with its neighbours, hotter than the city as a whole?

For place i among n places with values x (zero where nothing happened) and binary weights
w_ij = 1 when j is i itself or one of its neighbours (the "star": i counts in its own neighbourhood):

    W_i   = sum_j w_ij                      (neighbours, i included)
    x_bar = sum_j x_j / n
    S     = sqrt(sum_j x_j**2 / n - x_bar**2)
    Gi*_i = (sum_j w_ij x_j - x_bar * W_i) / (S * sqrt((n * W_i - W_i**2) / (n - 1)))

(Getis & Ord 1992; Ord & Getis 1995, eq. 13 with binary weights, where sum_j w_ij**2 = W_i.)
Gi* is itself a z-score: under the null hypothesis of no spatial clustering it is approximately
standard normal, so Gi* >= 1.96 marks a hot spot at 95 % confidence (one place at a time: with
hundreds of places some false positives are expected, which is why the scheduler weighs hot spots
by their score rather than trusting any one of them blindly).

Degenerate cases answer 0 rather than dividing by zero: every value equal (S = 0), fewer than two
places, or a neighbourhood that is the whole study area (n * W_i = W_i**2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Z_95 = 1.959964  # two-sided 95 %: the usual "hot spot" threshold
CONFIDENCE_LEVELS = ((2.575829, 99), (Z_95, 95), (1.644854, 90))


def gi_star(
    values: Sequence[float] | NDArray[np.float64], neighbours: Sequence[Sequence[int]]
) -> NDArray[np.float64]:
    """Gi* z-scores, one per place; `neighbours[i]` lists the indices of i's neighbours.

    The place itself is always counted once in its own neighbourhood, listed or not.
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    if n < 2:
        return np.zeros(n)
    rows: list[int] = []
    cols: list[int] = []
    for i, around in enumerate(neighbours):
        members = set(around)
        members.add(i)
        rows.extend([i] * len(members))
        cols.extend(members)
    row_index = np.asarray(rows, dtype=np.intp)
    col_index = np.asarray(cols, dtype=np.intp)
    local_sum = np.bincount(row_index, weights=x[col_index], minlength=n)
    w = np.bincount(row_index, minlength=n).astype(np.float64)
    mean = float(x.mean())
    spread = float(x.std())  # two-pass: no cancellation when scores sit far from zero
    if spread <= 1e-12 * max(1.0, abs(mean)):
        return np.zeros(n)
    variance_part = (n * w - w * w) / (n - 1)
    denominator = spread * np.sqrt(np.clip(variance_part, 0.0, None))
    z = np.zeros(n)
    ok = denominator > 0
    z[ok] = (local_sum[ok] - mean * w[ok]) / denominator[ok]
    return z


def p_value(z: float) -> float:
    """Two-sided p-value of a Gi* z-score (the convention behind the 90/95/99 % thresholds)."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def confidence(z: float) -> int | None:
    """90, 95 or 99 when the place is a hot spot at that confidence, else None."""
    for threshold, level in CONFIDENCE_LEVELS:
        if z >= threshold:
            return level
    return None
