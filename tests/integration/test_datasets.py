"""Datasets on the emulated stack: an analyst registers a version, PUTs the file to the presigned URL, and
IngestDatasetFunction (given the EventBridge "Object Created" event the upload makes) reads it into the lake
and the observatory; a broken file is refused with its bad rows; a replacement is not counted twice; only
analysts and admins reach the routes (docs/observatory.md "Sources and manifests")."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import requests
from boto3.dynamodb.conditions import Key

from tests.support import FakeContext

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
SNIC = {
    "source": "minseg-snic",
    "licence": "CC-BY-4.0",
    "period": {"from": "2024-01", "to": "2024-12"},
    "reader": "snic",
    "geography": {"kind": "department", "code": "50021"},
    "measures": [
        {"name": "cantidad_hechos", "meaning": "hechos delictivos registrados"},
        {"name": "cantidad_victimas", "meaning": "víctimas de esos hechos"},
    ],
}


def register(api: Any, claims: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    answer = api("POST", "/v1/datasets", body, claims=claims)
    assert answer.status == 201, answer.body
    assert answer.headers["Location"] == f"/v1/datasets/{answer.json['dataset_id']}"
    return dict(answer.json)


def upload(stack: Any, registered: dict[str, Any], content: bytes) -> dict[str, Any]:
    """PUT the bytes to the presigned URL (no credentials), then the event S3 sends through EventBridge."""
    from vigia.handlers.ingest_dataset import lambda_handler

    put = requests.put(registered["upload_url"], data=content, timeout=10)
    assert put.status_code == 200, put.text
    key = next(
        o["Key"]
        for o in stack.client("s3").list_objects_v2(Bucket=stack.resources["LakeBucket"], Prefix="uploads/")[
            "Contents"
        ]
        if o["Key"].startswith(f"uploads/{registered['dataset_id']}/data.")
    )
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": stack.resources["LakeBucket"]}, "object": {"key": key}},
    }
    return lambda_handler(event, FakeContext("IngestDatasetFunction", 512, remaining_ms=900_000))


def aggregates(stack: Any, zone: str) -> dict[str, dict[str, Any]]:
    items = stack.table("ObservatoryTable").query(KeyConditionExpression=Key("pk").eq(zone))["Items"]
    return {i["sk"]: i for i in items}


def lake_files(stack: Any, source: str) -> dict[str, bytes]:
    s3, bucket = stack.client("s3"), stack.resources["LakeBucket"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"lake/dataset_records/source={source}/")
    return {
        o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        for o in listed.get("Contents", [])
    }


def test_an_analyst_registers_uploads_and_sees_the_dataset_ingested(api, stack, staff_claims):
    # Given an analyst registers Argentina's SNIC file for 2024
    registered = register(api, staff_claims("analyst"), SNIC)
    assert registered["status"] == "awaiting_upload"
    answer = api("GET", f"/v1/datasets/{registered['dataset_id']}", claims=staff_claims("analyst"))
    assert answer.json["status"] == "awaiting_upload"

    # When the file is PUT to the presigned URL and the upload's event reaches the ingestion
    content = (DATA / "snic.csv").read_bytes()
    assert upload(stack, registered, content)["uploads"]

    # Then the dataset says ingested, its rows, no bad rows and the file's SHA-256
    answer = api("GET", f"/v1/datasets/{registered['dataset_id']}", claims=staff_claims("admin"))
    assert answer.status == 200, answer.body
    dataset = answer.json
    assert dataset["status"] == "ingested", dataset
    assert (dataset["rows"], dataset["bad_rows"], dataset["bad_row_count"]) == (6, [], 0)
    assert dataset["sha256"] == hashlib.sha256(content).hexdigest()
    # And the observatory holds Godoy Cruz's months (by place of occurrence), not Capital's
    months = aggregates(stack, "zone#department#50021")
    assert months["2024-01#minseg-snic#cantidad_hechos"]["value"] == 41
    assert months["2024-02#minseg-snic#cantidad_hechos"]["value"] == 35
    assert months["2024-01#minseg-snic#cantidad_hechos"]["basis"] == "occurrence"
    assert aggregates(stack, "zone#department#50007") == {}
    # And the lake holds every row as Parquet, one file per month of the source
    files = lake_files(stack, "minseg-snic")
    january = (
        f"lake/dataset_records/source=minseg-snic/year=2024/month=01/part-{registered['dataset_id']}.parquet"
    )
    assert sorted(files) == [january, january.replace("month=01", "month=02")]
    rows = pq.read_table(io.BytesIO(files[january])).to_pylist()
    assert {(r["zone_id"], r["measure"], r["value"]) for r in rows} >= {
        ("50007", "cantidad_hechos:15", 120.0),
        ("50021", "cantidad_hechos:15", 40.0),
        ("unknown", "cantidad_hechos:15", 7.0),
    }
    # And the list shows it
    listed = api("GET", "/v1/datasets", claims=staff_claims("analyst"), query={"source": "minseg-snic"})
    assert [d["dataset_id"] for d in listed.json["datasets"]] == [registered["dataset_id"]]


def test_the_same_upload_delivered_twice_is_read_once(api, stack, staff_claims):
    registered = register(api, staff_claims("analyst"), SNIC)
    first = upload(stack, registered, (DATA / "snic.csv").read_bytes())
    second = upload(stack, registered, (DATA / "snic.csv").read_bytes())
    assert list(first["uploads"].values()) == ["ingested"]
    assert list(second["uploads"].values()) == ["already ingested"]
    assert aggregates(stack, "zone#department#50021")["2024-01#minseg-snic#cantidad_hechos"]["value"] == 41


def test_a_broken_file_is_refused_with_its_bad_rows_and_counts_nothing(api, stack, staff_claims):
    registered = register(api, staff_claims("admin"), SNIC)
    upload(stack, registered, (DATA / "snic_broken.csv").read_bytes())
    dataset = api("GET", f"/v1/datasets/{registered['dataset_id']}", claims=staff_claims("analyst")).json
    assert dataset["status"] == "refused"
    assert "4 of 5 rows are bad" in dataset["reason"]
    assert dataset["bad_rows"][0] == {
        "row": 3,
        "column": "departamento_id",
        "why": "department 06021 is not in province 50",
    }
    assert {b["column"] for b in dataset["bad_rows"]} == {"departamento_id", "mes", "cantidad_hechos"}
    assert aggregates(stack, "zone#department#50021") == {}
    assert lake_files(stack, "minseg-snic") == {}
    refused = api("GET", "/v1/datasets", claims=staff_claims("analyst"), query={"status": "refused"})
    assert [d["dataset_id"] for d in refused.json["datasets"]] == [registered["dataset_id"]]
    ingested = api("GET", "/v1/datasets", claims=staff_claims("analyst"), query={"status": "ingested"})
    assert ingested.json["datasets"] == []


def robberies_by_version_in_make_sql(stack: Any, root: Path) -> list[tuple[str, float]]:
    """Godoy Cruz's January facts per dataset version, as `make sql` reads the lake (DuckDB, Glue's names)."""
    from infra.tools import lake_sql

    lake_sql.mirror(stack.client("s3"), stack.resources["LakeBucket"], root)
    query = (
        "SELECT dataset_id, sum(value) FROM dataset_records WHERE source = 'minseg-snic' "
        "AND zone_id = '50021' AND split_part(measure, ':', 1) = 'cantidad_hechos' "
        "AND year = '2024' AND month = '01' GROUP BY 1"
    )
    return [(str(d), float(v)) for d, v in lake_sql.connect(root).execute(query).fetchall()]


def test_a_replacement_version_is_not_counted_twice(api, stack, staff_claims, tmp_path):
    # Given SNIC 2024 ingested (January and February)
    first = register(api, staff_claims("analyst"), SNIC)
    upload(stack, first, (DATA / "snic.csv").read_bytes())
    assert robberies_by_version_in_make_sql(stack, tmp_path) == [(first["dataset_id"], 41.0)]
    # When a second version of the same months is registered without saying it replaces the first
    answer = api("POST", "/v1/datasets", SNIC, claims=staff_claims("analyst"))
    # Then it is refused: both would count the same months
    assert answer.status == 422, answer.body
    assert answer.json["errors"][0]["path"] == "/period"
    assert first["dataset_id"] in answer.json["detail"]

    # When the corrected version replaces it: January revised, February gone
    corrected = (
        "\ufeffprovincia_id;departamento_id;codigo_delito_snic_id;anio;mes;cantidad_hechos;cantidad_victimas\n"
        "50;50021;15;2024;1;50;\n50;50021;1;2024;1;2;2\n50;50007;15;2024;1;130;\n"
    ).encode()
    second = register(api, staff_claims("analyst"), {**SNIC, "replaces": first["dataset_id"]})
    upload(stack, second, corrected)

    # Then the observatory has the new version's figures only
    months = aggregates(stack, "zone#department#50021")
    assert {sk: (item["value"], item["dataset_id"]) for sk, item in months.items()} == {
        "2024-01#minseg-snic#cantidad_hechos": (52, second["dataset_id"]),
        "2024-01#minseg-snic#cantidad_victimas": (2, second["dataset_id"]),
    }
    # And the lake has only the new version's file; the lake's sum is the API's
    files = lake_files(stack, "minseg-snic")
    assert list(files) == [
        f"lake/dataset_records/source=minseg-snic/year=2024/month=01/part-{second['dataset_id']}.parquet"
    ]
    rows = pq.read_table(io.BytesIO(next(iter(files.values())))).to_pylist()
    assert (
        sum(
            r["value"] for r in rows if r["zone_id"] == "50021" and r["measure"].startswith("cantidad_hechos")
        )
        == 52
    )
    # And `make sql` reads the same figure as the API, from the new version only
    assert robberies_by_version_in_make_sql(stack, tmp_path) == [(second["dataset_id"], 52.0)]
    # And the first version says what replaced it
    old = api("GET", f"/v1/datasets/{first['dataset_id']}", claims=staff_claims("analyst")).json
    assert old["replaced_by"] == second["dataset_id"]
    # And a third version cannot replace the one already replaced
    again = api(
        "POST", "/v1/datasets", {**SNIC, "replaces": first["dataset_id"]}, claims=staff_claims("analyst")
    )
    assert again.status == 422
    assert again.json["errors"][0]["path"] == "/replaces"


@pytest.mark.parametrize("role", ["operator", "police", "response_team"])
def test_only_analysts_and_admins_reach_the_datasets(api, stack, staff_claims, citizen, role):
    registered = register(api, staff_claims("analyst"), SNIC)
    for claims in (staff_claims(role), citizen.claims):
        assert api("POST", "/v1/datasets", SNIC, claims=claims).status == 403
        assert api("GET", "/v1/datasets", claims=claims).status == 403
        answer = api("GET", f"/v1/datasets/{registered['dataset_id']}", claims=claims)
        assert answer.status == 403
        assert "upload_url" not in answer.body
    assert api("GET", "/v1/datasets", claims=None).status == 401


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"geography": {"kind": "comuna", "code": "13122"}}, "/geography/kind"),  # a CUT comuna in Argentina
        ({"geography": {"kind": "department", "code": "50007"}}, "/geography/code"),  # not Godoy Cruz's code
        ({"period": {"from": "2024-06", "to": "2024-01"}}, "/period/to"),
        ({"measures": [{"name": "robos", "meaning": "x"}]}, "/measures/0/name"),
        ({"reader": "generic"}, "/columns"),
        ({"replaces": "01NOSUCHDATASET"}, "/replaces"),
    ],
)
def test_a_manifest_that_does_not_fit_is_a_422_naming_the_field(api, stack, staff_claims, change, path):
    answer = api("POST", "/v1/datasets", {**SNIC, **change}, claims=staff_claims("analyst"))
    assert answer.status == 422, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert path in [e["path"] for e in answer.json["errors"]]


def test_a_malformed_manifest_is_a_400_naming_the_field(api, stack, staff_claims):
    answer = api(
        "POST", "/v1/datasets", {**SNIC, "source": "Minseg SNIC/2024"}, claims=staff_claims("analyst")
    )
    assert answer.status == 400, answer.body
    assert any("source" in str(e) for e in answer.json["errors"])


def test_an_unknown_dataset_is_a_404(api, stack, staff_claims):
    assert api("GET", "/v1/datasets/01NOSUCH", claims=staff_claims("analyst")).status == 404


@pytest.mark.cities("penalolen")
def test_penalolen_ingests_cead_and_a_weighted_survey_by_cut_comuna(api, stack, staff_claims):
    # Given Peñalolén (CUT 13122): a department of Argentina is not a place of its
    cead = {
        "source": "cead",
        "licence": "Datos abiertos SPD",
        "period": {"from": "2024-01", "to": "2024-12"},
        "reader": "cead",
        "geography": {"kind": "comuna"},
        "measures": [{"name": "casos", "meaning": "casos policiales"}],
    }
    wrong = api(
        "POST", "/v1/datasets", {**SNIC, "geography": {"kind": "department"}}, claims=staff_claims("admin")
    )
    assert wrong.status == 422
    assert [e["path"] for e in wrong.json["errors"]] == ["/geography/kind"]

    # When CEAD's police cases and an ENUSC-like survey are registered and uploaded
    upload(stack, register(api, staff_claims("analyst"), cead), (DATA / "cead.csv").read_bytes())
    survey = {
        "source": "enusc",
        "licence": "INE",
        "period": {"from": "2024-09", "to": "2024-09"},
        "reader": "survey",
        "geography": {"kind": "comuna"},
        "measures": [{"name": "percepcion_inseguridad", "meaning": "se siente inseguro en su barrio"}],
    }
    upload(stack, register(api, staff_claims("analyst"), survey), (DATA / "survey.csv").read_bytes())

    # Then the comuna's months hold CEAD's cases (by occurrence) and the survey's weighted estimate (by
    # residence) with its respondents and standard error
    months = aggregates(stack, "zone#comuna#13122")
    assert months["2024-01#cead#casos"]["value"] == 85
    assert months["2024-01#cead#casos"]["basis"] == "occurrence"
    estimate = months["2024-09#enusc#percepcion_inseguridad"]
    assert float(estimate["value"]) == pytest.approx(220.5 / 400)
    assert (estimate["respondents"], estimate["basis"]) == (4, "residence")
    assert 0 < float(estimate["std_error"]) < 0.5


@pytest.mark.parametrize(("claimed_minutes_ago", "outcome"), [(20, "ingested"), (2, "already ingesting")])
def test_a_run_stopped_mid_file_is_taken_over_by_the_next_put_only_once_stale(
    api, stack, staff_claims, claimed_minutes_ago, outcome
):
    from datetime import UTC, datetime, timedelta

    from vigia import clock

    # Given a dataset whose ingestion claimed it and was stopped (its timeout) some minutes ago
    registered = register(api, staff_claims("analyst"), SNIC)
    claimed = clock.iso(datetime.now(UTC) - timedelta(minutes=claimed_minutes_ago))
    stack.table("DatasetsTable").update_item(
        Key={"dataset_id": registered["dataset_id"]},
        UpdateExpression="SET #s = :s, claimed_at = :c",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "ingesting", ":c": claimed},
    )
    # When the analyst PUTs the file again
    answer = upload(stack, registered, (DATA / "snic.csv").read_bytes())
    # Then a stale claim (past the function's 15 minutes) is taken over; a live one is left to its run
    assert list(answer["uploads"].values()) == [outcome]


def test_only_the_registered_key_is_read_and_a_file_past_the_limit_is_refused(
    api, stack, staff_claims, monkeypatch
):
    from vigia.datasets import service
    from vigia.handlers.ingest_dataset import lambda_handler

    s3, bucket = stack.client("s3"), stack.resources["LakeBucket"]
    registered = register(api, staff_claims("analyst"), SNIC)
    dataset_id = registered["dataset_id"]

    def event(key: str) -> dict[str, Any]:
        return {"detail": {"bucket": {"name": bucket}, "object": {"key": key}}}

    # Given files written beside the registered key, or for a dataset that does not exist
    for key in (
        f"uploads/{dataset_id}/other.csv",
        "uploads/01NOSUCHDATASET/data.csv",
        f"uploads/{dataset_id}",
    ):
        s3.put_object(Bucket=bucket, Key=key, Body=(DATA / "snic.csv").read_bytes())
        answer = lambda_handler(event(key), FakeContext("IngestDatasetFunction", 512, remaining_ms=900_000))
        # Then none is read, and the dataset still waits for its own file
        assert answer["uploads"] == {key: "not a registered upload"}
    assert (
        api("GET", f"/v1/datasets/{dataset_id}", claims=staff_claims("analyst")).json["status"]
        == "awaiting_upload"
    )

    # When its own file is larger than the ingestion reads
    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 100)
    upload(stack, registered, (DATA / "snic.csv").read_bytes())
    dataset = api("GET", f"/v1/datasets/{dataset_id}", claims=staff_claims("analyst")).json
    # Then it is refused whole, saying why, and nothing is counted
    assert dataset["status"] == "refused"
    assert "at most 100 are read" in dataset["reason"]
    assert aggregates(stack, "zone#department#50021") == {}
