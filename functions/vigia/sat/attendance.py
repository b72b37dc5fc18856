"""A school's weekly attendance file (the datasets' reader `sat_attendance`), read row by row into weeks.

Its rows go to SatTable, never the lake: a bad row is named by row and column and *why*, never by the value
it holds (a dataset's status is read by whoever registered it; a student's id is not theirs to see).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vigia.sat.rules import WEEK, AttendanceWeek, week_monday

READER = "sat_attendance"
COLUMNS = ("school", "course", "student", "week", "days_expected", "days_attended")
OPTIONAL = ("quadrant",)
BAD_ROW_SHARE = 0.05  # as every dataset: past it, the file is refused whole
BAD_ROWS_LISTED = 100
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,63}$")
# What a national id looks like once dots, dashes and spaces are dropped: Chile's RUT (7-8 digits and a
# check digit 0-9 or K), Argentina's DNI (7-8 digits), CUIL/CUIT (11 digits). A pseudonymous id must not
# look like one: the city's pseudonyms carry a letter or are another length.
_NATIONAL_ID = re.compile(r"^([0-9]{7,9}|[0-9]{7,8}K|[0-9]{11})$")


class BadCell(ValueError):
    def __init__(self, column: str, why: str) -> None:
        super().__init__(f"{column}: {why}")
        self.column, self.why = column, why


def looks_like_national_id(text: str) -> bool:
    return bool(_NATIONAL_ID.match(re.sub(r"[.\-\s]", "", text).upper()))


def _whole(row: Mapping[str, str], column: str) -> int:
    text = (row.get(column) or "").strip()
    if not text.isascii() or not text.isdigit():
        raise BadCell(column, "not a whole number of days")
    value = int(text)
    if value > 7:
        raise BadCell(column, "more than 7 days in a week")
    return value


def week_of(
    row: Mapping[str, str], quadrants: frozenset[str], weeks: tuple[str, str] | None
) -> AttendanceWeek:
    """One row as a student's week, or BadCell naming the column (never quoting the value)."""
    student = (row.get("student") or "").strip()
    if looks_like_national_id(student):
        raise BadCell("student", "has a national id's shape: use the city's pseudonymous id")
    if not _ID.match(student):
        raise BadCell("student", "not a pseudonymous id (letters, digits, _ . : -, at most 64)")
    school, course = (row.get("school") or "").strip(), (row.get("course") or "").strip()
    for column, value in (("school", school), ("course", course)):
        if not _CODE.match(value):
            raise BadCell(column, "not a code (letters, digits, spaces and _ . : / -, at most 64)")
    week = (row.get("week") or "").strip().upper()
    if not WEEK.match(week):
        raise BadCell("week", "not an ISO week (YYYY-Www)")
    try:
        monday = week_monday(week)
    except ValueError:
        raise BadCell("week", "not a week of that year") from None
    if weeks is not None and not weeks[0] <= monday.strftime("%Y-%m") <= weeks[1]:
        raise BadCell("week", "outside the dataset's period")
    expected, attended = _whole(row, "days_expected"), _whole(row, "days_attended")
    if attended > expected:
        raise BadCell("days_attended", "more than days_expected")
    quadrant = (row.get("quadrant") or "").strip() or None
    if quadrant is not None and quadrant not in quadrants:
        raise BadCell("quadrant", "not a quadrant of the city pack (a quadrant id, never an address)")
    return AttendanceWeek(student, week, school, course, expected, attended, quadrant)


@dataclass
class AttendanceRead:
    """What a file gave: its weeks (when accepted), and the outcome as a dataset's status shows it."""

    weeks: list[AttendanceWeek] = field(default_factory=list)
    rows: int = 0
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    bad_row_count: int = 0
    reason: str | None = None

    def bad(self, row: int, column: str, why: str) -> None:
        self.bad_row_count += 1
        if len(self.bad_rows) < BAD_ROWS_LISTED:
            self.bad_rows.append({"row": row, "column": column, "why": why})

    @property
    def refused(self) -> bool:
        return self.reason is not None


def read_weeks(
    rows: Iterator[tuple[int, dict[str, str]]], quadrants: frozenset[str], period: tuple[str, str] | None
) -> AttendanceRead:
    read = AttendanceRead()
    header_checked = False
    for row_number, row in rows:
        if not header_checked:
            header_checked = True
            missing = [c for c in COLUMNS if c not in row]
            if missing:
                for column in missing:
                    read.bad(1, column, "missing from the header")
                read.reason = f"the header lacks {', '.join(missing)} (the {READER} reader's columns)"
                read.weeks = []
                return read
        read.rows += 1
        try:
            read.weeks.append(week_of(row, quadrants, period))
        except BadCell as bad:
            read.bad(row_number, bad.column, bad.why)
    if read.rows == 0:
        read.reason = "the file has no rows"
    elif read.bad_row_count > BAD_ROW_SHARE * read.rows:
        read.reason = (
            f"{read.bad_row_count} of {read.rows} rows are bad (more than {BAD_ROW_SHARE:.0%}): "
            "nothing was read; fix the file and register it again"
        )
    if read.refused:
        read.weeks = []
    return read
