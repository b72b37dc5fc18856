"""A cold start imports only what the function's first request needs: numpy and h3 load with the functions
that compute with them (the nightly indicators, the weekly patrol plan), never with the API or the senders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.engine.template import load_template

ROOT = Path(__file__).resolve().parents[2]
COMPUTING = {"NightlyIndicatorsFunction", "PatrolScheduleFunction"}


def _handlers() -> list[tuple[str, str]]:
    resources = load_template()["Resources"]
    return sorted(
        (name, resource["Properties"]["Handler"].rsplit(".", 1)[0])
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    )


@pytest.mark.parametrize(("function", "module"), [h for h in _handlers() if h[0] not in COMPUTING])
def test_a_handler_that_does_not_compute_imports_neither_numpy_nor_h3(function: str, module: str) -> None:
    # Given a fresh interpreter, as a Lambda cold start
    code = f"import sys, {module}; print(' '.join(m for m in ('numpy', 'h3') if m in sys.modules))"
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_SERVICE_NAME": "vigia"}
    # When the function's handler module is imported
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}"},
        capture_output=True,
        text=True,
        check=True,
    )
    # Then numpy (about 140 ms of an import) and h3 are not among what it loaded
    assert loaded.stdout.split() == [], function


def test_the_handler_list_covers_the_template() -> None:
    names = {name for name, _ in _handlers()}
    assert names >= COMPUTING
    assert names >= {"ApiFunction", "SilentApiFunction", "DispatchFunction"}
