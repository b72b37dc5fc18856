"""SatRetentionFunction: nightly, SAT cases ended more than the pack's sat.retention_days ago are deleted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.observability import logger, metrics
from vigia.sat import service

REQUIRED_SETTINGS = ("SAT_TABLE",)
settings.require_at_start(REQUIRED_SETTINGS)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    runtime.city_pack()
    rules = runtime.sat_rules()
    if rules is None:
        logger.info("SAT not enabled: nothing to retain")
        return {"deleted_cases": 0}
    deleted = service.retain(runtime.sat_store(), rules, clock.now())
    logger.info("SAT retention", extra={"deleted_cases": deleted})  # a count, never a case
    return {"deleted_cases": deleted}
