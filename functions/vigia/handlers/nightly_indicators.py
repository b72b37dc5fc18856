"""NightlyIndicatorsFunction: the observatory's indicators of complete local days, written to the
IndicatorsTable and the exports bucket.

Three doors, one room (vigia.indicators.service):
- the 03:00 schedule ({"run": "nightly"}): every day owed since the ledger's last completed day, up to
  yesterday in the city's time zone, so a missed night is caught up by the next one;
- the IndicatorRuns queue (POST /v1/indicator-runs): one date per message, partial batch failures;
- a direct invocation ({"date": …} or {"from": …, "to": …}; `make indicators`): those dates, now.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.errors import InvalidRequest
from vigia.handlers.poison import Poison, guarded, reason_of
from vigia.indicators import service
from vigia.indicators.days import days_between, parse_day
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "INDICATORS_TABLE",
    "IDEMPOTENCY_TABLE",
    "EXPORTS_BUCKET",
    "INDICATOR_RUNS_QUEUE_URL",
)
settings.require_at_start(REQUIRED_SETTINGS)

processor = BatchProcessor(event_type=EventType.SQS)
SAFETY_MS = 120_000  # a catch-up stops starting new days when less than this is left


def run_dates(days: list[date], source: str) -> list[dict[str, Any]]:
    ports = runtime.indicator_ports()
    reports = []
    for day in days:
        report = service.run_day(
            day,
            frame=ports.frame,
            alerts=ports.alerts,
            patrol=ports.patrol,
            store=ports.store,
            sink=ports.sink,
            source=source,
            now=clock.now(),
        )
        _log(report)
        reports.append(report.view())
    return reports


def _log(report: service.RunReport) -> None:
    logger.info("indicators computed", extra=report.view())
    metrics.add_metric(name="IndicatorDaysComputed", unit="Count", value=1)
    metrics.add_metric(name="IndicatorItemsRead", unit="Count", value=report.items_read)


def nightly(context: LambdaContext | None) -> list[dict[str, Any]]:
    ports = runtime.indicator_ports()

    def has_time() -> bool:
        return context is None or context.get_remaining_time_in_millis() > SAFETY_MS

    reports = service.nightly(
        clock.now(),
        frame=ports.frame,
        alerts=ports.alerts,
        patrol=ports.patrol,
        store=ports.store,
        sink=ports.sink,
        max_days=settings.get().indicators_catch_up_days,
        has_time=has_time,
    )
    for report in reports:
        _log(report)
    if not reports:
        logger.info("indicators up to date")
    return [r.view() for r in reports]


def handle(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
        day = parse_day(body.get("date"))
    except (AttributeError, TypeError, ValueError, InvalidRequest) as error:
        raise Poison(f"not an indicator run: {reason_of(error)}") from None
    run_dates([day], source=f"run {body.get('run_id', '?')}")


# A run that names no valid date is poison: dead-lettered once with its reason (vigia.handlers.poison).
record_handler = guarded(handle, queue="indicator_runs", consumer="NightlyIndicatorsFunction")


def explicit_days(event: dict[str, Any]) -> list[date]:
    if "date" in event:
        return [parse_day(event["date"], "/date")]
    first, last = parse_day(event.get("from"), "/from"), parse_day(event.get("to"), "/to")
    clock.check_period(first, last, most=service.MAX_RUN_DAYS)
    return days_between(first, last)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    if event.get("run") == "nightly":
        return {"computed": nightly(context)}
    if "date" in event or "from" in event:
        return {"computed": run_dates(explicit_days(event), source=str(event.get("source") or "invoke"))}
    raise ValueError('expected {"run": "nightly"}, {"date": …}, {"from": …, "to": …} or SQS records')
