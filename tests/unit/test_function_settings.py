"""Each function declares the settings it reads; template.yaml gives them; a missing one fails at start."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.engine.template import load_template
from vigia import settings

ROOT = Path(__file__).resolve().parents[2]


def _functions() -> dict[str, tuple[str, set[str]]]:
    """Each function's handler module and the variables its environment has (Globals and its own)."""
    template = load_template()
    globals_ = set(template["Globals"]["Function"]["Environment"]["Variables"])
    found = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        own = set((props.get("Environment") or {}).get("Variables") or {})
        found[name] = (props["Handler"].rsplit(".", 1)[0], globals_ | own)
    return found


FUNCTIONS = _functions()


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_is_given_each_setting_its_handler_declares(function):
    module_name, environment = FUNCTIONS[function]
    module = importlib.import_module(module_name)
    declared = getattr(module, "REQUIRED_SETTINGS", None)
    assert declared is not None, f"{module_name} declares no REQUIRED_SETTINGS"
    missing = sorted(set(declared) - environment)
    assert not missing, f"template.yaml gives {function} no {', '.join(missing)}"


def test_a_missing_setting_is_named_with_every_other_missing_one():
    env = {"AWS_LAMBDA_FUNCTION_NAME": "vigia-x-Silent", "ALERTS_TABLE": "t", "SEAL_KEY_ID": ""}
    with pytest.raises(settings.MissingSettings) as raised:
        settings.require(("ALERTS_TABLE", "SEAL_KEY_ID", "AUDIT_TABLE"), env)
    message = str(raised.value)
    assert "vigia-x-Silent" in message
    assert "SEAL_KEY_ID" in message  # empty counts as missing
    assert "AUDIT_TABLE" in message
    assert "ALERTS_TABLE" not in message


def _cold_start(module: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TABLE", "_URL", "_ARN", "_ID"))}
    env |= {"PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}", **environment}
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"], env=env, capture_output=True, text=True, timeout=120
    )


def test_a_function_started_without_a_setting_fails_at_start_naming_it():
    module, _ = FUNCTIONS["SilentRouterFunction"]
    given = {name: "x" for name in importlib.import_module(module).REQUIRED_SETTINGS}
    given["AWS_LAMBDA_FUNCTION_NAME"] = "vigia-godoy-cruz-SilentRouter"

    # Given every declared variable, the handler module loads (its cold start succeeds)
    started = _cold_start(module, given)
    assert started.returncode == 0, started.stderr

    # Without SEAL_KEY_ID it fails before any request, and says which variable is missing
    del given["SEAL_KEY_ID"]
    failed = _cold_start(module, given)
    assert failed.returncode != 0
    assert "MissingSettings" in failed.stderr
    assert "SEAL_KEY_ID" in failed.stderr
