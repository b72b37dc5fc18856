"""`make bench` and the `make` tools print figures on stdout; the functions' logs go to the file they name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from infra.tools.log_file import is_log_line

ROOT = Path(__file__).resolve().parents[2]

# A bench module in miniature: a function logs and emits a metric as a handler does, the bench prints figures.
TINY_BENCH = """
import logging, warnings
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="vigia")          # made at import, as in a handler module
metrics = Metrics(namespace="Vigia", service="vigia")


def run():
    print("AWS calls for one accepted alert: 3 (target <= 4)")
    logger.info("alert received", alert_id="a-1")
    metrics.add_metric(name="AlertsReceived", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
    logging.getLogger("moto").warning("an emulator's warning")
    warnings.warn("a library's warning", UserWarning)
    print(f"{'N':>5} {'p50 s':>7}")
    print(f"{50:>5} {0.8:>7}")
"""


def test_a_bench_prints_its_figures_and_writes_the_functions_logs_to_the_file_it_names(
    tmp_path: Path,
) -> None:
    # Given a bench module whose function logs, emits a metric and warns between its figures
    (tmp_path / "tiny_bench.py").write_text(TINY_BENCH)
    log_path = tmp_path / "logs" / "bench.tiny_bench.jsonl"
    code = (
        f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(ROOT)!r}]; from pathlib import Path; "
        f"from bench.__main__ import run_module; run_module('tiny_bench', Path({str(log_path)!r}))"
    )
    # When the bench harness runs it
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_METRICS_NAMESPACE": "Vigia"},
        capture_output=True,
        text=True,
        check=True,
    )
    # Then stdout holds the figures and one line naming the log file, and no log line at all
    lines = done.stdout.splitlines()
    assert "AWS calls for one accepted alert: 3 (target <= 4)" in lines
    assert "   50     0.8" in lines
    assert not [line for line in lines if is_log_line(line) or "alert received" in line]
    assert f"4 log lines in {log_path})" in lines[-1]
    assert done.stderr == ""
    # And the file it names holds them, one JSON object a line
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [r.get("message") for r in records if r.get("level") == "INFO"] == ["alert received"]
    assert [r["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for r in records if "_aws" in r] == [
        "AlertsReceived"
    ]
    warnings = [r["message"] for r in records if r.get("level") == "WARNING"]
    assert "an emulator's warning" in warnings
    assert any("a library's warning" in message for message in warnings)


def test_only_a_whole_json_object_counts_as_a_log_line() -> None:
    assert is_log_line('{"level":"INFO","message":"alert received"}\n')
    assert is_log_line('{"_aws":{"Timestamp":1},"AlertsReceived":[1.0]}')
    assert not is_log_line("AWS calls for one accepted alert: 3 (target <= 4)")
    assert not is_log_line("{")  # the first line of an indented JSON answer (make indicators --json)
    assert not is_log_line("[1, 2]")
    assert not is_log_line("{not json}")
