"""Writes a lake table's rows as one Parquet file with pyarrow, in row groups of bounded size (only the lake's
functions import this module: pyarrow ships in their zip alone)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from vigia.lake.tables import BOOLEAN, DATE, DOUBLE, INT, STRING, TABLES, TIMESTAMP, Table

# Rows held in memory at once: a national dataset streams through in groups of this size.
ROW_GROUP_ROWS = 50_000

_ARROW_TYPES = {
    STRING: pa.string(),
    INT: pa.int64(),
    DOUBLE: pa.float64(),
    DATE: pa.date32(),
    TIMESTAMP: pa.timestamp("us", tz="UTC"),
    BOOLEAN: pa.bool_(),
}


def schema(table: Table) -> pa.Schema:
    """The file's columns: the table's columns only (partition keys live in the path, as Glue reads them)."""
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type], nullable=True) for c in table.columns])


def _chunks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def write_table(
    table_name: str,
    rows: Iterable[Mapping[str, Any]],
    sink: BinaryIO,
    *,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> int:
    """Writes `rows` (each a mapping of the table's column names; a missing one is null) to `sink` as Parquet
    (zstd), at most `row_group_rows` rows in memory at a time. Returns the number of rows written.

    A key that is not a column of the table is refused: what the lake keeps is what tables.py says, no more.
    """
    table = TABLES[table_name]
    arrow_schema = schema(table)
    names = set(table.column_names)
    written = 0
    # Same bytes for the same rows (no creation time in the footer): a re-export rewrites an identical file.
    with pq.ParquetWriter(sink, arrow_schema, compression="zstd") as writer:
        for chunk in _chunks(rows, row_group_rows):
            for row in chunk:
                extra = set(row) - names
                if extra:
                    raise ValueError(f"{table_name}: not columns of the table: {sorted(extra)}")
            columns = {name: [row.get(name) for row in chunk] for name in table.column_names}
            writer.write_table(pa.Table.from_pydict(columns, schema=arrow_schema))
            written += len(chunk)
    return written
