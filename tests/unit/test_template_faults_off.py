"""The chaos switch (VIGIA_FAULTS) cannot be on in a deployed stack: the template never sets it, the settings
module never reads it, and inside a Lambda runtime the fault injector ignores it even when it is set."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

from infra.local.engine.template import TEMPLATE_PATH, load_template
from vigia import settings
from vigia.adapters import faults

NAMES = (faults.ENV, faults.LOG_ENV)


def mentions(value: Any) -> list[str]:
    text = json.dumps(value, default=str)
    return [name for name in NAMES if name in text]


def test_no_function_globals_or_parameter_of_the_template_mentions_the_switch() -> None:
    template = load_template()
    functions = {
        lid: r["Properties"].get("Environment", {})
        for lid, r in template["Resources"].items()
        if r["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }
    assert functions, "the template's functions were found"
    assert "Variables" in template["Globals"]["Function"]["Environment"]

    assert {lid: mentions(env) for lid, env in functions.items() if mentions(env)} == {}
    assert mentions(template["Globals"]) == []
    assert mentions(template["Parameters"]) == []
    assert [name for name in NAMES if name in TEMPLATE_PATH.read_text(encoding="utf-8")] == []


def test_only_the_fault_injector_reads_the_switch_not_the_settings_module() -> None:
    source = inspect.getsource(settings)
    assert [name for name in NAMES if name in source] == []
    assert 'ENV = "VIGIA_FAULTS"' in inspect.getsource(faults)


def test_inside_a_lambda_runtime_the_switch_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv(faults.ENV, '{"rate": 1}')
    faults.reset()
    try:
        assert faults.active() is None
        assert faults.at("cad") is None
    finally:
        faults.reset()
