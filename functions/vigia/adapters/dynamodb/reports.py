"""ReportsTable: residents' reports (vigia.reports) and each resident's reports window, one table.

    report_id (pk)   reporter_id + created_at (GSI by_reporter)   month + created_at (GSI by_month)
    type  department  unsafe_place  lat  lon  quadrant_id  description  time_of_day  declared_gender
    address  status  channel  updated_at  closed_at  notes (JSON)

A window item has report_id `window#report#<user_id>`, the times of her latest accepted reports and a
version; it is written in the report's transaction on the condition nobody moved it (as alerts' windows).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from vigia import clock
from vigia.adapters.dynamodb.binding import Record, conditional_failed, connection, reasons, table, unbound
from vigia.reports.rules import Note, Report
from vigia.reports.service import Window, WindowMoved


class ByReporter(GlobalSecondaryIndex["ReportRecord"]):
    class Meta:
        index_name = "by_reporter"
        projection = AllProjection()

    reporter_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ByMonth(GlobalSecondaryIndex["ReportRecord"]):
    class Meta:
        index_name = "by_month"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@table("reports_table")
class ReportRecord(Record):
    Meta = unbound()
    report_id = UnicodeAttribute(hash_key=True)
    reporter_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    month = UnicodeAttribute()  # YYYY-MM (UTC) of created_at
    type = UnicodeAttribute()
    department = UnicodeAttribute()
    unsafe_place = BooleanAttribute()
    lat = NumberAttribute()
    lon = NumberAttribute()
    quadrant_id = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    time_of_day = UnicodeAttribute(null=True)
    declared_gender = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    channel = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)  # JSON list of {at, status, note, by_role, department?}
    by_reporter = ByReporter()
    by_month = ByMonth()


@table("reports_table")
class ReportWindowRecord(Record):
    Meta = unbound()
    report_id = UnicodeAttribute(hash_key=True)  # window#report#<user_id>
    sent = ListAttribute(of=UnicodeAttribute)
    version = NumberAttribute()
    expires_at = NumberAttribute()


def _record(report: Report) -> ReportRecord:
    return ReportRecord(
        report.report_id,
        reporter_id=report.reporter_id,
        created_at=report.created_at,
        month=report.month,
        type=report.type,
        department=report.department,
        unsafe_place=report.unsafe_place,
        lat=report.lat,
        lon=report.lon,
        quadrant_id=report.quadrant_id,
        description=report.description or None,
        time_of_day=report.time_of_day,
        declared_gender=report.declared_gender,
        address=report.address,
        status=report.status,
        channel=report.channel,
        updated_at=report.updated_at,
        closed_at=report.closed_at,
        notes=json.dumps([vars(n) for n in report.notes], ensure_ascii=False),
    )


def _report(item: ReportRecord) -> Report:
    return Report(
        report_id=item.report_id,
        reporter_id=item.reporter_id,
        type=item.type,
        department=item.department,
        unsafe_place=bool(item.unsafe_place),
        lat=float(item.lat),
        lon=float(item.lon),
        quadrant_id=item.quadrant_id,
        description=item.description or "",
        created_at=item.created_at,
        status=item.status,
        time_of_day=item.time_of_day,
        declared_gender=item.declared_gender,
        address=item.address,
        channel=item.channel,
        updated_at=item.updated_at,
        closed_at=item.closed_at,
        notes=tuple(Note(**n) for n in json.loads(item.notes or "[]")),
    )


class DynamoReports:
    """vigia.reports.service's ReportStore on ReportsTable."""

    def window(self, key: str) -> Window:
        try:
            record = ReportWindowRecord.get(key, consistent_read=True)
        except ReportWindowRecord.DoesNotExist:
            return Window(key)
        return Window(key, tuple(str(at) for at in record.sent or ()), int(record.version))

    def create(self, report: Report, window: Window) -> None:
        newest = clock.parse_iso(window.sent[-1]) if window.sent else None
        expires = (
            int((newest + timedelta(seconds=window.span_s)).timestamp()) + 1 if newest else int(time.time())
        )
        moved = ReportWindowRecord(
            window.key, sent=list(window.sent), version=window.version + 1, expires_at=expires
        )
        condition: Any = (
            ReportWindowRecord.report_id.does_not_exist()
            if window.version == 0
            else ReportWindowRecord.version == window.version
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_record(report), condition=ReportRecord.report_id.does_not_exist())
                tx.save(moved, condition=condition)
        except TransactWriteError as error:
            why = reasons(error)
            if why[-1:] == ["ConditionalCheckFailed"] or "TransactionConflict" in why:
                raise WindowMoved(window.key) from None
            raise

    def get(self, report_id: str) -> Report | None:
        if report_id.startswith("window#"):
            return None
        try:
            return _report(ReportRecord.get(report_id, consistent_read=True))
        except ReportRecord.DoesNotExist:
            return None

    def save(self, report: Report, *, was_status: str) -> bool:
        try:
            _record(report).save(condition=ReportRecord.status == was_status)
        except PutError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def of_reporter(self, reporter_id: str, limit: int) -> list[Report]:
        found = ReportRecord.by_reporter.query(reporter_id, scan_index_forward=False, limit=limit)
        return [_report(item) for item in found]

    def in_month(self, month: str) -> list[Report]:
        return [_report(item) for item in ReportRecord.by_month.query(month, scan_index_forward=False)]
