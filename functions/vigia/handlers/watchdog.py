"""WatchdogFunction: every minute (EventBridge Scheduler), alerts still `received` past a threshold are
re-published once the way the stream relay would have (silent ones to the Silent queue only), and counted
in AlertsStalled, whose alarm tells the operators the relay stalled (docs/dispatch.md).

Input (the schedule's, all optional): {"threshold_s": 120, "lookback_s": 86400}.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.alerts import watchdog
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "ALERT_EVENTS_TOPIC_ARN",
    "SILENT_QUEUE_URL",
)
settings.require_at_start(REQUIRED_SETTINGS)


def _seconds(event: dict[str, Any], name: str, default: int) -> int:
    value = event.get(name, default)
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else default


def watch(event: dict[str, Any]) -> dict[str, Any]:
    from vigia.handlers.alert_stream_relay import route

    now = clock.now()
    window = watchdog.stalled_window(
        now,
        time_zone=runtime.city_pack().time_zone,  # the zone CityTimeZone must equal (vigia.runtime)
        threshold_s=_seconds(event, "threshold_s", watchdog.THRESHOLD_S),
        lookback_s=_seconds(event, "lookback_s", watchdog.LOOKBACK_S),
    )
    report = watchdog.republish_stalled(window, store=runtime.stalled_alerts(), relay=route, now=now)
    stalled = len(report.republished) + len(report.failed)
    metrics.add_metric(name="AlertsStalled", unit="Count", value=stalled)
    for alert_id in report.republished:
        logger.warning("stalled alert re-published", extra={"alert_id": alert_id, "since": window.since})
    for alert_id in report.failed:
        logger.error(
            "stalled alert could not be re-published; next run retries", extra={"alert_id": alert_id}
        )
    return report.view()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return watch(event if isinstance(event, dict) else {})
