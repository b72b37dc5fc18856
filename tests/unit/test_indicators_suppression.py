"""Small-cell suppression holds for every day: counts exact, no small outcome published or subtractable.

The full attacker (every combination, every level, the feed, the summaries) is test_indicators_attack.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.indicators_fixtures import tiny_frame, utc
from vigia.indicators.facts import AlertFacts
from vigia.indicators.suppression import Sum, protect, recoverable
from vigia.indicators.table import compute_day

DAY = date(2026, 3, 10)
NOON = utc("2026-03-10T15:00:00")
PLACES = [("B-1", "Q-1"), ("B-2", "Q-1"), ("B-3", "Q-2"), (None, "Q-1"), (None, "Q-2"), (None, None)]
TYPES = ["robbery", "medical_emergency", "domestic_violence"]
PUBLIC = ["medical_emergency", "robbery"]
OUTCOME_COLUMNS = ["cancellations", "sirens_sounded", "neighbour_messages"]


@st.composite
def alerts(draw: st.DrawFn) -> list[AlertFacts]:
    made = []
    for n in range(draw(st.integers(0, 60))):
        type_ = draw(st.sampled_from(TYPES))
        block, quadrant = draw(st.sampled_from(PLACES))
        outcome = draw(st.sampled_from(["resolved", "cancelled", "false_alarm", "open"]))
        response = draw(st.none() | st.integers(30, 1800))
        made.append(
            AlertFacts(
                alert_id=f"A{n}",
                type=type_,
                silent=type_ == "domestic_violence",
                created_at=NOON + timedelta(seconds=n),
                status=outcome,
                block_id=block,
                quadrant_id=quadrant,
                cancelled=outcome == "cancelled",
                false_alarm=outcome == "false_alarm",
                dispatch_time_s=None if response is None else response / 3,
                response_time_s=response,
                met_target=None if response is None else response <= 420,
                sirens_sounded=draw(st.integers(0, 3)),
                neighbour_messages=draw(st.integers(0, 30)),
            )
        )
    return made


def published_sums(
    rows: dict[tuple[str, str], dict], day_alerts: list[AlertFacts]
) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    """The exact sums a reader can write down from the files and the feed (an oracle independent of
    table.py's). A quadrant is the sum of its blocks only when the feed shows no alert of the kind in it
    without a block (its outcomes are unknown), and the city the sum of its quadrants likewise."""
    blocks_of = {"Q-1": ["B-1", "B-2"], "Q-2": ["B-3"]}
    public = [a for a in day_alerts if not a.silent]
    zones = {z for z, _ in rows}
    sums = []
    for zone in zones:
        sums.append(((zone, "all"), [k for k in rows if k[0] == zone and k[1] != "all"]))
    for q, blocks in blocks_of.items():
        present = [b for b in blocks if b in zones]
        for t in ["all", *PUBLIC]:
            if not any(a.quadrant_id == q and a.block_id is None and t in ("all", a.type) for a in public):
                sums.append(((q, t), [(b, t) for b in present]))
    for t in ["all", *PUBLIC]:
        if not any(a.quadrant_id is None and t in ("all", a.type) for a in public):
            sums.append((("city", t), [("Q-1", t), ("Q-2", t)]))
    return sums


@settings(max_examples=100, deadline=None)
@given(alerts(), st.integers(2, 6))
def test_counts_are_exact_and_no_outcome_below_the_threshold_is_published_or_recoverable_from_a_sum(
    day_alerts, threshold
):
    result = compute_day(DAY, day_alerts, tiny_frame(threshold=threshold))
    rows = {(r.zone, r.type): dict(r.published) for r in result.rows}
    exact = {(r.zone, r.type): r.stats for r in result.rows}

    assert all(t in ["all", *PUBLIC] for _, t in rows)  # silent types are in no row of the day
    for key, row in rows.items():
        assert row["count"] == exact[key].count  # the feed lists every public alert: nothing to hide
    for column in OUTCOME_COLUMNS:
        for key, row in rows.items():
            value = row[column]
            if isinstance(value, int):
                # a small number only where every reader knows it already: no alert of that kind there
                assert value >= threshold or row["count"] == 0, (column, key, value)
                assert value == getattr(exact[key], column)  # published numbers are true numbers
            else:
                assert value in (f"<{threshold}", "x"), (column, key, value)
                assert (value == "x") == (getattr(exact[key], column) >= threshold)
        for total, parts in published_sums(rows, day_alerts):
            if not parts:
                continue  # a total with no published part is not a difference of published cells
            cells = [total, *parts]
            unknown = [c for c in cells if not isinstance(rows[c][column], int)]
            assert len(unknown) != 1, f"{column}: {unknown[0]} = {total} - others"


@settings(max_examples=100, deadline=None)
@given(alerts(), st.integers(2, 6))
def test_a_published_share_never_rests_on_fewer_than_the_threshold_on_either_side(day_alerts, threshold):
    result = compute_day(DAY, day_alerts, tiny_frame(threshold=threshold))

    for row in result.rows:
        s, p = row.stats, row.published
        if p["false_alarm_share"] is not None:
            assert s.false_alarms >= threshold
            assert s.count - s.false_alarms >= threshold
            assert isinstance(p["count"], int)
        if p["within_target_share"] is not None:
            assert s.within_target >= threshold
            assert s.with_target - s.within_target >= threshold
        if p["response_time_median_s"] is not None:
            assert isinstance(p["count"], int)
            assert len(s.response_times) >= threshold
        if p["rate_per_100k"] is not None:
            assert isinstance(p["count"], int)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 12), min_size=1),
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.lists(st.sampled_from("abcdefgh"), max_size=4)), max_size=6
    ),
    st.integers(1, 6),
)
def test_protect_leaves_no_sum_with_a_single_unknown(values, raw_sums, threshold):
    sums = [Sum(total, tuple(p for p in parts if p != total)) for total, parts in raw_sums]

    hidden = protect(values, sums, threshold)

    assert {k for k, v in values.items() if v < threshold} <= hidden
    assert recoverable(values, sums, hidden) <= {
        s.total for s in sums if s.total in hidden and not [p for p in s.parts if p in values]
    }


def test_a_lone_small_part_under_a_published_total_takes_a_sibling_with_it():
    values = {"total": 12, "small": 2, "medium": 6, "large": 4 + 0}
    sums = [Sum("total", ("small", "medium", "large"))]

    # "small" and "large" are both below 5: two unknowns, nothing to add.
    assert protect(values, sums, 5) == {"small", "large"}
    # With only "small" below 5, the smallest other part goes too.
    values["large"] = 7
    values["total"] = 15
    assert protect(values, sums, 5) == {"small", "medium"}
