"""PatrolScheduleFunction: EventBridge Scheduler runs it weekly (city time) to plan the next week's patrols.

Input (the schedule's target input, all optional): {"days": 7, "from": "YYYY-MM-DD"}; without "from",
the Monday after the run. Dates that already have a schedule keep it, so a retried run is harmless.
A failure raises: Scheduler and Lambda retry, then the event lands in PatrolScheduleDLQ (alarmed).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.observability import logger, metrics
from vigia.patrol.planning import parse_date
from vigia.patrol.service import next_week, today, weekly

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "PATROL_TABLE",
)
settings.require_at_start(REQUIRED_SETTINGS)

MAX_DAYS = 31


def plan(event: dict[str, Any]) -> dict[str, Any]:
    pack = runtime.city_pack()
    now = clock.now()
    days = max(1, min(int(event.get("days") or 7), MAX_DAYS))
    start = parse_date(event["from"], "/from") if event.get("from") else next_week(today(pack, now))
    return weekly(
        start=start, days=days, pack=pack, history=runtime.alert_history(), store=runtime.patrols(), now=now
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = plan(event if isinstance(event, dict) else {})
    metrics.add_metric(name="PatrolSchedulesGenerated", unit="Count", value=len(result["generated"]))
    logger.info("weekly patrol schedules", extra=result)
    return result
