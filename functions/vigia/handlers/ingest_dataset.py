"""IngestDatasetFunction: an uploaded dataset (S3 Object Created under uploads/, through EventBridge) read
into the lake and the observatory's monthly aggregates (docs/observatory.md "Sources and manifests")."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.datasets import service
from vigia.observability import logger, metrics

REQUIRED_SETTINGS = ("DATASETS_TABLE", "OBSERVATORY_TABLE", "LAKE_BUCKET")
settings.require_at_start(REQUIRED_SETTINGS)


def uploaded_keys(event: dict[str, Any]) -> list[str]:
    """The object keys of an EventBridge "Object Created" event (as is), or of an S3 notification's records
    (URL-encoded there)."""
    detail = event.get("detail")
    if isinstance(detail, dict):
        return [str((detail.get("object") or {}).get("key") or "")]
    return [
        unquote_plus(str(((r.get("s3") or {}).get("object") or {}).get("key") or ""))
        for r in event.get("Records") or []
    ]


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    done = {}
    for key in uploaded_keys(event):
        done[key] = service.ingest_upload(key, runtime.dataset_ports(), now=clock.now())
        logger.info("dataset upload read", extra={"key": key, "outcome": done[key]})
    return {"uploads": done}
