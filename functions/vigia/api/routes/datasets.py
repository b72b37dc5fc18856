"""The route table, datasets: other agencies' records registered with a manifest, uploaded, ingested into
the lake (docs/observatory.md "Sources and manifests")."""

from __future__ import annotations

from vigia.api.routes.spec import Param, entry, enum_param

_STATUSES = ("awaiting_upload", "ingesting", "ingested", "refused")
SOURCE = Param(
    "source",
    {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$", "description": "only this agency's versions"},
)

ROUTES = (
    entry(
        "POST",
        "/v1/datasets",
        "Register a dataset version (source, licence, period, reader, geography, measures; replaces); the "
        "answer's upload_url is a presigned S3 PUT of the file, read by the ingestion once uploaded (the SAT "
        "coordinator: reader sat_attendance only, and only she may register it)",
        {"analyst", "admin", "sat_coordinator"},
        request_schema="requests/dataset.json",
        success=201,
        errors=(400, 401, 403, 422),
        tags=("datasets",),
        response_schema="responses/dataset-registered.json",
    ),
    entry(
        "GET",
        "/v1/datasets",
        "Every dataset version, newest first (?source=, ?status=)",
        {"analyst", "admin"},
        errors=(400, 401, 403),
        query=(SOURCE, enum_param("status", _STATUSES, what="only the versions in this status")),
        tags=("datasets",),
        response_schema="responses/datasets.json",
    ),
    entry(
        "GET",
        "/v1/datasets/{dataset_id}",
        "A dataset version: its manifest, status, rows, bad rows (row, column, why), SHA-256 (the SAT "
        "coordinator: sat_attendance versions only)",
        {"analyst", "admin", "sat_coordinator"},
        errors=(400, 401, 403, 404),
        tags=("datasets",),
        response_schema="responses/dataset.json",
    ),
)
