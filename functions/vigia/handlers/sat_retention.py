"""SatRetentionFunction: nightly, SAT cases ended more than the pack's sat.retention_days ago are deleted,
then the SAT's suppressed monthly figures are exported (indicators/<city>/<day>/sat.json)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.indicators.exports import export_prefix
from vigia.observability import logger, metrics
from vigia.sat import service

SAT_FILE = "sat.json"

REQUIRED_SETTINGS = ("SAT_TABLE", "EXPORTS_BUCKET")
settings.require_at_start(REQUIRED_SETTINGS)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    runtime.city_pack()
    rules = runtime.sat_rules()
    if rules is None:
        logger.info("SAT not enabled: nothing to retain")
        return {"deleted_cases": 0, "figures": None}
    now = clock.now()
    store = runtime.sat_store()
    deleted = service.retain(store, rules, now)
    logger.info("SAT retention", extra={"deleted_cases": deleted})  # a count, never a case
    pack = runtime.city_pack()
    figures = service.nightly_figures(
        store,
        city_id=pack.city_id,
        time_zone=pack.time_zone,
        quadrants=sorted(pack.quadrants),
        threshold=pack.settings.small_cell_threshold,
        now=now,
    )
    # the night's file, under yesterday's local date as the nightly indicators' (they run at 03:00)
    day = (now.astimezone(ZoneInfo(pack.time_zone)).date() - timedelta(days=1)).isoformat()
    key = export_prefix(pack.city_id, day) + SAT_FILE
    runtime.sat_figures_sink()(key, json.dumps(figures, ensure_ascii=False).encode(), "application/json")
    return {"deleted_cases": deleted, "figures": key}
