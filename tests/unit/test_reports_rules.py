"""Residents' reports, the pure rules: not an emergency channel, their own limit, the status steps, and what
Open311's public feed may show (no reporter, rounded place, small cells held back)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigia.city import load_city_pack
from vigia.reports import aggregates, rules
from vigia.reports.catalogue import ReportLimit, catalogue
from vigia.reports.rules import Report, TooManyReports

ROOT = Path(__file__).resolve().parents[2]
PACKS = {
    city: load_city_pack(ROOT / "infra/cities" / city, ROOT / "schemas/city.schema.json")
    for city in ("godoy-cruz", "penalolen")
}
NOW = datetime(2026, 3, 10, 22, 17, 41, tzinfo=UTC)


def _report(**kw: object) -> Report:
    base = Report(
        report_id="01J0000000000000000000000A",
        reporter_id="resident-1",
        type="unsafe_place",
        department="urban_safety",
        unsafe_place=True,
        lat=-32.92561,
        lon=-68.84912,
        quadrant_id="Q1",
        description="Pasaje Belgrano sin luz, de noche tengo miedo",
        created_at="2026-03-10T22:17:41.000Z",
        time_of_day="night",
        declared_gender="woman",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


# --- not an emergency channel ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "ME ESTÁN ROBANDO ayuda",
        "me estan robando!!",
        "hay un incendio en la esquina",
        "tiene un ARMA",
        "a man with a gun",
    ],
)
def test_a_text_that_describes_an_emergency_is_named(text: str) -> None:
    cat = catalogue(PACKS["godoy-cruz"])
    assert rules.emergency_word(text, cat.emergency_words) is not None


@pytest.mark.parametrize(
    "text",
    [
        "la luminaria del armario eléctrico está rota",
        "basura en la vereda",
        "auto abandonado hace un mes",
        "",
    ],
)
def test_an_ordinary_report_is_not_an_emergency(text: str) -> None:
    # "armario" holds "arma" but not as a word
    cat = catalogue(PACKS["godoy-cruz"])
    assert rules.emergency_word(text, cat.emergency_words) is None


def test_penalolen_names_its_own_emergencies() -> None:
    cat = catalogue(PACKS["penalolen"])
    assert rules.emergency_word("nos hicieron un portonazo", cat.emergency_words) == "portonazo"
    assert (
        rules.emergency_word("nos hicieron un portonazo", catalogue(PACKS["godoy-cruz"]).emergency_words)
        is None
    )


# --- the reports' own limit --------------------------------------------------------------------------


def test_the_limit_takes_exactly_max_reports_in_the_window_then_says_when_to_retry() -> None:
    limit = ReportLimit(max_reports=3, window_s=3600)
    sent: tuple[str, ...] = ()
    for minute in range(3):
        sent = rules.admit(sent, now=NOW + timedelta(minutes=minute), limit=limit)
    with pytest.raises(TooManyReports) as refused:
        rules.admit(sent, now=NOW + timedelta(minutes=10), limit=limit)
    # the oldest (NOW) leaves the window at NOW + 1 h: 50 minutes from the 4th try
    assert refused.value.retry_after_s == 50 * 60
    assert refused.value.status == 429
    # once the oldest two have left, one more is taken: the window holds minute 2's and this one
    assert rules.admit(sent, now=NOW + timedelta(minutes=61), limit=limit) == (
        sent[2],
        "2026-03-10T23:18:41.000Z",
    )


# --- status ------------------------------------------------------------------------------------------


def test_a_closed_report_stays_closed_and_keeps_its_notes() -> None:
    report = _report()
    working = rules.moved(report, rules.IN_PROGRESS, "Cuadrilla asignada", by_role="operator", now=NOW)
    closed = rules.moved(working, rules.CLOSED, "Luminaria repuesta", by_role="operator", now=NOW)
    assert closed.closed_at
    assert [n.note for n in closed.notes] == ["Cuadrilla asignada", "Luminaria repuesta"]
    for status in rules.STATUSES:
        with pytest.raises(ValueError, match="cannot become"):
            rules.moved(closed, status, "otra vez", by_role="operator", now=NOW)
    with pytest.raises(ValueError, match="not routed again"):
        rules.routed(closed, "lighting", "", by_role="operator", now=NOW)


# --- Open311 mapping ---------------------------------------------------------------------------------


def test_every_report_type_routes_to_a_department_of_its_pack_and_is_an_open311_service() -> None:
    for pack in PACKS.values():
        cat = catalogue(pack)
        assert any(t.unsafe_place for t in cat.types.values())
        for code, kind in cat.types.items():
            assert kind.department in cat.departments, (pack.city_id, code)
            service = rules.service(code, cat)
            assert service["service_code"] == code
            assert service["type"] == "realtime"
            assert service["metadata"] is False


def test_the_public_request_carries_no_reporter_and_withholds_a_small_cells_place() -> None:
    cat = catalogue(PACKS["godoy-cruz"])
    report = _report()
    alone = rules.public_request(report, cat, rules.cell_counts([report], 3))
    # nothing of who reported: no id, no gender, no time of day, no text (the pack keeps it private)
    text = str(alone)
    for secret in ("resident-1", "woman", "night", "Belgrano"):
        assert secret not in text
    assert alone["description"] is None
    # one report in its cell and month: no place at all; the minute she reported is not said
    assert alone["lat"] is None
    assert alone["long"] is None
    assert alone["requested_datetime"] == "2026-03-10T22:00:00Z"
    assert alone["status"] == "open"
    assert alone["agency_responsible"] == "Seguridad urbana y prevención"
    # five reports of that month in the same ~100 m cell: the place shows, rounded to 3 decimals
    near = [replace(report, report_id=str(i), lat=report.lat + i * 0.00001) for i in range(5)]
    shown = rules.public_request(report, cat, rules.cell_counts(near, 3))
    assert (shown["lat"], shown["long"]) == (-32.926, -68.849)


def test_in_progress_is_open_for_open311() -> None:
    cat = catalogue(PACKS["penalolen"])
    working = replace(_report(department="lighting", type="dark_spot"), status=rules.IN_PROGRESS)
    assert rules.public_request(working, cat, {})["status"] == "open"


# --- the observatory's map ---------------------------------------------------------------------------


def test_unsafe_places_hold_back_small_cells_and_the_cell_a_total_would_give_away() -> None:
    pack = PACKS["godoy-cruz"]
    quadrant = next(iter(pack.quadrants))
    at_night = [_report(report_id=f"n{i}", quadrant_id=quadrant, time_of_day="night") for i in range(6)]
    morning = [
        _report(report_id=f"m{i}", quadrant_id=quadrant, time_of_day="morning", declared_gender=None)
        for i in range(2)
    ]
    evening = [_report(report_id=f"e{i}", quadrant_id=quadrant, time_of_day="evening") for i in range(7)]
    lighting = [_report(report_id="l", quadrant_id=quadrant, unsafe_place=False, type="broken_lighting")]
    rows = {
        r["quadrant_id"]: r
        for r in aggregates.unsafe_places(at_night + morning + evening + lighting, pack, 5)
    }
    row = rows[quadrant]
    assert row["total"] == 15  # the broken light is not an unsafe place
    assert row["by_time_of_day"]["morning"] == "<5"
    # with the total shown, the morning's 2 = 15 - 6 - 7: the next smallest (night, 6) is held back too
    assert row["by_time_of_day"]["night"] == "x"
    assert row["by_time_of_day"]["evening"] == 7
    # 13 women of 15: the other 2 would be total - women, so women's count is held back
    assert row["women"] == "x"


# --- the lake ----------------------------------------------------------------------------------------


def test_the_lakes_reports_rows_carry_no_reporter_text_or_place_and_count_the_local_hour() -> None:
    from vigia.lake.export import report_rows
    from vigia.lake.tables import REPORTS

    pack = PACKS["godoy-cruz"]
    said = _report()  # 22:17 UTC = 19:17 in Mendoza; she said "night"
    unsaid = _report(report_id="b", time_of_day=None, declared_gender=None, quadrant_id=None)
    rows = report_rows([said, unsaid], pack.time_zone)
    assert [tuple(r) for r in rows] == [REPORTS.column_names] * 2
    for secret in ("resident-1", "Belgrano", "-32.9", "-68.8"):
        assert secret not in str(rows)
    assert (rows[0]["local_hour"], rows[0]["month"], rows[0]["time_of_day"]) == (19, "2026-03", "night")
    assert rows[0]["declared_gender"] == "woman"
    # not said: the part of the day she reported in, no gender, outside every quadrant
    assert (rows[1]["time_of_day"], rows[1]["declared_gender"], rows[1]["quadrant_id"]) == (
        "evening",
        None,
        "#none",
    )
