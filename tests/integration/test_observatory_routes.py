"""GET /v1/observatory/compare and /resources on the emulated stack: the nightly run's own counts beside the
records ObservatoryTable holds, small cells as the indicators publish them, roles, and bad input named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support import FakeContext
from tests.support.alert_items import stored_alert

DAYS = (date(2026, 3, 9), date(2026, 3, 10))  # two nights of March computed, the other 29 not


def _run_nightly(day: date) -> None:
    from vigia.handlers.nightly_indicators import lambda_handler

    assert lambda_handler(
        {"date": day.isoformat()}, FakeContext("NightlyIndicatorsFunction", 1024, remaining_ms=900_000)
    )


def _seed_records(rows: list[tuple[str, str, str, str, float]]) -> None:
    """ObservatoryTable items as ingestion writes them: (zone_kind, zone_id, month, measure, value)."""
    from vigia.adapters.dynamodb.observatory import DynamoObservatory
    from vigia.observatory.compare import Record

    basis = {"hechos": "occurrence", "lesiones": "residence"}
    source = {"hechos": "snic", "lesiones": "salud"}
    DynamoObservatory().put(
        Record(kind, zone, month, source[measure], measure, value, f"ds-{source[measure]}", basis[measure])
        for kind, zone, month, measure, value in rows
    )


@pytest.fixture
def observed(stack) -> dict[str, Any]:
    """Three robberies a night on two nights in the first quadrant; police and health records of March."""
    pack = stack.pack
    first, second = sorted(pack.quadrants)[:2]
    block = next(b for b in pack.blocks.values() if b.quadrant_id == first)
    with stack.table("AlertsTable").batch_writer() as batch:
        for day in DAYS:
            noon = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
            for n in range(3):
                created = noon + timedelta(minutes=n)
                batch.put_item(Item=stored_alert(block, created, pack.zone_info, sender_id=f"r-{day}-{n}"))
    for day in DAYS:
        _run_nightly(day)
    code = pack.official_code.value
    kind = {"INDEC": "department", "CUT": "comuna"}[pack.official_code.scheme]
    _seed_records(
        [
            (kind, code, "2026-03", "hechos", 57),
            ("quadrant", first, "2026-03", "hechos", 40),
            ("quadrant", second, "2026-03", "hechos", 3),  # a small cell
            (kind, code, "2026-03", "lesiones", 12),
            (kind, code, "2026-04", "hechos", 61),
        ]
    )
    return {"first": first, "second": second, "code": code, "kind": kind}


@pytest.mark.cities
def test_an_analyst_compares_a_month_of_alerts_with_the_sources_side_by_side(
    api, stack, staff_claims, observed
):
    # When an analyst compares the city (its department or comuna) over March and April
    answer = api(
        "GET",
        "/v1/observatory/compare",
        claims=staff_claims("analyst"),
        query={"zone": "city", "from": "2026-03", "to": "2026-04"},
    )

    # Then each month shows the nightly run's count (6 alerts, 29 nights of March not computed) beside each
    # source's own figure, never added, and says which counts by occurrence and which by residence
    assert answer.status == 200, answer.body
    body = answer.json
    assert body["zone"] == {
        "kind": observed["kind"],
        "id": observed["code"],
        "name": stack.pack.name,
        "population": stack.pack.population,
    }
    march, april = body["months"]
    assert (march["alerts"], march["days_missing"]) == (6, 29)
    assert (april["alerts"], april["days_missing"]) == (None, 30)  # no night computed: no count
    shown = {(c["source"], c["measure"]): c["value"] for c in march["sources"]}
    assert shown == {("salud", "lesiones"): 12, ("snic", "hechos"): 57}
    assert all(c["ratio"] is None for c in march["sources"])  # part of a month: no ratio
    assert {(s["source"], s["basis"]) for s in body["series"]} == {
        ("vigia", "occurrence"),
        ("snic", "occurrence"),
        ("salud", "residence"),
    }
    assert "never added" in body["basis_note"]

    # And the first quadrant's 40 is withheld ("x"): with the second's "<5" the department's 57 would
    # give it back; both answers keep every small cell
    for zone, expected in ((observed["first"], "x"), (observed["second"], "<5")):
        quadrant = api(
            "GET",
            "/v1/observatory/compare",
            claims=staff_claims("admin"),
            query={"zone": zone, "from": "2026-03", "to": "2026-03", "measures": "snic:hechos"},
        ).json
        assert [c["value"] for c in quadrant["months"][0]["sources"]] == [expected], zone
    first = api(
        "GET",
        "/v1/observatory/compare",
        claims=staff_claims("analyst"),
        query={"zone": observed["first"], "from": "2026-03", "to": "2026-03"},
    ).json
    assert first["months"][0]["alerts"] == 6


def test_resources_per_quadrant_read_the_pack_the_nightly_run_and_the_records(
    api, stack, staff_claims, observed
):
    answer = api(
        "GET",
        "/v1/observatory/resources",
        claims=staff_claims("analyst"),
        query={"from": "2026-03", "to": "2026-03"},
    )
    assert answer.status == 200, answer.body
    quadrants = {q["quadrant_id"]: q for q in answer.json["quadrants"]}
    assert set(quadrants) == set(stack.pack.quadrants)
    first = quadrants[observed["first"]]
    population = stack.pack.quadrants[observed["first"]].population
    assert first["units"] == len(stack.pack.units_in(observed["first"]))
    assert first["alerts"] == 6
    assert first["alerts_per_100k"] == round(6 * 100_000 / population, 2)
    assert [(r["source"], r["value"], r["per_100k"]) for r in first["recorded"]] == [("snic", "x", None)]
    assert [r["value"] for r in quadrants[observed["second"]]["recorded"]] == ["<5"]
    assert answer.json["population_by_quadrant"] is True


def test_only_analysts_and_admins_read_the_observatory(api, stack, staff_claims, citizen, observed):
    callers: dict[str, dict[str, Any]] = {r: staff_claims(r) for r in ("operator", "police", "response_team")}
    callers["citizen"] = citizen.claims
    month = {"from": "2026-03", "to": "2026-03"}
    for path in ("/v1/observatory/compare", "/v1/observatory/resources"):
        for who, claims in callers.items():
            answer = api("GET", path, claims=claims, query=month)
            assert answer.status == 403, (who, path, answer.body)
            assert "months" not in answer.body
            assert "quadrants" not in answer.body
        assert api("GET", path, query=month).status == 401
        for role in ("analyst", "admin"):
            assert api("GET", path, claims=staff_claims(role), query=month).status == 200, (role, path)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"zone": "Q-99"}, 400, "/zone"),
        ({"zone": "B-0001"}, 400, "/zone"),
        ({"from": "2026-3"}, 400, "/from"),
        ({"to": "2026-13"}, 400, "/to"),
        ({"from": "2026-05", "to": "2026-03"}, 422, "/from"),
        ({"from": "2025-01", "to": "2026-03"}, 422, "/from"),
        ({"from": "2026-03", "to": "2026-03", "measures": "snic:robos"}, 422, "/measures"),
        ({"measures": ";drop"}, 400, "/measures"),
    ],
)
def test_bad_input_is_a_problem_naming_the_parameter(
    api, stack, staff_claims, observed, query, status, field
):
    answer = api("GET", "/v1/observatory/compare", claims=staff_claims("analyst"), query=query)
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert field in [e["path"] for e in answer.json["errors"]], answer.body


def test_a_dataset_registered_and_uploaded_is_compared_beside_the_alerts(api, stack, staff_claims):
    """The whole path on the emulated stack: POST /v1/datasets, the file PUT to its presigned URL, the
    ingestion, then the compare view reads what ingestion wrote, beside the nightly run's alerts."""
    from tests.integration.test_datasets import DATA, SNIC, register, upload

    # Given Argentina's SNIC file for Godoy Cruz, registered and uploaded, and a night of January computed
    upload(stack, register(api, staff_claims("analyst"), SNIC), (DATA / "snic.csv").read_bytes())
    block = next(iter(stack.pack.blocks.values()))
    noon = datetime(2024, 1, 15, 15, 0, tzinfo=UTC)
    with stack.table("AlertsTable").batch_writer() as batch:
        for n in range(4):
            batch.put_item(Item=stored_alert(block, noon + timedelta(minutes=n), stack.pack.zone_info))
    _run_nightly(date(2024, 1, 15))

    # When an analyst compares the city over January and February 2024
    answer = api(
        "GET",
        "/v1/observatory/compare",
        claims=staff_claims("analyst"),
        query={"zone": "city", "from": "2024-01", "to": "2024-02", "measures": "minseg-snic:cantidad_hechos"},
    )

    # Then the source's months are the file's (41 and 35, by place of occurrence) beside the alerts
    assert answer.status == 200, answer.body
    body = answer.json
    january, february = body["months"]
    assert (january["alerts"], january["days_missing"]) == (4, 30)
    assert [c["value"] for c in january["sources"]] == [41]
    assert [c["value"] for c in february["sources"]] == [35]
    assert february["alerts"] is None
    assert {(s["source"], s["basis"]) for s in body["series"]} == {
        ("vigia", "occurrence"),
        ("minseg-snic", "occurrence"),
    }


@pytest.mark.cities("penalolen")
def test_a_survey_estimate_from_few_respondents_is_held_back(api, stack, staff_claims):
    from tests.integration.test_datasets import DATA, register, upload

    # Given an ENUSC-like survey of Peñalolén whose September estimate rests on 4 respondents
    survey = {
        "source": "enusc",
        "licence": "INE",
        "period": {"from": "2024-09", "to": "2024-09"},
        "reader": "survey",
        "geography": {"kind": "comuna"},
        "measures": [{"name": "percepcion_inseguridad", "meaning": "se siente inseguro en su barrio"}],
    }
    upload(stack, register(api, staff_claims("analyst"), survey), (DATA / "survey.csv").read_bytes())
    # When the comuna is compared
    answer = api(
        "GET",
        "/v1/observatory/compare",
        claims=staff_claims("analyst"),
        query={"zone": "13122", "from": "2024-09", "to": "2024-09"},
    )
    # Then the estimate is held back ("<5"), its ratio too (4 respondents; that an estimate from enough
    # respondents is published whatever its value is pinned in tests/unit/test_observatory_compare.py)
    assert answer.status == 200, answer.body
    assert answer.json["zone"]["kind"] == "comuna"
    cells = answer.json["months"][0]["sources"]
    assert [(c["source"], c["value"], c["ratio"]) for c in cells] == [("enusc", "<5", None)]
