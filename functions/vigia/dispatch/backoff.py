"""Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter")."""

from __future__ import annotations

import random


def delay_s(attempt: int, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Seconds before retry number `attempt` (1 = first): uniform in [0, min(cap, base·2^(n-1))]."""
    if attempt < 1 or base_s <= 0:
        return 0.0
    ceiling = min(cap_s, base_s * 2 ** min(attempt - 1, 30))
    return (rng or random).uniform(0, ceiling)
