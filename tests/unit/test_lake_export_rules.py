"""The lake export's rules on any day of alerts (vigia.lake.export, pure): a silent alert, or one of a type
the city seals, is only a quadrant's number; every alert is counted once; held-back figures stay held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.indicators_fixtures import tiny_frame
from vigia.indicators.facts import AlertFacts
from vigia.lake.export import NO_QUADRANT, alert_rows, incident_rows, indicator_rows

FRAME = tiny_frame()
NOON = datetime(2026, 3, 10, 15, tzinfo=UTC)
PLACES = [("B-1", "Q-1"), ("B-2", "Q-1"), ("B-3", "Q-2"), (None, None)]


@st.composite
def alerts(draw: st.DrawFn) -> AlertFacts:
    n = draw(st.integers(0, 10_000))
    block, quadrant = draw(st.sampled_from(PLACES))
    return AlertFacts(
        alert_id=f"A{n:05d}",
        type=draw(st.sampled_from(["robbery", "medical_emergency", "domestic_violence"])),
        silent=draw(st.booleans()),
        created_at=NOON + timedelta(seconds=n),
        status=draw(st.sampled_from(["received", "resolved", "cancelled", "false_alarm"])),
        block_id=block,
        quadrant_id=quadrant,
        cancelled=False,
        false_alarm=False,
        dispatch_time_s=None,
        response_time_s=None,
        met_target=None,
        sirens_sounded=draw(st.integers(0, 3)),
    )


def _sealed(a: AlertFacts) -> bool:
    return a.silent or a.type == "domestic_violence"


@given(st.lists(alerts(), max_size=40, unique_by=lambda a: a.alert_id))
def test_a_silent_or_sealed_alert_is_only_its_quadrants_number(day: list[AlertFacts]) -> None:
    rows = alert_rows(day, FRAME)
    incidents = incident_rows(day, FRAME)

    sealed = [a for a in day if _sealed(a)]
    hidden = {a.alert_id for a in sealed}
    assert not hidden & {r.get("alert_id") for r in rows + incidents}
    silent_rows = [r for r in rows if r["silent"]]
    for row in silent_rows:  # nothing but the quadrant and the number
        assert {k for k, v in row.items() if v is not None} == {"silent", "alerts", "quadrant_id"}
    assert {r["quadrant_id"]: r["alerts"] for r in silent_rows} == {
        q: sum(1 for a in sealed if (a.quadrant_id or NO_QUADRANT) == q)
        for q in {a.quadrant_id or NO_QUADRANT for a in sealed}
    }
    assert sum(r["alerts"] for r in rows) == len(day)  # every alert counted once
    assert len(incidents) == len(day) - len(sealed)


def test_held_back_indicator_figures_are_null_and_named_with_their_marker() -> None:
    published = {"zone_level": "block", "zone": "B-1", "type": "all", "iccs": "0401", "count": 3,
                 "cancellations": "<5", "false_alarm_share": "x", "rate_per_100k": 100.0}  # fmt: skip

    (row,) = indicator_rows([published])

    assert (row["count"], row["rate_per_100k"], row["iccs"]) == (3, 100.0, "0401")
    assert (row["cancellations"], row["false_alarm_share"]) == (None, None)
    assert row["held_back"] == "false_alarm_share=x;cancellations=<5"
