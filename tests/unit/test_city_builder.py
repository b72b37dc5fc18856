"""`make city`: a city's own block polygons become a pack skeleton that loads once the city has decided
every field marked for it; bad input is refused naming the feature and the problem, and nothing is written."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.tools import block_geometry as geom
from infra.tools import city_builder, package
from tests.unit.test_city_packs import pack_problems
from vigia.city import CityPackError, load_city_pack
from vigia.city.undecided import undecided_fields

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "city_builder"
BLOCKS = FIXTURES / "blocks.geojson"
QUADRANTS = FIXTURES / "quadrants.geojson"
SCHEMA = ROOT / "schemas" / "city.schema.json"
CITY = "villa-prueba"
# `make city` as a city runs it, without reinstalling the environment if a requirement file is newer
MAKE_CITY = ["make", "--no-print-directory", "-o", ".venv/.installed", "city"]


def build_sample(capsys: pytest.CaptureFixture[str], out: Path) -> int:
    """The sample blocks and quadrants, in Chilean Spanish, built into `out`: the exit code."""
    args = ["--name", CITY, "--blocks", str(BLOCKS), "--quadrants", str(QUADRANTS), "--locale", "es-CL"]
    return run(capsys, *args, "--out", str(out))[0]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = city_builder.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- what a city decides, as the test decides it ---------------------------------------------------

# Chilean numbers of the synthetic 555 range (valid for phonenumbers), as the Peñalolén pack uses.
DISPATCH = {
    "community_police": "+56955500101",
    "medical": "+56225550131",
    "fire": "+56225550132",
    "response_team": "+56955500301",
}
SETTINGS = {
    "alert_rate_limit.max_alerts": 3,
    "alert_rate_limit.window_s": 900,
    "silent_alert_rate_limit.max_alerts": 10,
    "silent_alert_rate_limit.window_s": 3600,
    "silent_ack_target_s": 120,
    "cancel_window_s": 90,
    "response_target_s": 480,
    "false_alarm_policy.strikes": 3,
    "false_alarm_policy.window_days": 90,
    "small_cell_threshold": 5,
    "hotspots.h3_resolution": 9,
    "hotspots.lookback_days": 28,
    "patrol.fixed_point_min": 15,
    "patrol.patrol_min": 45,
    "patrol.no_return_hours": 3,
    "helpline": "+56225550800",
}


def decision(path: str) -> Any:
    """The value this test's city decides for a field the builder left to it; fails on an unknown one."""
    index = [int(n) for n in re.findall(r"\[(\d+)\]", path)]
    if path.startswith("settings."):
        return SETTINGS[path.removeprefix("settings.")]
    if path.startswith("dispatch."):
        return DISPATCH[path.split(".")[1].split("[")[0]]
    if path.startswith("units["):
        field = path.split(".", 1)[1]
        return {
            "name": f"Movil {index[0] + 1:02d}",
            "phone": f"+5695550{1001 + index[0]}",
            f"shifts[{index[-1]}].start": "08:00",
            f"shifts[{index[-1]}].end": "20:00",
        }[field]
    if path.endswith(".es-CL"):  # a text people read
        if path == "texts.map_link.es-CL":
            return "osm.org/?mlat={lat}&mlon={lon}"
        if path == "texts.place_at_home.es-CL":
            return "{place} ({home_address})"
        if ".protocol[" in path:
            return "VIGIA: aviso en {place}, {zone}, {time}. {map}"
        return "Texto decidido por la ciudad"
    if path.startswith("quadrants["):
        return f"Cuadrante {index[0] + 1}"
    return {
        "name": "Villa Prueba",
        "time_zone": "America/Santiago",
        "sms_channel": "end_user_messaging",
        "official_code.value": "06101",  # the sample's blocks lie in Rancagua: CUT 06101
        "population_source.name": "INE, Censo de Poblacion y Vivienda 2017",
        "population_source.year": 2017,
        "referral_directory[0].phone": "1455",
    }[path]


def _set(document: Any, path: str, value: Any) -> None:
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    # A locale key such as es-CL is one part; the regex splits only on . [ ]
    for part in parts[:-1]:
        document = document[part]
    document[parts[-1]] = value


def decide_all(pack_dir: Path, *, leave: frozenset[str] = frozenset()) -> list[str]:
    """Replaces every TODO of the pack's city.json with the test city's decision (except `leave`)."""
    city_path = pack_dir / "city.json"
    city = json.loads(city_path.read_text(encoding="utf-8"))
    geography = json.loads((pack_dir / "geography.geojson").read_text(encoding="utf-8"))
    paths = [path for path, _ in undecided_fields(city, geography)]
    for path in paths:
        if path not in leave:
            _set(city, path, decision(path))
    city_path.write_text(json.dumps(city, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths


# --- a sample becomes a pack -----------------------------------------------------------------------


def test_sample_blocks_and_quadrants_become_a_pack_that_loads_once_decided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a city's 35 blocks and its police's two quadrants
    out = tmp_path / CITY
    # When the builder makes a pack of them in Chilean Spanish
    args = ["--name", CITY, "--blocks", str(BLOCKS), "--quadrants", str(QUADRANTS), "--locale", "es-CL"]
    code, printed, err = run(capsys, *args, "--out", str(out))
    assert (code, err) == (0, "")
    # Then the skeleton is refused by the loader until the city decides, naming what to decide
    with pytest.raises(CityPackError) as refused:
        load_city_pack(out, SCHEMA)
    assert "settings.cancel_window_s: not decided yet (TODO: seconds a sender may cancel" in str(
        refused.value
    )
    assert "dispatch.fire[0]: not decided yet" in str(refused.value)
    assert "sms_channel: not decided yet (TODO: how SMS leave" in str(refused.value)
    # the place's official code (a Chilean pack's scheme is the CUT) and where its population comes from
    assert "official_code.value: not decided yet (TODO: the comuna's CUT" in str(refused.value)
    assert "population_source.name: not decided yet" in str(refused.value)
    assert "population_source.year: not decided yet" in str(refused.value)
    assert "referral_directory[0].name.es-CL: not decided yet" in str(refused.value)
    assert "settings.cancel_window_s" in printed  # the builder lists the decisions too
    # And once decided it loads, and holds together as every pack must
    decided = decide_all(out)
    assert len(decided) > 30
    pack = load_city_pack(out, SCHEMA)
    assert len(pack.blocks) == 35
    assert sorted(pack.quadrants) == ["C-1", "C-2"]
    assert pack.quadrants["C-1"].name == "Cuadrante Poniente"
    assert pack.blocks["M-01"].quadrant_id == "C-1"  # the western column
    assert pack.blocks["M-07"].quadrant_id == "C-2"  # the eastern one
    given = json.loads(BLOCKS.read_text(encoding="utf-8"))["features"]
    assert pack.population == sum(f["properties"]["population"] for f in given)
    assert len(pack.sirens) == sum(len(f["properties"].get("sirens", [])) for f in given)
    assert pack.blocks["M-09"].name == "Bueras y Independencia"
    centre = pack.blocks["M-17"].centroid
    found = pack.block_at(centre.lat, centre.lon)
    assert found is not None
    assert found.block_id == "M-17"
    assert pack_problems(out) == []


def test_without_quadrants_it_draws_a_grid_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / CITY
    code, printed, _ = run(
        capsys,
        "--name",
        CITY,
        "--blocks",
        str(BLOCKS),
        "--locale",
        "es-CL",
        "--grid",
        "2x2",
        "--out",
        str(out),
    )
    assert code == 0
    assert "no QUADRANTS given: drew 4 quadrant(s) Q-01..Q-04 as a 2x2 grid" in printed
    decide_all(out)
    pack = load_city_pack(out, SCHEMA)
    assert sorted(pack.quadrants) == ["Q-01", "Q-02", "Q-03", "Q-04"]
    # every block's centre lies in its quadrant, every quadrant has a car, the populations agree
    assert pack_problems(out) == []


@pytest.mark.parametrize("city", ["godoy-cruz", "penalolen"])
def test_a_whole_city_of_blocks_sharing_their_edges_goes_through_as_its_pack_has_it(
    city: str, tmp_path: Path
) -> None:
    # Given a real-size city: the demo packs' ~1,000 blocks, which share every street edge with a neighbour
    pack = ROOT / "infra" / "cities" / city
    geography = json.loads((pack / "geography.geojson").read_text(encoding="utf-8"))
    quadrants = json.loads((pack / "city.json").read_text(encoding="utf-8"))["quadrants"]
    blocks_path, quadrants_path = tmp_path / "blocks.geojson", tmp_path / "quadrants.geojson"
    blocks_path.write_text(json.dumps(geography), encoding="utf-8")
    quadrant_features = [
        {
            "type": "Feature",
            "id": q["quadrant_id"],
            "properties": {"name": q["name"]},
            "geometry": q["polygon"],
        }
        for q in quadrants
    ]
    quadrants_path.write_text(json.dumps({"type": "FeatureCollection", "features": quadrant_features}))
    # When the builder takes them with the pack's quadrants
    built = city_builder.build(city, blocks_path, quadrants_path)
    # Then no shared edge reads as an overlap, and every block lands in the quadrant the pack gives it
    given = {f["properties"]["block_id"]: f["properties"]["quadrant_id"] for f in geography["features"]}
    assigned = {
        f["properties"]["block_id"]: f["properties"]["quadrant_id"] for f in built.geography["features"]
    }
    assert assigned == given
    assert [(q["quadrant_id"], q["population"]) for q in built.city_json["quadrants"]] == [
        (q["quadrant_id"], q["population"]) for q in quadrants
    ]


def test_blocks_without_population_need_the_census_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = json.loads(BLOCKS.read_text(encoding="utf-8"))
    for feature in blocks["features"]:
        del feature["properties"]["population"]
    path = tmp_path / "blocks.geojson"
    path.write_text(json.dumps(blocks), encoding="utf-8")
    code, _, err = run(capsys, "--name", CITY, "--blocks", str(path), "--out", str(tmp_path / CITY))
    assert code == 2
    assert "POPULATION=<the city's census population>" in err
    code, printed, _ = run(
        capsys, "--name", CITY, "--blocks", str(path), "--population", "12345", "--out", str(tmp_path / CITY)
    )
    assert code == 0
    assert "population 12345" in printed
    city = json.loads((tmp_path / CITY / "city.json").read_text(encoding="utf-8"))
    assert sum(q["population"] for q in city["quadrants"]) == 12345


# --- an undecided pack is refused ------------------------------------------------------------------


def test_a_pack_with_one_field_left_undecided_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a built pack where the city decided everything but the fire brigade's number
    out = tmp_path / CITY
    assert build_sample(capsys, out) == 0
    decide_all(out, leave=frozenset({"dispatch.fire[0]"}))
    # When it is loaded (as the stack does at start) or checked with every pack
    with pytest.raises(CityPackError) as refused:
        load_city_pack(out, SCHEMA)
    # Then it is refused, naming that one field and what to decide
    assert list(refused.value.problems) == [
        "dispatch.fire[0]: not decided yet "
        "(TODO: the fire brigade's number(s), in E.164 (+ country code, number))"
    ]
    assert pack_problems(out) == list(refused.value.problems)


def test_an_undecided_pack_is_never_packaged_for_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a built pack, in a repository's infra/cities/, whose helpline the city has not decided
    root = tmp_path / "repo"
    pack = root / "infra" / "cities" / CITY
    assert build_sample(capsys, pack) == 0
    decide_all(pack, leave=frozenset({"settings.helpline"}))
    for shared in ("schemas", "functions"):
        (root / shared).symlink_to(ROOT / shared)
    monkeypatch.setattr(package, "ROOT", root)
    staging = tmp_path / "staging"
    # When `make package` (which `make deploy` runs first) assembles the Lambda zip for it
    with pytest.raises(SystemExit) as refused:
        package.assemble(CITY, staging, skip_deps=True)
    # Then it is refused, naming the field, before anything is staged
    assert "not packaging the villa-prueba city pack" in str(refused.value)
    assert "settings.helpline: not decided yet" in str(refused.value)
    assert not staging.exists()
    # And once decided, it is packaged
    decide_all(pack)
    package.assemble(CITY, staging, skip_deps=True)
    assert (staging / "city" / "city.json").is_file()


def test_a_todo_left_in_a_finished_pack_is_refused(tmp_path: Path) -> None:
    # A city that writes TODO by hand into its own pack (a number it still waits for) cannot deploy it either
    pack = tmp_path / "penalolen"
    shutil.copytree(ROOT / "infra" / "cities" / "penalolen", pack)
    city = json.loads((pack / "city.json").read_text(encoding="utf-8"))
    city["settings"]["helpline"] = "TODO: the new helpline"
    city["alert_types"]["fire"]["labels"]["es-CL"] = "TODO: Incendio o Amago?"
    (pack / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CityPackError) as refused:
        load_city_pack(pack, SCHEMA)
    assert list(refused.value.problems) == [
        "settings.helpline: not decided yet (TODO: the new helpline)",
        "alert_types.fire.labels.es-CL: not decided yet (TODO: Incendio o Amago?)",
    ]


def test_without_a_language_the_language_itself_is_a_decision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / CITY
    assert run(capsys, "--name", CITY, "--blocks", str(BLOCKS), "--out", str(out))[0] == 0
    with pytest.raises(CityPackError) as refused:
        load_city_pack(out, SCHEMA)
    problems = "\n".join(refused.value.problems)
    for field in (
        "locale:",
        "locales[0]:",
        "country_code:",
        "time_zone:",
        "name:",
        "texts.cancellation.und:",
    ):
        assert field in problems


# --- bad input is refused, naming the feature and the problem -------------------------------------

Edit = Callable[[dict[str, Any]], object]


def _ring(data: dict[str, Any], index: int) -> list[list[float]]:
    ring: list[list[float]] = data["features"][index]["geometry"]["coordinates"][0]
    return ring


def _shift(data: dict[str, Any], index: int, d_lon: float, d_lat: float = 0.0) -> None:
    feature = data["features"][index]
    feature["geometry"]["coordinates"] = [
        [[lon + d_lon, lat + d_lat] for lon, lat in r] for r in feature["geometry"]["coordinates"]
    ]
    for siren in feature["properties"].get("sirens", []):
        siren.update(lat=siren["lat"] + d_lat, lon=siren["lon"] + d_lon)


def _bow_tie(data: dict[str, Any]) -> None:
    ring = _ring(data, 5)
    ring[1], ring[2] = ring[2], ring[1]  # sw, ne, se, nw: two edges cross


def _projected(data: dict[str, Any]) -> None:
    for index in range(len(data["features"])):
        ring = _ring(data, index)
        ring[:] = [
            [350_000 + (lon + 70.74) * 92_000, 6_217_000 + (lat + 34.17) * 111_000] for lon, lat in ring
        ]


def _shrunk_copy(data: dict[str, Any]) -> None:
    # block 20 becomes a smaller copy of block 19, inside it: no edge of either crosses the other
    ring = _ring(data, 19)
    c_lon = sum(p[0] for p in ring[:4]) / 4
    c_lat = sum(p[1] for p in ring[:4]) / 4
    shrunk = [[(lon + c_lon) / 2, (lat + c_lat) / 2] for lon, lat in ring]
    data["features"][20]["geometry"]["coordinates"] = [shrunk]


def _only_the_first_feature(data: dict[str, Any]) -> None:
    first = data["features"][0]
    data.clear()
    data.update(first)


def _multi(data: dict[str, Any]) -> None:
    a, b = data["features"][2]["geometry"], data["features"][30]["geometry"]
    data["features"][2]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [a["coordinates"], b["coordinates"]],
    }


BAD_BLOCKS: dict[str, tuple[Edit, str]] = {
    "open ring": (
        lambda d: _ring(d, 3).pop(),
        "blocks.geojson feature 3 (id M-04): exterior ring is not closed: it starts at",
    ),
    "self-intersection": (_bow_tie, "blocks.geojson feature 5 (id M-06): exterior ring intersects itself"),
    "overlapping blocks": (
        lambda d: _shift(d, 10, 0.0003),  # ~28 m east, into its neighbour
        "blocks.geojson feature 11 (id M-12): overlaps feature 10 (id M-11)",
    ),
    "one block drawn twice under two ids": (
        lambda d: d["features"][13]["geometry"].update(copy.deepcopy(d["features"][12]["geometry"])),
        "blocks.geojson feature 13 (id M-14): overlaps feature 12 (id M-13)",
    ),
    "a block inside another": (
        _shrunk_copy,
        "blocks.geojson feature 20 (id M-21): overlaps feature 19 (id M-20)",
    ),
    "block outside every quadrant": (
        lambda d: _shift(d, 20, 0.02),  # 1.8 km east of the town
        "blocks.geojson feature 20 (id M-21): outside every quadrant (its centre",
    ),
    "a CRS other than WGS84": (
        lambda d: d.update(crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32719"}}),
        "blocks.geojson: not WGS84: its crs is 'urn:ogc:def:crs:EPSG::32719'",
    ),
    "projected coordinates without a CRS": (
        _projected,
        "blocks.geojson feature 0 (id M-01): position [350",
    ),
    "a Feature, not a FeatureCollection": (
        _only_the_first_feature,
        "blocks.geojson: not a FeatureCollection (its type is 'Feature')",
    ),
    "missing id": (
        lambda d: d["features"][4].pop("id"),
        "blocks.geojson feature 4 (no id): missing id: give each feature an 'id' (or a 'block_id' property)",
    ),
    "duplicate ids": (
        lambda d: d["features"][8].update(id="M-02"),
        "blocks.geojson feature 8 (id M-02): duplicate id M-02 (also feature 1)",
    ),
    "a MultiPolygon of two blocks": (
        _multi,
        "blocks.geojson feature 2 (id M-03): is a MultiPolygon, not a Polygon",
    ),
    "a siren off its block": (
        lambda d: d["features"][6]["properties"]["sirens"][0].update(lon=-70.60),
        "blocks.geojson feature 6 (id M-07): sirens[0] (A-07) at [-70.6, ",
    ),
    "a population that is no number": (
        lambda d: d["features"][9]["properties"].update(population="muchos"),
        "blocks.geojson feature 9 (id M-10): its population must be a whole number",
    ),
}


@pytest.mark.parametrize("what", sorted(BAD_BLOCKS))
def test_bad_blocks_are_refused_naming_the_feature_and_the_problem(
    what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the sample with one thing wrong
    edit, expected = BAD_BLOCKS[what]
    data = json.loads(BLOCKS.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "blocks.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / CITY
    # When the builder is given it
    code, printed, err = run(
        capsys, "--name", CITY, "--blocks", str(path), "--quadrants", str(QUADRANTS), "--out", str(out)
    )
    # Then it refuses, naming the feature and what is wrong, and writes nothing
    assert code == 2
    assert expected in err, err
    assert err.startswith("city pack not built: ")
    assert "Traceback" not in err + printed
    assert not out.exists()


def test_overlapping_quadrants_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(QUADRANTS.read_text(encoding="utf-8"))
    ring = data["features"][1]["geometry"]["coordinates"][0]
    data["features"][1]["geometry"]["coordinates"] = [[[lon - 0.002, lat] for lon, lat in ring]]
    path = tmp_path / "quadrants.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(
        capsys,
        "--name",
        CITY,
        "--blocks",
        str(BLOCKS),
        "--quadrants",
        str(path),
        "--out",
        str(tmp_path / CITY),
    )
    assert code == 2
    assert (
        "quadrants.geojson feature 1 (id C-2): overlaps feature 0 (id C-1): quadrants must not overlap" in err
    )


def test_a_block_across_a_quadrant_line_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the police's western quadrant drawn ~28 m short of the street its eastern blocks end on
    data = json.loads(QUADRANTS.read_text(encoding="utf-8"))
    ring = data["features"][0]["geometry"]["coordinates"][0]
    east = max(lon for lon, _ in ring)
    data["features"][0]["geometry"]["coordinates"] = [
        [[lon - 0.0003 if lon > east - 0.0004 else lon, lat] for lon, lat in ring]
    ]
    path = tmp_path / "quadrants.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    # When the builder is given the blocks and that quadrant
    code, _, err = run(
        capsys,
        "--name",
        CITY,
        "--blocks",
        str(BLOCKS),
        "--quadrants",
        str(path),
        "--out",
        str(tmp_path / CITY),
    )
    # Then each block of that column is refused: its centre is in C-1, its eastern corners are not
    assert code == 2
    refused = [line for line in err.splitlines() if "reaches outside its quadrant C-1" in line]
    assert [line.split(":")[0] for line in refused] == [
        f"- blocks.geojson feature {k} (id M-{k + 1:02d})" for k in (3, 10, 17, 24, 31)
    ]
    assert "m outside it; its centre is in it): a block must lie within one quadrant" in refused[0]


def test_every_problem_is_named_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(BLOCKS.read_text(encoding="utf-8"))
    _ring(data, 3).pop()
    data["features"][4].pop("id")
    data["features"][8].update(id="M-02")
    path = tmp_path / "blocks.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "--name", CITY, "--blocks", str(path), "--out", str(tmp_path / CITY))
    assert code == 2
    assert err.splitlines()[0] == "city pack not built: 3 problem(s)"
    assert [line.split(":")[0] for line in err.splitlines()[1:]] == [
        "- blocks.geojson feature 3 (id M-04)",
        "- blocks.geojson feature 4 (no id)",
        "- blocks.geojson feature 8 (id M-02)",
    ]


def test_overlaps_and_blocks_outside_the_quadrants_are_named_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(BLOCKS.read_text(encoding="utf-8"))
    _shift(data, 10, 0.0003)
    _shift(data, 20, 0.02)
    path = tmp_path / "blocks.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(
        capsys,
        "--name",
        CITY,
        "--blocks",
        str(path),
        "--quadrants",
        str(QUADRANTS),
        "--out",
        str(tmp_path / CITY),
    )
    assert code == 2
    assert "feature 11 (id M-12): overlaps feature 10 (id M-11)" in err
    assert "feature 20 (id M-21): outside every quadrant" in err
    assert "feature 10 (id M-11): reaches outside its quadrant C-1" in err


def test_a_file_that_is_not_json_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "blocks.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    code, _, err = run(capsys, "--name", CITY, "--blocks", str(path), "--out", str(tmp_path / CITY))
    assert code == 2
    assert "blocks.geojson: not a GeoJSON file: not valid UTF-8 JSON (line 1" in err


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
FEATURE_PARTS = st.sampled_from(["geometry", "properties", "id", "type", "coordinates", "ring", "position"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=FEATURE_PARTS, value=JSON, index=st.integers(0, 5))
def test_any_broken_feature_is_answered_never_with_a_traceback(
    part: str, value: Any, index: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given six blocks of the sample, one of them with any JSON where a part of it belongs
    data = json.loads(BLOCKS.read_text(encoding="utf-8"))
    data["features"] = data["features"][:6]
    feature = data["features"][index]
    if part in ("geometry", "properties", "id", "type"):
        feature[part] = value
    elif part == "coordinates":
        feature["geometry"]["coordinates"] = value
    elif part == "ring":
        feature["geometry"]["coordinates"][0] = value
    else:
        feature["geometry"]["coordinates"][0][1] = value
    path = tmp_path / "blocks.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out" / CITY
    shutil.rmtree(out, ignore_errors=True)
    # When the builder reads it, Then it builds or refuses with its own message: never an exception
    code, _, err = run(capsys, "--name", CITY, "--blocks", str(path), "--out", str(out), "--force")
    assert code in (0, 2)
    assert code == 0 or err.startswith("city pack not built: ")


def test_a_folder_given_as_the_blocks_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--name", CITY, "--blocks", str(tmp_path), "--out", str(tmp_path / CITY))
    assert code == 2
    assert f"{tmp_path.name}: cannot be read (Is a directory)" in err


# --- never over an existing pack ------------------------------------------------------------------


def test_an_existing_pack_is_kept_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / CITY
    args = ["--name", CITY, "--blocks", str(BLOCKS), "--quadrants", str(QUADRANTS), "--out", str(out)]
    assert run(capsys, *args)[0] == 0
    (out / "city.json").write_text('{"hand": "edited"}', encoding="utf-8")
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "already holds a pack (city.json, geography.geojson): FORCE=1 to overwrite it" in err
    assert (out / "city.json").read_text(encoding="utf-8") == '{"hand": "edited"}'
    assert run(capsys, *args, "--force")[0] == 0
    assert json.loads((out / "city.json").read_text(encoding="utf-8"))["city_id"] == CITY


def test_make_city_runs_the_builder_and_fails_cleanly(tmp_path: Path) -> None:
    # `make city` passes its variables through; bad input exits non-zero with the builder's message only
    good = subprocess.run(
        [
            *MAKE_CITY,
            f"NAME={CITY}",
            f"BLOCKS={BLOCKS}",
            f"QUADRANTS={QUADRANTS}",
            "LOCALE=es-CL",
            "TIME_ZONE=America/Santiago",
            f"OUT={tmp_path / CITY}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    city = json.loads((tmp_path / CITY / "city.json").read_text(encoding="utf-8"))
    assert (city["locale"], city["country_code"], city["time_zone"]) == ("es-CL", "CL", "America/Santiago")
    bad = subprocess.run(
        [*MAKE_CITY, "NAME=otra", f"BLOCKS={tmp_path / 'missing.geojson'}", f"OUT={tmp_path / 'otra'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0
    assert "missing.geojson: no such file" in bad.stderr
    assert "Traceback" not in bad.stderr
    without_blocks = subprocess.run(
        [*MAKE_CITY, "NAME=otra", f"OUT={tmp_path / 'otra'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert without_blocks.returncode != 0
    assert "BLOCKS=<the blocks' GeoJSON file> is missing" in without_blocks.stderr


# --- the geometry underneath -----------------------------------------------------------------------


def _square(x: float, y: float, size: float = 100.0) -> list[geom.Ring]:
    return [[(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]]


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        (_square(0, 0), _square(100, 0), False),  # a shared street edge
        (_square(0, 0), _square(100, 50), False),  # part of an edge shared (a T-junction)
        (_square(0, 0), _square(100.005, 0), False),  # a 5 mm gap
        (_square(0, 0), _square(99.995, 0), False),  # 5 mm into the other: digitising noise
        (_square(0, 0), _square(99, 0), True),  # a metre into the other
        (_square(0, 0), _square(0, 0), True),  # the same block twice
        (_square(0, 0), _square(25, 25, 50), True),  # one inside the other, no edge crossing
        (_square(0, 0), [[(0, 0), (100, 0), (0, 100), (0, 0)]], True),  # a triangle on its corner
        (_square(0, 0), _square(300, 0), False),
    ],
)
def test_blocks_overlap_only_when_they_share_area(
    a: list[geom.Ring], b: list[geom.Ring], overlap: bool
) -> None:
    assert geom.interiors_overlap(a, b) is overlap
    assert geom.interiors_overlap(b, a) is overlap


@pytest.mark.parametrize(
    ("ring", "crossing"),
    [
        ([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)], None),
        ([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)], (0, 2)),  # a bow tie
        ([(0, 0), (100, 0), (50, 0), (50, 50), (0, 0)], (0, 1)),  # an edge folding back on itself
        ([(0, 0), (100, 0), (100, 100), (50, 0), (0, 100), (0, 0)], (0, 2)),  # a corner on another edge
    ],
)
def test_a_ring_that_crosses_itself_is_found(ring: geom.Ring, crossing: tuple[int, int] | None) -> None:
    assert geom.ring_self_crossing(ring) == crossing
