"""`make sql`: DuckDB, embedded, over the local lake, with the Glue catalog's table names.

    make sql                                  # an interactive prompt (one statement per line; .quit ends)
    make sql Q="SELECT date, sum(alerts) FROM alerts GROUP BY date ORDER BY date"

The lake's truth is the running local stack's LakeBucket (the emulator keeps it in memory, where DuckDB
cannot read it without an extension it would have to download): `make sql` first mirrors its `lake/` prefix
to `.local/lake/` (new and changed files copied, files gone from the bucket removed), then opens DuckDB with
one view per vigia/lake/tables.py table over read_parquet(…, hive_partitioning) of that mirror. With no stack
running it says so and reads the mirror as the last `make sql` left it. `--root DIR` reads another folder laid
out as the bucket (`lake/<table>/<key>=<value>/…/*.parquet`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vigia.lake.tables import BOOLEAN, DATE, DOUBLE, INT, STRING, TABLES, TIMESTAMP, Table

_DUCK_TYPES = {
    STRING: "VARCHAR",
    INT: "BIGINT",
    DOUBLE: "DOUBLE",
    DATE: "DATE",
    TIMESTAMP: "TIMESTAMP",  # UTC, as Athena reads Glue's `timestamp`
    BOOLEAN: "BOOLEAN",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def view_sql(table: Table, root: Path) -> str:
    """The view of one table: its files under root/lake/<table>/, partition keys typed as the catalog types
    them; a table with no file yet is an empty view with the same columns (a query still runs)."""
    folder = root / "lake" / table.name
    name = _quote(table.name)
    if not any(folder.rglob("*.parquet")):
        columns = ", ".join(
            f"CAST(NULL AS {_DUCK_TYPES[c.type]}) AS {_quote(c.name)}"
            for c in (*table.columns, *table.partition_keys)
        )
        return f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} WHERE false"
    pattern = str(folder / ("*/" * len(table.partition_keys)) / "*.parquet").replace("'", "''")
    types = ", ".join(f"'{c.name}': '{_DUCK_TYPES[c.type]}'" for c in table.partition_keys)
    columns = ", ".join(
        # the files' instants (UTC-adjusted) as UTC wall time, as Athena shows a `timestamp`
        f"{_quote(c.name)}::TIMESTAMP AS {_quote(c.name)}" if c.type == TIMESTAMP else _quote(c.name)
        for c in (*table.columns, *table.partition_keys)
    )
    # names from tables.py, the path's quotes doubled: a view's definition takes no parameters
    return (
        f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM read_parquet('{pattern}', "  # noqa: S608
        f"hive_partitioning = true, hive_types = {{{types}}})"
    )


def connect(root: Path, database: str = ":memory:") -> Any:
    """A DuckDB connection with one view per lake table over the files under `root`."""
    import duckdb

    connection = duckdb.connect(database)
    connection.execute("SET TimeZone = 'UTC'")  # the lake's timestamps are UTC; so are the answers
    for table in TABLES.values():
        connection.execute(view_sql(table, root))
    return connection


def mirror(s3: Any, bucket: str, root: Path, prefix: str = "lake/") -> tuple[int, int]:
    """Copies the bucket's `prefix` to root/<key>: files new or changed (by ETag) are downloaded, files the
    bucket no longer has are removed. Returns (downloaded, removed)."""
    seen: set[Path] = set()
    downloaded = removed = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            path = root / item["Key"]
            seen.add(path)
            tag = path.with_name(path.name + ".etag")
            etag = str(item["ETag"])
            if path.exists() and tag.exists() and tag.read_text() == etag:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(path))
            tag.write_text(etag)
            downloaded += 1
    for path in list((root / prefix).rglob("*.parquet")) if (root / prefix).exists() else []:
        if path not in seen:
            path.unlink()
            path.with_name(path.name + ".etag").unlink(missing_ok=True)
            removed += 1
    return downloaded, removed


def render(cursor: Any, out: Any = sys.stdout) -> int:
    """Prints a result as an aligned table; returns its rows."""
    if cursor.description is None:
        return 0
    names = [d[0] for d in cursor.description]
    rows = [["" if v is None else str(v) for v in row] for row in cursor.fetchall()]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)), file=out)
    print(f"({len(rows)} rows)", file=out)
    return len(rows)


def _statements(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        text = line.strip()
        if text in (".quit", ".exit", "\\q"):
            return
        if text:
            yield text


def refresh(local_dir: Path, root: Path) -> str:
    """Mirrors the running local stack's lake; a line saying what was read."""
    if not (local_dir / "outputs.json").exists():
        return f"no local stack running: reading the mirror {root}/lake as it is"
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.tools.stack_outputs import local

    outputs = local(local_dir)  # points boto3 at the stack's emulator
    bucket = str((outputs.get("Resources") or {}).get("LakeBucket") or "")
    if not bucket:
        return "the running stack has no LakeBucket: reading the mirror as it is"
    try:
        downloaded, removed = mirror(boto3.client("s3"), bucket, root)
    except (BotoCoreError, ClientError) as error:
        return f"the local stack did not answer ({error}): reading the mirror {root}/lake as it is"
    return f"mirrored s3://{bucket}/lake/ to {root}/lake ({downloaded} files copied, {removed} removed)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make sql", description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--query", default="", help="run one query, print it and stop")
    parser.add_argument("--root", default="", help="read this folder instead of the local stack's mirror")
    args = parser.parse_args(argv)

    from infra.local.stack import StackConfig

    local_dir = StackConfig.from_env().local_dir
    root = Path(args.root) if args.root else local_dir
    if not args.root:
        print(refresh(local_dir, root), file=sys.stderr)
    connection = connect(root)
    if args.query:
        render(connection.execute(args.query))
        return 0
    print(f"DuckDB over {root}/lake; tables: {', '.join(TABLES)}. One statement a line; .quit ends.")
    lines = iter(sys.stdin.readline, "")
    print("lake> ", end="", flush=True)
    for statement in _statements(lines):
        try:
            render(connection.execute(statement))
        except Exception as error:  # a bad query is the analyst's to fix: say why and keep the prompt
            print(f"error: {error}")
        print("lake> ", end="", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
