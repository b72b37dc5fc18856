"""LakeExportFunction: the day's partitions of the lake's daily tables (alerts, incidents, patrol_dosage,
surveys, indicators) as Parquet in the LakeBucket, each rewritten whole (vigia.lake.export).

Two doors:
- the 04:00 schedule ({"run": "nightly"}), an hour after the nightly indicators: the last NIGHTLY_DAYS local
  days, yesterday last, so a correction made within two days (a false alarm marked the next morning) and a
  day the indicators caught up late reach the lake without a backfill;
- a direct invocation ({"date": …} or {"from": …, "to": …}; `make backfill-lake`): those dates.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime, settings
from vigia.indicators.days import days_between, parse_day, previous_local_day
from vigia.lake import export
from vigia.observability import logger, metrics

REQUIRED_SETTINGS = ("ALERTS_TABLE", "INDICATORS_TABLE", "LAKE_BUCKET")
settings.require_at_start(REQUIRED_SETTINGS)

MAX_DAYS = 366  # one invocation; a longer backfill is several (make backfill-lake splits it)
NIGHTLY_DAYS = 3  # each night rewrites the day before yesterday and the one before it too


def parquet(table: str, rows: Iterable[Mapping[str, Any]]) -> bytes:
    # pyarrow (and the numpy it loads) on first use, not at the cold start's import
    from vigia.lake.parquet import write_table

    sink = io.BytesIO()
    write_table(table, rows, sink)
    return sink.getvalue()


def export_days(days: list[date]) -> list[dict[str, Any]]:
    ports = runtime.indicator_ports()
    lake = runtime.lake_writer()
    done = []
    for day in days:
        result = export.export_day(
            day,
            frame=ports.frame,
            alerts=ports.alerts,
            patrol=ports.patrol,
            indicators=ports.store,
            lake=lake,
            encode=parquet,
            reports=runtime.report_days(),
        )
        logger.info("lake partitions written", extra=result.view())
        if not result.indicators_computed:
            logger.warning(
                "no indicators computed for the day: its lake partition waits", extra={"date": day}
            )
        metrics.add_metric(name="LakeDaysExported", unit="Count", value=1)
        done.append(result.view())
    return done


def explicit_days(event: Mapping[str, Any]) -> list[date]:
    if "date" in event:
        return [parse_day(event["date"], "/date")]
    first, last = parse_day(event.get("from"), "/from"), parse_day(event.get("to"), "/to")
    clock.check_period(first, last, most=MAX_DAYS)
    return days_between(first, last)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if event.get("run") == "nightly":
        yesterday = previous_local_day(clock.now(), runtime.indicator_ports().frame.time_zone)
        return {
            "exported": export_days(days_between(yesterday - timedelta(days=NIGHTLY_DAYS - 1), yesterday))
        }
    if "date" in event or "from" in event:
        return {"exported": export_days(explicit_days(event))}
    raise ValueError('expected {"run": "nightly"}, {"date": …} or {"from": …, "to": …}')
