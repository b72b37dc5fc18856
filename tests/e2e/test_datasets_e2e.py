"""On `make run`'s local stack, over HTTP: an analyst registers a dataset, PUTs the file to the presigned URL,
and the stack's S3 pump delivers the upload to IngestDatasetFunction: the dataset reads `ingested`."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"


def test_a_city_registers_uploads_and_sees_its_dataset_ingested(local_stack):
    analyst = local_stack.client("analyst")
    manifest = {
        "source": "e2e-snic",
        "licence": "CC-BY-4.0",
        "period": {"from": "2024-01", "to": "2024-12"},
        "reader": "snic",
        "geography": {"kind": "department"},
        "measures": [{"name": "cantidad_hechos", "meaning": "hechos delictivos registrados"}],
    }
    if local_stack.country_code != "AR":
        pytest.fail("the local stack's demo city is Godoy Cruz (SNIC is Argentina's)")

    # When an analyst registers SNIC's file and PUTs it to the link, with no credentials
    registered = analyst.post("/v1/datasets", json=manifest)
    assert registered.status_code == 201, registered.text
    dataset_id = registered.json()["dataset_id"]
    put = requests.put(registered.json()["upload_url"], data=(DATA / "snic.csv").read_bytes(), timeout=30)
    assert put.status_code == 200, put.text

    # Then, without anything else, the stack reads it: ingested, with its rows and no bad row
    def ingested():
        dataset = analyst.get(f"/v1/datasets/{dataset_id}").json()
        return dataset if dataset["status"] in ("ingested", "refused") else None

    dataset = local_stack.wait_for(ingested, timeout=30)
    assert dataset["status"] == "ingested", dataset
    assert (dataset["rows"], dataset["bad_row_count"], dataset["months"]) == (6, 0, ["2024-01", "2024-02"])

    # And a police officer cannot see it
    assert local_stack.client("police").get(f"/v1/datasets/{dataset_id}").status_code == 403
