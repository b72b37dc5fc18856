"""Data access follows the tables: one module per DynamoDB table of the template, its models bound to that
table by the one binding, and no adapter reading settings before it is used."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.local.engine.template import translate

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def cfn() -> dict[str, Any]:
    return translate()


def _table_settings() -> dict[str, str]:
    """Each table of the template → the setting its functions read its name from (RESIDENTS_TABLE …)."""
    found: dict[str, str] = {}
    for resource in cfn()["Resources"].values():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            if isinstance(value, dict) and set(value) == {"Ref"}:
                found[value["Ref"]] = name.lower()
    tables = [k for k, r in cfn()["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    return {table: found[table] for table in tables}


def _table_modules() -> None:
    import vigia.adapters.dynamodb as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def test_every_table_of_the_template_has_its_module_and_every_model_is_bound_to_a_table_there():
    from vigia.adapters.dynamodb import binding

    # Given every table module
    _table_modules()
    settings_of = _table_settings()
    bound: dict[str, list[type]] = {}
    for model, setting in binding._SETTING.items():
        bound.setdefault(setting, []).append(model)
    # Then each table of the template has a module named after it, which declares the table's models
    # ten, the live events' ConnectionsTable and LiveEventsTable, roaming's FederationTable, and the
    # observatory's ObservatoryTable and DatasetsTable, the SAT's SatTable and the reports' ReportsTable
    assert len(settings_of) == 17
    for table, setting in settings_of.items():
        module = f"vigia.adapters.dynamodb.{table.removesuffix('Table').lower()}"
        assert importlib.util.find_spec(module) is not None, f"{table} has no module {module}"
        assert bound.get(setting), f"no model is bound to {table}"
        assert {m.__module__ for m in bound[setting]} == {module}, f"{table}'s models live outside {module}"
    # And no model is bound to a table the template does not have
    assert set(bound) <= set(settings_of.values())


def test_no_adapter_reads_settings_or_the_environment_when_imported():
    # Given settings that fail when read, When every adapter module is imported, Then none fails
    script = """
import importlib, pkgutil
import vigia.adapters, vigia.settings
def refuse():
    raise AssertionError("settings read at import time")
vigia.settings.get = refuse
for found in pkgutil.walk_packages(vigia.adapters.__path__, "vigia.adapters."):
    importlib.import_module(found.name)
print("imported", sum(1 for _ in pkgutil.walk_packages(vigia.adapters.__path__, "vigia.adapters.")))
"""
    answer = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-2000:]
    assert answer.stdout.startswith("imported")


def test_a_reset_binds_every_model_to_the_tables_of_the_new_settings(monkeypatch):
    from vigia import runtime
    from vigia.adapters.dynamodb import binding

    _table_modules()
    # Given a stack whose tables carry another prefix
    for name in ("RESIDENTS_TABLE", "ALERTS_TABLE", "UNITS_TABLE", "AUDIT_TABLE", "PATROL_TABLE"):
        monkeypatch.setenv(name, f"other-{name.lower()}")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    # When the one reset runs and a model is bound again
    runtime.reset()
    try:
        names = {setting: binding.table_name(model) for model, setting in binding._SETTING.items()}
        hosts = {model.Meta.host for model in binding._SETTING}
    finally:
        monkeypatch.undo()
        runtime.reset()
    # Then each model names its table in the new stack, on the new endpoint
    assert names["alerts_table"] == "other-alerts_table"
    assert names["units_table"] == "other-units_table"
    assert names["patrol_table"] == "other-patrol_table"
    assert hosts == {"http://127.0.0.1:1"}
