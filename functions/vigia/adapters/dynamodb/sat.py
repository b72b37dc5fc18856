"""SatTable: the SAT's attendance rows, cases and timelines (minors' data; SSE with its own key, SatKey).

One table, pk/sk: `student#<id>` holds the student's weeks (`week#YYYY-Www`) and her episode marker
(`episode`: the case open for her, the last week a case of hers ended at); `case#<case_id>` holds the case
(`case`) and its timeline (`event#<at>#<id>`). The sparse index `by_kind` (kind = "case", opened_at) lists
the cases without a scan. Bodies are JSON: only this module and vigia.sat read them.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from vigia.adapters.dynamodb.binding import Record, connection, reasons, table, unbound
from vigia.errors import Conflict
from vigia.sat.cases import Case
from vigia.sat.rules import AttendanceWeek

CASE_SK = "case"
OPEN_ATTEMPTS = 5
EPISODE_SK = "episode"


class SatByKind(GlobalSecondaryIndex["SatRecord"]):
    class Meta:
        index_name = "by_kind"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    opened_at = UnicodeAttribute(range_key=True)


@table("sat_table")
class SatRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)  # "case" on a case item only (the index is sparse)
    opened_at = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)  # JSON
    open_case_id = UnicodeAttribute(null=True)  # the episode marker's
    last_ended_week = UnicodeAttribute(null=True)  # the episode marker's
    by_kind = SatByKind()


def _case(record: SatRecord) -> Case:
    return Case(**json.loads(record.body or "{}"))


def _case_record(case: Case) -> SatRecord:
    body = {k: v for k, v in case.view().items() if k != "allowed_statuses"}
    return SatRecord(
        f"case#{case.case_id}", CASE_SK, kind="case", opened_at=case.opened_at, body=json.dumps(body)
    )


def _event_record(case_id: str, event: dict[str, Any]) -> SatRecord:
    return SatRecord(f"case#{case_id}", f"event#{event['at']}#{event['event_id']}", body=json.dumps(event))


class DynamoSatStore:
    """The SAT's store: weeks, episodes, cases, timelines; every change a conditional write."""

    def put_weeks(self, weeks: Iterable[AttendanceWeek]) -> int:
        count = 0
        with SatRecord.batch_write() as batch:
            for w in weeks:
                batch.save(SatRecord(f"student#{w.student}", f"week#{w.week}", body=json.dumps(vars(w))))
                count += 1
        return count

    def weeks(self, student: str) -> list[AttendanceWeek]:
        found = SatRecord.query(f"student#{student}", SatRecord.sk.startswith("week#"))
        return [AttendanceWeek(**json.loads(r.body or "{}")) for r in found]

    def last_ended_week(self, student: str) -> tuple[str | None, str | None]:
        """(the case open for the student, the last week a case of hers ended at)."""
        try:
            marker = SatRecord.get(f"student#{student}", EPISODE_SK)
        except SatRecord.DoesNotExist:
            return None, None
        return marker.open_case_id, marker.last_ended_week

    def open_case(self, case: Case, event: dict[str, Any]) -> bool:
        """Opens the case unless the student has one open, or one ended at or after its week: False then.
        The episode marker's condition makes two ingestions at once open it once."""
        marker = SatRecord(f"student#{case.student}", EPISODE_SK)
        free = SatRecord.open_case_id.does_not_exist() & (
            SatRecord.last_ended_week.does_not_exist() | (SatRecord.last_ended_week < case.opened_week)
        )
        for attempt in range(OPEN_ATTEMPTS):
            try:
                with TransactWrite(connection=connection()) as tx:
                    tx.update(marker, actions=[SatRecord.open_case_id.set(case.case_id)], condition=free)
                    tx.save(_case_record(case), condition=SatRecord.pk.does_not_exist())
                    tx.save(_event_record(case.case_id, event))
            except TransactWriteError as error:
                why = reasons(error)
                if "ConditionalCheckFailed" in why:
                    return False  # her episode has its case already
                if "TransactionConflict" in why and attempt + 1 < OPEN_ATTEMPTS:
                    # another ingestion was writing her marker at that instant: both may have been cancelled,
                    # so try again rather than lose the warning (the condition keeps it to one case)
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                    continue
                raise
            return True
        return False

    def get(self, case_id: str) -> Case | None:
        try:
            return _case(SatRecord.get(f"case#{case_id}", CASE_SK))
        except SatRecord.DoesNotExist:
            return None

    def timeline(self, case_id: str) -> list[dict[str, Any]]:
        found = SatRecord.query(f"case#{case_id}", SatRecord.sk.startswith("event#"))
        return [json.loads(r.body or "{}") for r in found]

    def cases(self) -> list[Case]:
        """Every case, newest first."""
        return [_case(r) for r in SatRecord.by_kind.query("case", scan_index_forward=False)]

    def save(self, before: Case, after: Case, event: dict[str, Any]) -> None:
        """The changed case and its timeline event at once, only if nobody changed the case meanwhile
        (409 then); a case that ends frees its student's episode marker at its latest week."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(
                    _case_record(after),
                    condition=SatRecord.body == _case_record(before).body,
                )
                tx.save(_event_record(after.case_id, event))
                if after.ended and not before.ended:
                    last = max((w.week for w in self.weeks(after.student)), default=after.opened_week)
                    tx.update(
                        SatRecord(f"student#{after.student}", EPISODE_SK),
                        actions=[SatRecord.open_case_id.remove(), SatRecord.last_ended_week.set(last)],
                    )
        except TransactWriteError as error:
            if reasons(error)[:1] == ["ConditionalCheckFailed"]:
                raise Conflict("The case changed meanwhile: read it again.") from None
            raise

    def delete_case(self, case: Case, *, with_student: bool) -> int:
        """The case and its timeline gone, and with `with_student` the student's weeks and episode marker
        too (none of her cases is left). The number of items deleted."""
        keys = [(r.pk, r.sk) for r in SatRecord.query(f"case#{case.case_id}")]
        if with_student:
            keys += [(r.pk, r.sk) for r in SatRecord.query(f"student#{case.student}")]
        with SatRecord.batch_write() as batch:
            for pk, sk in keys:
                batch.delete(SatRecord(pk, sk))
        return len(keys)
