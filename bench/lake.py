"""The lake at a province's scale: ten synthetic years of sixteen cities' `alerts` partitions (the lake's
layout, the export's writer; see write_lake), then one DuckDB query through `make sql`'s views, timed, and
the files and bytes it opens with partition pruning (the view: hive partitions filtered before any file is
opened) and without (every file read, the same filter applied to each row's path). Prints figures; never
passes or fails on time.

Sizes: BENCH_LAKE_CITIES (16), BENCH_LAKE_YEARS (10), BENCH_LAKE_ALERTS_PER_DAY (40 per city).
"""

# ruff: noqa: S608  (the SQL here is built from the bench's own constants and paths, nothing from outside)
from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

CITIES = int(os.environ.get("BENCH_LAKE_CITIES", "16"))
YEARS = int(os.environ.get("BENCH_LAKE_YEARS", "10"))
PER_DAY = int(os.environ.get("BENCH_LAKE_ALERTS_PER_DAY", "40"))
FIRST = date(2016, 1, 1)
DISTINCT_DAYS = 64  # day files actually written; every partition is a hard link to one of them
TYPES = ("robbery", "burglary", "assault", "vandalism", "medical", "fire", "suspicious_person")


def _day_rows(rng: random.Random, day: date) -> list[dict[str, Any]]:
    start = datetime(day.year, day.month, day.day, 3, tzinfo=UTC)
    rows: list[dict[str, Any]] = [
        {
            "alert_id": f"{day.isoformat()}-{n:04d}",
            "received_at": start + timedelta(seconds=rng.randrange(86_400)),
            "type": rng.choice(TYPES),
            "silent": False,
            "alerts": 1,
            "block_id": f"B-{rng.randrange(900):03d}",
            "quadrant_id": f"Q-{rng.randrange(12) + 1}",
            "status": "resolved",
            "sirens_sounded": rng.randrange(3),
            "neighbour_messages": rng.randrange(40),
        }
        for n in range(max(0, int(rng.gauss(PER_DAY, PER_DAY / 4))))
    ]
    rows.append({"silent": True, "alerts": rng.randrange(1, 3), "quadrant_id": f"Q-{rng.randrange(12) + 1}"})
    return rows


def write_lake(root: Path) -> tuple[int, int, int, float]:
    """The synthetic partitions: DISTINCT_DAYS day files written with the export's own writer, each partition
    a hard link to one of them (chosen at random), so 58,000 partitions take seconds to lay out rather than
    the export's ~10 ms a file (ten minutes on a busy machine). The query reads every file it opens, link or
    not. Returns (files, rows, bytes, seconds)."""
    from vigia.lake.parquet import write_table
    from vigia.lake.tables import partition_key

    rng = random.Random(16)
    started = time.perf_counter()
    models = root / "models"
    models.mkdir(parents=True)
    sizes, counts = [], []
    for n in range(DISTINCT_DAYS):
        path = models / f"day-{n}.parquet"
        with path.open("wb") as sink:
            counts.append(write_table("alerts", _day_rows(rng, FIRST + timedelta(days=n)), sink))
        sizes.append(path.stat().st_size)
    days = (date(FIRST.year + YEARS, 1, 1) - FIRST).days
    files = rows = size = 0
    for city in range(CITIES):
        for n in range(days):
            model = rng.randrange(DISTINCT_DAYS)
            key = partition_key("alerts", f"city-{city:02d}", (FIRST + timedelta(days=n)).isoformat())
            (root / key).parent.mkdir(parents=True, exist_ok=True)
            os.link(models / f"day-{model}.parquet", root / key)
            files, rows, size = files + 1, rows + counts[model], size + sizes[model]
    return files, rows, size, time.perf_counter() - started


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
