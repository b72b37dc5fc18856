"""Rates per 100,000 say whose 100,000: the day's file and the indicator answers name the population's source
and the place's official code, from the city pack."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from vigia.api.validation import validate
from vigia.city import load_city_pack
from vigia.indicators import service
from vigia.indicators.exports import render
from vigia.indicators.frame import CityFrame, frame_from_pack
from vigia.indicators.table import compute_day

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 7, 14)
NOW_ISO = "2026-07-15T09:00:00+00:00"


@pytest.fixture(scope="module", params=["godoy-cruz", "penalolen"])
def frame(request: pytest.FixtureRequest) -> CityFrame:
    pack = load_city_pack(ROOT / "infra" / "cities" / request.param, ROOT / "schemas" / "city.schema.json")
    return frame_from_pack(pack)


def _pack_identity(frame: CityFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = json.loads((ROOT / "infra" / "cities" / frame.city_id / "city.json").read_text(encoding="utf-8"))
    return raw["population_source"], raw["official_code"]


def test_the_days_json_states_the_population_its_rates_use_and_its_source(frame: CityFrame) -> None:
    # When a night writes a day's file
    files = render(compute_day(DAY, [], frame), frame)
    document = validate("exports/indicators.schema.json", json.loads(files["indicators.json"][0]))
    # Then beside its rates per 100,000 it says the city's population, where it comes from, and the place
    source, code = _pack_identity(frame)
    assert document["population"] == frame.population
    assert document["population_source"] == source
    assert document["official_code"] == code
    city_all = next(i for i in document["items"] if i["zone"] == "city" and i["type"] == "all")
    assert city_all["rate_per_100k"] == 0


class _NoRows:
    def published(self, day: str, *, zone: str | None, type_: str | None) -> list[dict[str, Any]]:
        return []

    def cells(self, day: str, zone: str) -> list[Any]:
        return []

    def run_record(self, day: str) -> dict[str, Any] | None:
        return None


def test_the_indicator_answers_name_the_populations_source(frame: CityFrame) -> None:
    now = datetime.fromisoformat(NOW_ISO)
    source, code = _pack_identity(frame)
    listed = service.read_indicators({}, frame=frame, store=_NoRows(), now=now)  # type: ignore[arg-type]
    summary = service.summary({"period": "week"}, frame=frame, store=_NoRows(), now=now)  # type: ignore[arg-type]
    for answer, schema in (
        (listed, "responses/indicators.json"),
        (summary, "responses/indicator-summary.json"),
    ):
        validate(schema, answer)
        assert answer["population_source"] == source
        assert answer["official_code"] == code
