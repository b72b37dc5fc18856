"""Cold import time of every handler module in template.yaml, as a ratio to `import boto3` in the same run,
with the heavy libraries each one loads (numpy and h3 only where the function computes with them)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from infra.local.engine.template import load_template

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
TARGET_RATIO = 1.5
HEAVY = ("numpy", "h3", "cryptography", "jsonschema", "pynamodb", "boto3")


def _import(statement: str) -> tuple[float, str]:
    """Seconds a fresh interpreter takes to run `statement`, and the heavy libraries it loaded."""
    code = (
        "import time, sys; sys.path[:0] = ['functions', '.']; t = time.perf_counter(); "
        f"{statement}; print(time.perf_counter() - t); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules) or '-')"
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
    seconds, loaded = out.stdout.strip().splitlines()[-2:]
    return float(seconds), loaded


def _import_seconds(statement: str) -> float:
    return _import(statement)[0]


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
    print(f"{'function':28} {'module':36} {'ms':>6} {'ratio':>6}  {'loads':24} target <= {TARGET_RATIO}")
    for function, module in handler_modules():
        runs = [_import(f"import {module}") for _ in range(RUNS)]
        seconds = statistics.median(seconds for seconds, _ in runs)
        ratio = seconds / baseline
        flag = "" if ratio <= TARGET_RATIO else "(over target)"
        print(f"{function:28} {module:36} {seconds * 1000:6.0f} {ratio:6.2f}  {runs[0][1]:24} {flag}")
