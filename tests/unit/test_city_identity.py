"""Every pack says which place it is (its official code) and where its population comes from; the response
team reads each referral's name in its language."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vigia.city import CityPack, CityPackError, load_city_pack
from vigia.silent.views import referral_directory

ROOT = Path(__file__).resolve().parents[2]
CITIES_DIR = ROOT / "infra" / "cities"
SCHEMA_PATH = ROOT / "schemas" / "city.schema.json"
PACK_IDS = sorted(path.name for path in CITIES_DIR.iterdir() if (path / "city.json").is_file())


def _load(city_id: str) -> CityPack:
    return load_city_pack(CITIES_DIR / city_id, SCHEMA_PATH)


def _problems_of(tmp_path: Path, city_id: str, change: Callable[[dict[str, Any]], object]) -> list[str]:
    """The loader's refusals of a copy of `city_id`'s pack with `change` made to its city.json."""
    city = json.loads((CITIES_DIR / city_id / "city.json").read_text(encoding="utf-8"))
    changed = copy.deepcopy(city)
    change(changed)
    (tmp_path / "city.json").write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "geography.geojson").write_bytes((CITIES_DIR / city_id / "geography.geojson").read_bytes())
    with pytest.raises(CityPackError) as refused:
        load_city_pack(tmp_path, SCHEMA_PATH)
    return list(refused.value.problems)


# --- the official code ---------------------------------------------------------------------------


def test_penalolen_is_the_comuna_with_cut_13122() -> None:
    pack = _load("penalolen")
    assert (pack.official_code.scheme, pack.official_code.value) == ("CUT", "13122")


def test_godoy_cruz_is_mendozas_department_with_its_indec_code() -> None:
    pack = _load("godoy-cruz")
    # INDEC numbers Mendoza's (50) departments alphabetically in steps of 7: Capital 007, General Alvear
    # 014, Godoy Cruz 021, Guaymallén 028
    assert (pack.official_code.scheme, pack.official_code.value) == ("INDEC", "50021")


@pytest.mark.parametrize("city_id", PACK_IDS)
def test_a_pack_without_its_official_code_is_refused_naming_it(tmp_path: Path, city_id: str) -> None:
    problems = _problems_of(tmp_path, city_id, lambda city: city.pop("official_code"))
    assert any("official_code" in p for p in problems), problems


@pytest.mark.parametrize(
    ("city_id", "code", "expected"),
    [
        ("penalolen", {"scheme": "CUT", "value": "1312"}, "official_code.value: a CUT code is 5 digits"),
        (
            "penalolen",
            {"scheme": "INDEC", "value": "50021"},
            "official_code.scheme: INDEC codes places in AR",
        ),
        ("godoy-cruz", {"scheme": "CUT", "value": "13122"}, "official_code.scheme: CUT codes places in CL"),
        ("godoy-cruz", {"scheme": "INDEC", "value": "5021"}, "official_code.value: a INDEC code is 5 digits"),
    ],
)
def test_a_known_schemes_code_must_have_its_shape_and_country(
    tmp_path: Path, city_id: str, code: dict[str, str], expected: str
) -> None:
    problems = _problems_of(tmp_path, city_id, lambda city: city.update(official_code=code))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_scheme_vigia_does_not_know_is_taken_as_the_city_writes_it(tmp_path: Path) -> None:
    city = json.loads((CITIES_DIR / "godoy-cruz" / "city.json").read_text(encoding="utf-8"))
    city["official_code"] = {"scheme": "IBGE", "value": "4106902"}
    (tmp_path / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "geography.geojson").write_bytes(
        (CITIES_DIR / "godoy-cruz" / "geography.geojson").read_bytes()
    )
    assert load_city_pack(tmp_path, SCHEMA_PATH).official_code.value == "4106902"


# --- the population's source ---------------------------------------------------------------------


def test_penalolens_population_is_the_2017_census_by_ine() -> None:
    pack = _load("penalolen")
    assert pack.population == 241_599
    assert pack.population_source.year == 2017
    assert "Censo" in pack.population_source.name
    assert "INE" in pack.population_source.name


def test_godoy_cruzs_rounded_population_says_it_is_an_estimate() -> None:
    pack = _load("godoy-cruz")
    assert pack.population == 220_000
    assert "estimate" in pack.population_source.name.lower()


@pytest.mark.parametrize("city_id", PACK_IDS)
def test_a_pack_without_its_populations_source_is_refused_naming_it(tmp_path: Path, city_id: str) -> None:
    problems = _problems_of(tmp_path, city_id, lambda city: city.pop("population_source"))
    assert any("population_source" in p for p in problems), problems


@pytest.mark.parametrize("city_id", PACK_IDS)
def test_a_population_source_without_a_year_or_with_a_plain_http_link_is_refused(
    tmp_path: Path, city_id: str
) -> None:
    def no_year(city: dict[str, Any]) -> None:
        del city["population_source"]["year"]

    def http(city: dict[str, Any]) -> None:
        city["population_source"]["url"] = "http://example.org/censo"

    assert any(p.startswith("population_source") for p in _problems_of(tmp_path, city_id, no_year))
    assert any(p.startswith("population_source.url") for p in _problems_of(tmp_path, city_id, http))


# --- referral names per language ------------------------------------------------------------------


@pytest.mark.parametrize("city_id", PACK_IDS)
def test_the_response_team_reads_each_referrals_name_in_its_language(city_id: str) -> None:
    pack = _load(city_id)
    spanish = {r["referral_id"]: r["name"] for r in referral_directory(pack, pack.locale)}
    english = {r["referral_id"]: r["name"] for r in referral_directory(pack, "en")}
    # every name is a plain text in the answer (the console shows it as given)
    assert all(isinstance(name, str) and name for name in [*spanish.values(), *english.values()])
    raw = {r["referral_id"]: r["name"] for r in pack.raw["referral_directory"]}
    assert spanish == {rid: name[pack.locale] for rid, name in raw.items()}
    assert english == {rid: name.get("en", name[pack.locale]) for rid, name in raw.items()}
    assert spanish != english  # the packs word their directory in both languages


def test_a_referral_name_without_a_translation_falls_back_to_the_citys_language(tmp_path: Path) -> None:
    city = json.loads((CITIES_DIR / "penalolen" / "city.json").read_text(encoding="utf-8"))
    city["referral_directory"][0]["name"] = {"es-CL": "Fono 1455"}
    (tmp_path / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "geography.geojson").write_bytes(
        (CITIES_DIR / "penalolen" / "geography.geojson").read_bytes()
    )
    pack = load_city_pack(tmp_path, SCHEMA_PATH)
    assert referral_directory(pack, "en")[0]["name"] == "Fono 1455"
    assert referral_directory(pack, "pt-BR")[0]["name"] == "Fono 1455"


@pytest.mark.parametrize("city_id", PACK_IDS)
def test_a_referral_name_in_a_language_the_pack_does_not_speak_or_without_its_own_is_refused(
    tmp_path: Path, city_id: str
) -> None:
    def foreign(city: dict[str, Any]) -> None:
        city["referral_directory"][0]["name"] = {city["locale"]: "Linea", "fr": "Ligne"}

    def no_default(city: dict[str, Any]) -> None:
        city["referral_directory"][0]["name"] = {"en": "Line"}

    def plain(city: dict[str, Any]) -> None:
        city["referral_directory"][0]["name"] = "Linea"

    assert any(
        p.startswith("referral_directory[0].name.fr") for p in _problems_of(tmp_path, city_id, foreign)
    )
    assert any(
        p.startswith("referral_directory[0].name") for p in _problems_of(tmp_path, city_id, no_default)
    )
    assert any(p.startswith("referral_directory[0].name") for p in _problems_of(tmp_path, city_id, plain))
