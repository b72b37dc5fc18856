"""Cold import time of every handler module in template.yaml, as a ratio to `import boto3` in the same run."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from infra.local.template import load_template

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
TARGET_RATIO = 1.5


def _import_seconds(statement: str) -> float:
    code = (
        "import time, sys; sys.path[:0] = ['functions', '.']; t = time.perf_counter(); "
        f"{statement}; print(time.perf_counter() - t)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "Vigia",
        "POWERTOOLS_SERVICE_NAME": "vigia",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def handler_modules() -> list[tuple[str, str]]:
    resources = load_template()["Resources"]
    found = []
    for name, resource in sorted(resources.items()):
        if resource["Type"] == "AWS::Serverless::Function":
            handler = resource["Properties"]["Handler"]
            found.append((name, handler.rsplit(".", 1)[0]))
    return found


def run() -> None:
    baseline = statistics.median(_import_seconds("import boto3") for _ in range(RUNS))
    print(f"import boto3: {baseline * 1000:.0f} ms (median of {RUNS})")
    print(f"{'function':34} {'module':40} {'ms':>6} {'ratio':>6}  target <= {TARGET_RATIO}")
    for function, module in handler_modules():
        seconds = statistics.median(_import_seconds(f"import {module}") for _ in range(RUNS))
        ratio = seconds / baseline
        flag = "" if ratio <= TARGET_RATIO else "  (over target)"
        print(f"{function:34} {module:40} {seconds * 1000:6.0f} {ratio:6.2f}{flag}")
