"""A national SNIC-shaped file of about 70 MB through the datasets' ingestion: time, and peak memory against
the file's size (docs/observatory.md "Sources and manifests"). The file is made here, synthetic; it is read
from local disk as the function reads its upload from S3 (a stream), its months spooled and written as
Parquet in bounded row groups, as IngestDatasetFunction does (the S3 PUTs of the month files left out)."""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_BYTES = 70 * 1024 * 1024
HEADER = (
    "provincia_id;provincia_nombre;departamento_id;departamento_nombre;codigo_delito_snic_id;"
    "codigo_delito_snic_nombre;anio;mes;cantidad_hechos;cantidad_victimas;cantidad_victimas_masc;"
    "cantidad_victimas_fem;cantidad_victimas_sd;tasa_hechos;tasa_victimas\n"
)
CRIMES = {
    1: "Homicidios dolosos",
    15: "Robos (excluye los agravados por el resultado de lesiones y/o muertes)",
    16: "Tentativas de robo (excluye las agravadas por el res. de lesiones y/o muerte)",
    19: "Hurtos",
    20: "Tentativas de hurto",
    31: "Amenazas",
}


def synthetic_snic(path: Path, target_bytes: int = TARGET_BYTES) -> tuple[int, int]:
    """Writes rows of 24 provinces x 22 departments x the crimes x months from 2000 on until the file
    reaches `target_bytes`; (rows, bytes)."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("\ufeff" + HEADER)
        year = 2000
        while out.tell() < target_bytes:
            for month in range(1, 13):
                for province in range(2, 96, 4):
                    for department in range(7, 161, 7):
                        for crime, crime_name in CRIMES.items():
                            out.write(_row(year, month, province, department, crime, crime_name))
                            rows += 1
            year += 1
    return rows, path.stat().st_size


def _row(year: int, month: int, province: int, department: int, crime: int, crime_name: str) -> str:
    facts = (province * 7 + department * 3 + crime * month + year) % 97
    rates = f"{facts * 1.37:.2f};{facts * 0.6:.2f}".replace(".", ",")  # decimal commas, as the real file
    return (
        f"{province};Provincia {province};{province:02d}{department:03d};Departamento {department} ;{crime};"
        f"{crime_name};{year};{month};{facts};{facts // 2};{facts // 4};{facts // 5};0;{rates}\n"
    )


class _Zones:
    city_zone = ("department", "50021")

    def block_at(self, lat: float, lon: float) -> None:
        return None

    def quadrant_of(self, block_id: str) -> None:
        return None

    def has_quadrant(self, quadrant_id: str) -> bool:
        return False


def _ingest(path: Path, folder: str, last_year: int) -> tuple[Any, int, int]:
    from vigia.datasets.ingestion import ingest
    from vigia.datasets.spool import Spool

    manifest = {
        "source": "bench-snic",
        "reader": "snic",
        "format": "csv",
        "period": {"from": "2000-01", "to": f"{last_year}-12"},
        "geography": {"kind": "department", "code": "50021"},
        "measures": [
            {"name": "cantidad_hechos", "meaning": "x"},
            {"name": "cantidad_victimas", "meaning": "x"},
        ],
    }
    parquet_files = parquet_bytes = 0
    with Spool(folder) as spool, path.open("rb") as stream:
        outcome = ingest(manifest, stream, _Zones(), spool, dataset_id="BENCH")
        for _, _, written in spool.parquet_files():
            parquet_files += 1
            parquet_bytes += written.stat().st_size
    return outcome, parquet_files, parquet_bytes


def _measured(path: Path, folder: str, last_year: int, answer: Any) -> None:
    """In a child process: the ingestion's time and the growth of the process's peak RSS while it reads."""
    import pyarrow  # noqa: F401 - imported before the baseline, as the function's cold start does

    import vigia.datasets.ingestion  # noqa: F401

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome, files, parquet = _ingest(path, folder, last_year)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answer.put((outcome.status, outcome.reason, outcome.records, files, parquet, took, before, after))


def run() -> None:
    context = multiprocessing.get_context("spawn")  # a clean process: its peak RSS is the ingestion's own
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        for target in (TARGET_BYTES // 10, TARGET_BYTES):
            path = Path(folder) / f"snic-{target}.csv"
            rows, size = synthetic_snic(path, target)
            last_year = 2000 + rows // (12 * 24 * 22 * len(CRIMES))
            answer = context.Queue()
            child = context.Process(target=_measured, args=(path, folder, last_year, answer))
            child.start()
            status, reason, records, files, parquet, took, before, after = answer.get()
            child.join()
            assert status == "ingested", reason
            path.unlink()
            print(
                f"SNIC-shaped file of {size / 1e6:.1f} MB ({rows:,} rows; ';', BOM, decimal commas): "
                f"ingested in {took:.1f} s ({rows / took:,.0f} rows/s), {records:,} records in {files} month "
                f"files, {parquet / 1e6:.1f} MB of Parquet"
            )
            print(
                f"  peak RSS {after / 1024:.0f} MB: {(after - before) / 1024:+.0f} MB while reading, over "
                f"the {before / 1024:.0f} MB of the started process (Python, pyarrow) - ru_maxrss"
            )
