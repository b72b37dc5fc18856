"""The lake at a province's scale: ten synthetic years of sixteen cities' `alerts` partitions (the lake's
layout and schema), then one DuckDB query through `make sql`'s views, timed, and its bytes read with
partition pruning (the view: hive partitions filtered before any file is opened) and without (the same files
read whole, the same filter applied to each row's path). Prints figures; never passes or fails on time.

Sizes: BENCH_LAKE_CITIES (16), BENCH_LAKE_YEARS (10), BENCH_LAKE_ALERTS_PER_DAY (40 per city).
"""

# ruff: noqa: S608  (the SQL here is built from the bench's own constants and paths, nothing from outside)
from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

CITIES = int(os.environ.get("BENCH_LAKE_CITIES", "16"))
YEARS = int(os.environ.get("BENCH_LAKE_YEARS", "10"))
PER_DAY = int(os.environ.get("BENCH_LAKE_ALERTS_PER_DAY", "40"))
FIRST = date(2016, 1, 1)
TYPES = ("robbery", "burglary", "assault", "vandalism", "medical", "fire", "suspicious_person")


def write_lake(root: Path) -> tuple[int, int, int, float]:
    """The synthetic partitions, written by DuckDB's partitioned COPY (the export's pyarrow writer takes about
    10 ms a file, two hours for half a million); the files have the lake's schema, checked against
    tables.py below. Returns (files, rows, bytes, seconds)."""
    import duckdb

    from vigia.lake.tables import ALERTS

    started = time.perf_counter()
    days = (date(FIRST.year + YEARS, 1, 1) - FIRST).days
    types = ", ".join(f"'{t}'" for t in TYPES)
    (root / "lake").mkdir(parents=True, exist_ok=True)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute("SELECT setseed(0.16)")
    db.execute(
        f"""
        COPY (
            WITH per_day AS (
                SELECT 'city-' || lpad(c::VARCHAR, 2, '0') AS city, DATE '{FIRST}' + d::INTEGER AS date,
                       {PER_DAY} + ((hash(c, d) % 21)::INTEGER - 10) AS n
                FROM range({CITIES}) t(c), range({days}) u(d)
            )
            SELECT city || date::VARCHAR || lpad(i::VARCHAR, 4, '0') AS alert_id,
                   (date::TIMESTAMP + INTERVAL 3 HOUR + to_seconds((random() * 86400)::BIGINT))::TIMESTAMPTZ
                     AS received_at,
                   [{types}][1 + (random() * {len(TYPES)})::INTEGER % {len(TYPES)}] AS type,
                   false AS silent, 1::BIGINT AS alerts,
                   'B-' || lpad(((random() * 900)::INTEGER)::VARCHAR, 3, '0') AS block_id,
                   'Q-' || (1 + (random() * 12)::INTEGER % 12)::VARCHAR AS quadrant_id,
                   'resolved' AS status, NULL::VARCHAR AS raised_abroad_in, NULL::VARCHAR AS visitor_from,
                   ((random() * 3)::INTEGER % 3)::BIGINT AS sirens_sounded,
                   ((random() * 40)::INTEGER)::BIGINT AS neighbour_messages,
                   city, date
            FROM per_day, range(n) v(i)
        ) TO '{root / "lake" / "alerts"}'
        (FORMAT PARQUET, COMPRESSION ZSTD, PARTITION_BY (city, date), FILENAME_PATTERN 'part-{{i}}')
        """
    )
    took = time.perf_counter() - started
    written = list((root / "lake" / "alerts").rglob("*.parquet"))
    columns = [
        r[0]
        for r in db.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{written[0]}', hive_partitioning = false)"
        ).fetchall()
    ]
    assert columns == list(ALERTS.column_names), columns  # the lake's schema, partition keys in the path
    rows = int(
        db.execute(f"SELECT count(*) FROM read_parquet('{root}/lake/alerts/*/*/*.parquet')").fetchone()[0]
    )
    return len(written), rows, sum(p.stat().st_size for p in written), took


def _profiled(db: Any, sql: str, out: Path, runs: int) -> tuple[list[Any], float, int, int]:
    """Runs `sql` `runs` times; (rows, median seconds, DuckDB's bytes read, files read) of the last run."""
    db.execute("PRAGMA enable_profiling = 'json'")
    db.execute(f"PRAGMA profiling_output = '{out}'")
    timings = []
    result: list[Any] = []
    for _ in range(runs):
        started = time.perf_counter()
        result = db.execute(sql).fetchall()
        timings.append(time.perf_counter() - started)
    profile = json.loads(out.read_text())
    db.execute("PRAGMA disable_profiling")
    return result, statistics.median(timings), int(profile["io"]["total_bytes_read"]), _files_read(profile)


def _files_read(node: dict[str, Any]) -> int:
    info = node.get("extra_info") or {}
    found = int(str(info.get("Total Files Read", "0")).split()[0] or 0)
    return found + sum(_files_read(child) for child in node.get("children", node.get("operator", [])))


def run() -> None:
    from infra.tools.lake_sql import connect

    with tempfile.TemporaryDirectory(prefix="vigia-bench-lake-") as folder:
        root = Path(folder)
        files, rows, size, took = write_lake(root)
        print(
            f"lake: {CITIES} cities x {YEARS} years, alerts table: {files:,} partitions (one file each), "
            f"{rows:,} rows, {size / 1e6:.1f} MB of Parquet, written in {took:.1f} s "
            f"({took / files * 1000:.2f} ms a partition)"
        )
        db = connect(root)
        city, year = f"city-{min(7, CITIES - 1):02d}", FIRST.year + max(0, YEARS - 2)
        where = f"city = '{city}' AND date BETWEEN DATE '{year}-01-01' AND DATE '{year}-12-31'"
        pruned = (
            "SELECT type, date_trunc('month', date) AS month, sum(alerts) AS alerts, "
            "sum(sirens_sounded) AS sirens FROM alerts "
            f"WHERE NOT silent AND {where} GROUP BY ALL ORDER BY ALL"
        )
        pattern = str(root / "lake" / "alerts" / "*" / "*" / "*.parquet")
        # the same rows, read from every file, the partition keys taken from each row's path after reading
        # (random() >= 0 is always true but volatile: DuckDB cannot push the path's filter into the scan)
        path = "CASE WHEN random() >= 0 THEN filename END"
        unpruned = (
            f"WITH every_row AS (SELECT *, regexp_extract({path}, 'city=([^/]+)', 1) AS city, "
            f"CAST(regexp_extract({path}, 'date=([^/]+)', 1) AS DATE) AS date "
            f"FROM read_parquet('{pattern}', hive_partitioning = false, filename = true)) "
            + pruned.replace("FROM alerts", "FROM every_row")
        )
        profile = root / "profile.json"
        with_rows, with_s, with_io, with_files = _profiled(db, pruned, profile, runs=3)
        without_rows, without_s, without_io, without_files = _profiled(db, unpruned, profile, runs=1)
        assert with_rows == without_rows, "pruning changed the answer"  # the figures compare one query
        year_files = list((root / "lake" / "alerts" / f"city={city}").glob(f"date={year}-*/*.parquet"))
        in_year = sum(p.stat().st_size for p in year_files)
        print(f"query: one city's alerts and sirens by type and month over {year} ({len(with_rows)} rows)")
        print(
            f"  with partition pruning:    {with_s * 1000:9.1f} ms (median of 3), "
            f"{with_files:>7,} files opened "
            f"holding {in_year / 1e6:8.2f} MB (DuckDB's I/O counter: {with_io / 1e6:.2f} MB)"
        )
        print(
            f"  without partition pruning: {without_s * 1000:9.1f} ms (one run),    "
            f"{without_files:>7,} files opened "
            f"holding {size / 1e6:8.2f} MB (DuckDB's I/O counter: {without_io / 1e6:.2f} MB)"
        )
        if in_year and with_s:
            print(
                f"  pruning opens {without_files / max(with_files, 1):.0f}x fewer files, "
                f"{size / in_year:.0f}x fewer bytes, in {without_s / with_s:.0f}x less time"
            )
        print(
            "  (Athena bills the bytes it scans: with projection on city and date it opens only the year's "
            "files, as DuckDB does here; a table without partitions scans every file)"
        )


if __name__ == "__main__":
    run()
