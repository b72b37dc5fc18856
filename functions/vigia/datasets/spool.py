"""The records of one dataset on local disk while its file is read, one spool per month, then each month's
Parquet file of the lake (`dataset_records`), written in bounded row groups by vigia.lake.parquet.

A national file's rows come in any order of months; holding each month in memory until the end would hold
the file. So each record goes to its month's spool (a tab-separated file in a temporary folder: /tmp in
Lambda) as it is read, and only once the dataset is accepted is each spool turned into Parquet, one at a
time. A refused dataset's spools are deleted unread.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import IO, Any

_COLUMNS = ("dataset_id", "reader", "zone_kind", "zone_id", "lat", "lon", "period", "measure", "value",
            "row_number")  # fmt: skip
_FLOATS, _INTS = frozenset({"lat", "lon", "value"}), frozenset({"row_number"})
ROW_GROUP_ROWS = 10_000  # records in memory at once while a month's file is written
SPOOL_BUFFER = 16 * 1024  # each open month's write buffer


def partition_key(source: str, year: int, month: int, dataset_id: str) -> str:
    """A dataset's file of one month in the lake (docs/observatory.md "The lake")."""
    return f"lake/dataset_records/source={source}/year={year:04d}/month={month:02d}/part-{dataset_id}.parquet"


class Spool:
    """A RecordSink (vigia.datasets.ingestion) on local disk; use as a context manager (cleans up)."""

    def __init__(self, directory: str | None = None) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="dataset-", dir=directory))
        self._files: dict[tuple[int, int], IO[bytes]] = {}

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, row: Mapping[str, Any], *, year: int, month: int) -> None:
        handle = self._files.get((year, month))
        if handle is None:
            # binary, with a fixed buffer: a text file's writer holds ~150 KB of pending text per open month
            handle = (self._folder / f"{year:04d}-{month:02d}.tsv").open("wb", buffering=SPOOL_BUFFER)
            self._files[(year, month)] = handle
        handle.write(("\t".join(_cell(row[c]) for c in _COLUMNS) + "\n").encode("utf-8"))

    def months(self) -> list[tuple[int, int]]:
        return sorted(self._files)

    def parquet_files(self) -> Iterator[tuple[int, int, Path]]:
        """Each month's Parquet file in turn (year, month, path); a file is deleted once the next is asked."""
        from vigia.lake.parquet import write_table  # pyarrow: in the lake functions' zip only

        for handle in self._files.values():
            handle.close()
        for year, month in self.months():
            spooled = self._folder / f"{year:04d}-{month:02d}.tsv"
            target = self._folder / f"{year:04d}-{month:02d}.parquet"
            with spooled.open("rb") as rows, target.open("wb") as sink:
                write_table("dataset_records", _typed(rows), sink, row_group_rows=ROW_GROUP_ROWS)
            spooled.unlink()
            yield year, month, target
            target.unlink()

    def close(self) -> None:
        for handle in self._files.values():
            if not handle.closed:
                handle.close()
        shutil.rmtree(self._folder, ignore_errors=True)


_NULL = "\\N"  # a null cell (an empty text stays empty)
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


def _cell(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def _text(cell: str) -> str:
    if "\\" not in cell:
        return cell
    return re.sub(r"\\[\\tnr]", lambda m: _UNESCAPES[m.group(0)], cell)


def _typed(lines: IO[bytes]) -> Iterator[dict[str, Any]]:
    for line in lines:
        row: dict[str, Any] = {}
        cells = line.decode("utf-8").rstrip("\n").split("\t")
        for column, cell in zip(_COLUMNS, cells, strict=True):
            if cell == _NULL:
                row[column] = None
            elif column in _FLOATS:
                row[column] = float(cell)
            elif column in _INTS:
                row[column] = int(cell)
            elif column == "period":
                row[column] = date.fromisoformat(cell)
            else:
                row[column] = _text(cell)
        yield row
