"""Each built-in reader on a small file of its shape, and broken files: what is kept, what is reported, and
when a dataset is refused whole (docs/observatory.md "Sources and manifests")."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from vigia.city import load_city_pack
from vigia.datasets import files
from vigia.datasets.ingestion import BAD_ROWS_LISTED, Outcome, ingest
from vigia.datasets.places import PackZones

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
ROOT = Path(__file__).resolve().parents[2]


class ListSink:
    def __init__(self) -> None:
        self.rows: list[tuple[int, int, dict[str, Any]]] = []

    def add(self, row: Mapping[str, Any], *, year: int, month: int) -> None:
        self.rows.append((year, month, dict(row)))


class FakeZones:
    city_zone = ("comuna", "13122")

    def block_at(self, lat: float, lon: float) -> tuple[str, str] | None:
        return None

    def quadrant_of(self, block_id: str) -> str | None:
        return {"B-1": "Q-1"}.get(block_id)

    def has_quadrant(self, quadrant_id: str) -> bool:
        return quadrant_id in {"Q-01", "Q-02", "Q-1"}


@pytest.fixture(scope="module")
def godoy_cruz() -> PackZones:
    return PackZones(load_city_pack(ROOT / "infra/cities/godoy-cruz", ROOT / "schemas/city.schema.json"))


def manifest(reader: str, kind: str, measures: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "source": "test-source",
        "reader": reader,
        "period": extra.pop("period", {"from": "2024-01", "to": "2024-12"}),
        "geography": {"kind": kind, **extra.pop("geography", {})},
        "measures": [{"name": m, "meaning": m} for m in measures],
        **extra,
    }


def run(file: str, m: dict[str, Any], zones: Any = None) -> tuple[Outcome, ListSink]:
    sink = ListSink()
    with (DATA / file).open("rb") as stream:
        outcome = ingest(m, stream, zones or FakeZones(), sink, dataset_id="DS1")
    return outcome, sink


def test_snic_reads_bom_semicolons_and_joins_on_codes_not_names(godoy_cruz: PackZones) -> None:
    # Given SNIC's shape: BOM, ";", the department's name written three ways, a three-digit department id,
    # a "sin dato" department and a neighbouring department (Capital, 50007)
    m = manifest("snic", "department", ["cantidad_hechos", "cantidad_victimas"], geography={"code": "50021"})
    outcome, sink = run("snic.csv", m, godoy_cruz)
    assert outcome.status == "ingested", outcome.reason
    assert (outcome.rows, outcome.bad_row_count, outcome.unplaced_rows) == (6, 0, 2)
    # Then Godoy Cruz's months count its own rows whatever their names (40 + 1 robberies and homicides)
    assert outcome.aggregates[("department", "50021", "2024-01", "cantidad_hechos")] == {"value": 41.0}
    assert outcome.aggregates[("department", "50021", "2024-02", "cantidad_hechos")] == {"value": 35.0}
    assert outcome.aggregates[("department", "50021", "2024-01", "cantidad_victimas")] == {"value": 1.0}
    assert ("department", "50007", "2024-01", "cantidad_hechos") not in outcome.aggregates
    # And the lake keeps every row, per crime code, the unknown department as "unknown"
    lake = [(r["zone_id"], r["measure"], r["value"]) for _, _, r in sink.rows]
    assert ("50007", "cantidad_hechos:15", 120.0) in lake
    assert ("unknown", "cantidad_hechos:15", 7.0) in lake
    assert ("50021", "cantidad_hechos:15", 35.0) in lake  # "21" in province 50 is 50021
    assert not any(m == "cantidad_victimas:15" and z == "50021" and v == 35 for z, m, v in lake)
    assert outcome.months == ["2024-01", "2024-02"]
    assert outcome.sha256 == hashlib.sha256((DATA / "snic.csv").read_bytes()).hexdigest()


def test_cead_reads_commas_pads_a_cut_and_keeps_an_unknown_value_out() -> None:
    m = manifest("cead", "comuna", ["casos"], geography={"code": "13122"})
    outcome, sink = run("cead.csv", m)
    assert outcome.status == "ingested", outcome.reason
    assert outcome.aggregates[("comuna", "13122", "2024-01", "casos")] == {"value": 85.0}
    assert outcome.aggregates[("comuna", "13122", "2024-02", "casos")] == {
        "value": 55.0
    }  # "desconocido": none
    assert any(r["zone_id"] == "05101" for _, _, r in sink.rows)  # Valparaíso's 5101 is CUT 05101
    assert outcome.bad_row_count == 0


def test_health_counts_by_residence_and_names_unknown_residence_unplaced() -> None:
    m = manifest("health", "comuna", ["casos"], geography={"code": "13122"})
    outcome, sink = run("health.csv", m)
    assert outcome.status == "ingested"
    assert outcome.aggregates[("comuna", "13122", "2024-01", "casos")] == {"value": 12.0}
    assert outcome.unplaced_rows == 2  # Ñuñoa's and the "sin dato" residence: in the lake, not the city's
    assert len(sink.rows) == 4


def test_school_geojson_points_fall_in_the_packs_blocks(godoy_cruz: PackZones) -> None:
    m = manifest("school", "point", ["incidentes"], format="geojson")
    outcome, sink = run("school.geojson", m, godoy_cruz)
    assert outcome.status == "ingested", outcome.bad_rows
    # Two incidents at Escuela 1-001 (on block B-0001, quadrant Q-01) in March, one far away
    assert outcome.aggregates[("block", "B-0001", "2024-03", "incidentes")] == {"value": 3.0}
    assert outcome.aggregates[("quadrant", "Q-01", "2024-03", "incidentes")] == {"value": 3.0}
    assert outcome.aggregates[("department", "50021", "2024-03", "incidentes")] == {"value": 3.0}
    assert outcome.unplaced_rows == 1
    far = [r for _, _, r in sink.rows if r["zone_id"] is None]
    assert far
    assert far[0]["lat"] == -34.6
    assert far[0]["lon"] == -58.38


def test_survey_estimates_use_the_weights_and_say_their_precision() -> None:
    m = manifest(
        "survey", "comuna", ["percepcion_inseguridad", "victimizacion_hogar"], geography={"code": "13122"}
    )
    outcome, sink = run("survey.csv", m)
    assert outcome.status == "ingested"
    estimate = outcome.aggregates[("comuna", "13122", "2024-09", "percepcion_inseguridad")]
    # (120.5·1 + 80·0 + 100·1 + 99.5·0) / 400: weighted, not the unweighted 2 of 4
    assert estimate["value"] == pytest.approx(220.5 / 400)
    assert estimate["respondents"] == 4
    assert 0.2 < estimate["std_error"] < 0.3  # four respondents: a wide estimate
    victims = outcome.aggregates[("comuna", "13122", "2024-09", "victimizacion_hogar")]
    assert victims["respondents"] == 3  # respondent 4 did not answer: not counted as a no
    weights = [r["value"] for _, _, r in sink.rows if r["measure"] == "factor_expansion"]
    assert weights == [120.5, 80.0, 100.0, 99.5, 150.0]


def test_generic_xlsx_reads_its_mapping_and_reports_a_block_not_in_the_pack(godoy_cruz: PackZones) -> None:
    m = manifest(
        "generic",
        "block",
        ["denuncias"],
        format="xlsx",
        columns={"zone": "Bloque", "date": "Fecha", "category": "Categoría"},
    )
    outcome, _ = run("generic_blocks.xlsx", m, godoy_cruz)
    assert outcome.bad_rows == [
        {"row": 4, "column": "bloque", "why": "'B-9999' is not a block of the city pack"}
    ]
    # one bad row of four is more than 5 %: refused whole, and nothing counted
    assert outcome.status == "refused"
    assert outcome.aggregates == {}
    assert "1 of 4 rows are bad" in (outcome.reason or "")


def test_generic_windows_1252_file_with_decimal_commas() -> None:
    m = manifest(
        "generic", "quadrant", ["tasa"], columns={"zone": "Código Zona", "year": "Año", "month": "Mes"}
    )
    outcome, _ = run("generic_cp1252.csv", m)
    assert outcome.status == "ingested", outcome.bad_rows
    assert outcome.aggregates[("quadrant", "Q-02", "2024-01", "tasa")] == {"value": 7.25}
    assert outcome.aggregates[("comuna", "13122", "2024-01", "tasa")] == {"value": 19.75}


def test_broken_snic_reports_each_bad_row_and_is_refused_whole(godoy_cruz: PackZones) -> None:
    m = manifest("snic", "department", ["cantidad_hechos"])
    m["geography"]["code"] = "50021"
    outcome, _ = run("snic_broken.csv", m, godoy_cruz)
    assert outcome.status == "refused"
    assert outcome.bad_rows == [
        {"row": 3, "column": "departamento_id", "why": "department 06021 is not in province 50"},
        {"row": 4, "column": "mes", "why": "'13' is not a whole number from 1 to 12"},
        {"row": 5, "column": "cantidad_hechos", "why": "'muchos' is not a number"},
        {
            "row": 6,
            "column": "cantidad_hechos",
            "why": "'1.234' is not a whole count (write 1234, not 1.234)",
        },
    ]
    assert outcome.aggregates == {}
    assert outcome.months == []


def test_a_header_without_the_readers_measure_is_refused_naming_the_column() -> None:
    outcome, sink = run("snic_no_count.csv", manifest("snic", "department", ["cantidad_hechos"]))
    assert outcome.status == "refused"
    assert outcome.bad_rows == [{"row": 1, "column": "cantidad_hechos", "why": "missing from the header"}]
    assert sink.rows == []


def test_rows_outside_the_manifests_period_are_bad_rows(godoy_cruz: PackZones) -> None:
    m = manifest(
        "snic",
        "department",
        ["cantidad_hechos"],
        period={"from": "2024-01", "to": "2024-01"},
        geography={"code": "50021"},
    )
    outcome, _ = run("snic.csv", m, godoy_cruz)
    assert {
        "row": 4,
        "column": "mes",
        "why": "2024-02 is outside the manifest's period 2024-01..2024-01",
    } in (outcome.bad_rows)
    assert outcome.status == "refused"  # 2 of 6 rows


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"", "the file is empty: no header row"),
        (b"\xef\xbb\xbfprovincia_id;departamento_id;departamento_id\n", "named twice"),
        (b"not,a,zip", "not an XLSX workbook"),
        (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {', "not JSON"),
    ],
)
def test_unreadable_files_are_refused_with_why(body: bytes, why: str) -> None:
    file_format = "xlsx" if body == b"not,a,zip" else "geojson" if body.startswith(b"{") else "csv"
    m = manifest("snic", "department", ["cantidad_hechos"], format=file_format)
    outcome = ingest(m, io.BytesIO(body), FakeZones(), ListSink(), dataset_id="DS1")
    assert outcome.status == "refused"
    assert why in outcome.bad_rows[0]["why"]
    assert why in (outcome.reason or "")


def test_the_list_of_bad_rows_is_capped_but_every_bad_row_is_counted() -> None:
    lines = ["provincia_id;departamento_id;codigo_delito_snic_id;anio;mes;cantidad_hechos"]
    lines += [f"50;50021;15;2024;1;x{i}" for i in range(BAD_ROWS_LISTED + 50)]
    stream = io.BytesIO("\n".join(lines).encode())
    outcome = ingest(
        manifest("snic", "department", ["cantidad_hechos"]), stream, FakeZones(), ListSink(), dataset_id="DS1"
    )
    assert outcome.bad_row_count == BAD_ROWS_LISTED + 50
    assert len(outcome.bad_rows) == BAD_ROWS_LISTED


def test_a_few_bad_rows_under_the_share_are_reported_and_the_rest_ingested() -> None:
    lines = ["cut_comuna;anio;mes;delito;casos"] + [f"13122;2024;1;hurto;{i}" for i in range(40)]
    lines.append("13122;2024;1;hurto;-3")
    outcome = ingest(
        manifest("cead", "comuna", ["casos"], geography={"code": "13122"}),
        io.BytesIO("\n".join(lines).encode()),
        FakeZones(),
        ListSink(),
        dataset_id="DS1",
    )
    assert outcome.status == "ingested"
    assert outcome.bad_rows == [{"row": 42, "column": "casos", "why": "-3 is below 0"}]
    assert outcome.aggregates[("comuna", "13122", "2024-01", "casos")] == {"value": float(sum(range(40)))}


def test_names_are_normalised_for_headers() -> None:
    assert files.name(" Código Delito SNIC ID ") == "codigo_delito_snic_id"
    assert files.name("AÑO") == "ano"


def test_the_function_reads_the_key_of_an_eventbridge_event_and_of_an_s3_notification() -> None:
    from vigia.handlers.ingest_dataset import uploaded_keys

    bridge = {
        "source": "aws.s3",
        "detail": {"bucket": {"name": "lake"}, "object": {"key": "uploads/D 1/data.csv"}},
    }
    notification = {"Records": [{"s3": {"object": {"key": "uploads/D+1/data%C3%B1.csv"}}}]}
    assert uploaded_keys(bridge) == ["uploads/D 1/data.csv"]  # EventBridge gives the key as it is
    assert uploaded_keys(notification) == ["uploads/D 1/datañ.csv"]  # S3's notification encodes it


def test_a_first_row_without_its_trailing_empty_cells_still_has_the_headers_columns() -> None:
    body = "cut_comuna,anio,mes,delito,casos\n13122,2024,1,hurto\n13122,2024,1,robo,7\n"
    m = manifest("cead", "comuna", ["casos"], geography={"code": "13122"})
    outcome = ingest(m, io.BytesIO(body.encode()), FakeZones(), ListSink(), dataset_id="DS1")
    assert outcome.status == "ingested", outcome.bad_rows
    assert outcome.aggregates[("comuna", "13122", "2024-01", "casos")] == {"value": 7.0}


def test_the_spool_gives_back_every_record_exactly_in_its_months_parquet(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow.parquet as pq

    from vigia.datasets.spool import Spool

    odd = ["B\t1", "line\nbreak", "back\\slash", "\\N", "", None, "Ñuñoa ó"]
    rows = [
        {"dataset_id": "DS1", "reader": "generic", "zone_kind": "block", "zone_id": zone, "lat": None,
         "lon": -68.5 if n % 2 else None, "period": dt.date(2024, 1 + n % 2, 1), "measure": "m:c",
         "value": n / 3, "row_number": n + 2}
        for n, zone in enumerate(odd)
    ]  # fmt: skip
    with Spool(str(tmp_path)) as spool:
        for row in rows:
            spool.add(row, year=2024, month=row["period"].month)
        read = {month: pq.read_table(path).to_pylist() for _, month, path in spool.parquet_files()}
    assert sorted(read) == [1, 2]
    assert sorted(read[1] + read[2], key=lambda r: r["row_number"]) == rows
    assert not any(tmp_path.iterdir())  # the spool leaves nothing behind


def test_a_huge_bad_cell_is_quoted_cut_so_the_status_stays_small() -> None:
    lines = ["cut_comuna;anio;mes;delito;casos"] + ["13122;2024;1;hurto;1"] * 20
    lines.append("13122;2024;1;hurto;" + "9x" * 50_000)
    outcome = ingest(
        manifest("cead", "comuna", ["casos"], geography={"code": "13122"}),
        io.BytesIO("\n".join(lines).encode()),
        FakeZones(),
        ListSink(),
        dataset_id="DS1",
    )
    assert outcome.status == "ingested"
    (bad,) = outcome.bad_rows
    assert (bad["row"], bad["column"]) == (22, "casos")
    assert len(bad["why"]) == 200
    assert bad["why"].startswith("'9x9x")


def test_a_file_without_line_breaks_is_refused_without_being_held_whole() -> None:
    from vigia.datasets.ingestion import MAX_LINE_BYTES

    body = b"cut_comuna;anio;mes;delito;casos\n" + b"1" * (3 * MAX_LINE_BYTES)
    outcome = ingest(
        manifest("cead", "comuna", ["casos"]), io.BytesIO(body), FakeZones(), ListSink(), dataset_id="D"
    )
    assert outcome.status == "refused"
    assert "without a break" in (outcome.reason or "")
    assert outcome.sha256 == hashlib.sha256(body).hexdigest()


def test_a_geojson_feature_too_large_to_be_a_row_is_refused() -> None:
    from vigia.datasets.files import MAX_FEATURE_CHARS

    big = '{"type": "Feature", "properties": {"nota": "' + "x" * MAX_FEATURE_CHARS + '"}}'
    body = ('{"type": "FeatureCollection", "features": [' + big + "]}").encode()
    m = manifest("school", "point", ["incidentes"], format="geojson")
    outcome = ingest(m, io.BytesIO(body), FakeZones(), ListSink(), dataset_id="D")
    assert outcome.status == "refused"
    assert "a feature runs past 8 million characters" in (outcome.reason or "")
