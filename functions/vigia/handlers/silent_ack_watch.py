"""SilentAckWatchFunction: every minute, silent alerts nobody acknowledged in time go to the team again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "UNITS_TABLE",
    "SMS_QUEUE_URL",
)
settings.require_at_start(REQUIRED_SETTINGS)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from vigia.silent.ack_watch import watch

    moment = (event or {}).get("time")  # the scheduler's firing time when given (and tests' clock)
    now = clock.parse_iso(str(moment)) if moment else clock.now()
    watched = watch(
        pack=runtime.city_pack(), store=runtime.incidents(), queues=runtime.task_queues(), now=now
    )
    # The alarm (template.yaml, SilentAckOverdueAlarm) goes off while any is overdue, reminded or not.
    metrics.add_metric(name="SilentAckOverdue", unit=MetricUnit.Count, value=watched.overdue)
    metrics.add_metric(name="SilentAckReminders", unit=MetricUnit.Count, value=len(watched.reminded))
    if watched.overdue:
        logger.warning(
            "silent alerts not acknowledged in time",
            extra={"overdue": watched.overdue, "reminded": list(watched.reminded)},
        )
    return {"overdue": watched.overdue, "reminded": list(watched.reminded)}
