"""The nightly indicators' ports other than DynamoDB: the exports bucket (S3), the run queue (SQS) and the
patrol figures where the city has them; and `IndicatorPorts`, all of them as runtime.py hands them over."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from vigia import settings
from vigia.adapters import aws
from vigia.adapters.dynamodb.indicators import DynamoAlertDays, DynamoClaims, DynamoIndicatorsStore
from vigia.indicators.facts import PatrolDay, SurveyTally, patrol_day, survey_tallies
from vigia.indicators.frame import CityFrame

if TYPE_CHECKING:
    from vigia.patrol.service import PatrolStore

_log = logging.getLogger(__name__)


class S3Exports:
    def put(self, key: str, body: bytes, content_type: str) -> None:
        aws.client("s3").put_object(
            Bucket=settings.get().exports_bucket, Key=key, Body=body, ContentType=content_type
        )

    def link(self, key: str, filename: str, expires_s: int) -> str:
        """A presigned GET (signed here, no S3 call): the browser saves it as `filename`.

        On the local stack the client's endpoint is the emulator's, so the link is one the browser reaches.
        """
        return str(
            aws.presigner().generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": settings.get().exports_bucket,
                    "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_s,
            )
        )


class SqsRunQueue:
    def enqueue(self, run_id: str, days: Sequence[str]) -> None:
        sqs = aws.client("sqs")
        url = settings.get().indicator_runs_queue_url
        for start in range(0, len(days), 10):
            entries = [
                {"Id": str(n), "MessageBody": json.dumps({"run_id": run_id, "date": day})}
                for n, day in enumerate(days[start : start + 10])
            ]
            failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed") or []
            if failed:
                raise RuntimeError(
                    f"{len(failed)} indicator runs could not be queued: {failed[0].get('Code')}"
                )


# ---------------------------------------------------------------- patrols and surveys, where present
class PatrolFigures:
    """Dosage (schedule vs check-ins) and perception surveys of a day, read through the patrol store.

    "Where present": a city without hot-spot patrols, a day without a schedule, or a stack without the
    patrol table gives None / no surveys, and the indicator columns stay empty.
    """

    def __init__(self, frame: CityFrame, patrols: Callable[[], PatrolStore]) -> None:
        self.frame = frame
        self._patrols = patrols  # built on first use, inside the "where present" guard

    def patrol_day(self, day: date) -> PatrolDay | None:
        from vigia.patrol.checkins import dosage

        try:
            store = self._patrols()
            schedule = store.schedule(day.isoformat())
            if schedule is None:
                return None
            return patrol_day(dosage(schedule, store.checkins(day.isoformat())))
        except Exception as error:
            if not _absent(error):
                raise
            _log.info("no patrol figures", extra={"date": day.isoformat(), "reason": type(error).__name__})
            return None

    def surveys_on(self, day: date) -> dict[str, SurveyTally]:
        from zoneinfo import ZoneInfo

        from vigia.patrol.surveys import iso_week

        zone = ZoneInfo(self.frame.time_zone)
        try:
            found = self._patrols().surveys(iso_week(day))
        except Exception as error:
            if not _absent(error):
                raise
            return {}
        taken = [(s.quadrant_id, s.answers) for s in found if s.at.astimezone(zone).date() == day]
        return survey_tallies(taken, self.frame.questions)


def _absent(error: Exception) -> bool:
    """The patrol table does not exist in this stack (or this function may not read it)."""
    text = f"{type(error).__name__} {error}"
    return any(m in text for m in ("ResourceNotFound", "AccessDenied", "TableDoesNotExist", "does not exist"))


# ---------------------------------------------------------------- wiring
@dataclass(frozen=True)
class IndicatorPorts:
    """Everything the indicator handlers hand to vigia.indicators.service, built on the city pack."""

    frame: CityFrame
    alerts: DynamoAlertDays
    patrol: PatrolFigures
    store: DynamoIndicatorsStore
    sink: S3Exports
    queue: SqsRunQueue
    claims: DynamoClaims
