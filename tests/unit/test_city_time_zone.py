"""A stack runs on its own city's clock: `CityTimeZone` (the schedules' zone) is the pack's `time_zone` on
`make run CITY=…` and `make deploy CITY=…`, and the functions refuse to run when the two differ."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.local.engine.intrinsics import Pseudo, Resolver, TemplateError, resolve_parameters
from infra.local.engine.template import load_template, translate
from infra.local.stack import LocalStack, StackConfig
from vigia import runtime, settings

ROOT = Path(__file__).resolve().parents[2]
CITIES = ROOT / "infra" / "cities"
ZONES = {"godoy-cruz": "America/Argentina/Mendoza", "penalolen": "America/Santiago"}


def _pack_zone(city: str) -> str:
    return str(json.loads((CITIES / city / "city.json").read_text())["time_zone"])


def test_the_two_packs_live_in_different_zones() -> None:
    assert {city: _pack_zone(city) for city in ZONES} == ZONES


# --- the functions ---------------------------------------------------------------------------------


@pytest.fixture
def city_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(city: str, time_zone: str | None) -> None:
        monkeypatch.setenv("CITY_ID", city)
        monkeypatch.setenv("CITY_PACK_DIR", str(CITIES / city))
        if time_zone is None:
            monkeypatch.delenv("CITY_TIME_ZONE", raising=False)
        else:
            monkeypatch.setenv("CITY_TIME_ZONE", time_zone)
        settings.reset()

    yield use
    monkeypatch.undo()
    settings.reset()


@pytest.mark.parametrize(("city", "other"), [("penalolen", "godoy-cruz"), ("godoy-cruz", "penalolen")])
def test_a_function_refuses_a_city_time_zone_that_is_not_its_packs(
    city_env: Any, city: str, other: str
) -> None:
    city_env(city, ZONES[other])  # CityId set, CityTimeZone left at another city's (the template's default)

    with pytest.raises(runtime.CityMismatch) as refused:
        runtime.city_pack()

    message = str(refused.value)
    assert ZONES[other] in message
    assert ZONES[city] in message
    assert f"CityTimeZone={ZONES[city]}" in message  # what to deploy with


@pytest.mark.parametrize("city", sorted(ZONES))
@pytest.mark.parametrize("given", ["own", "unset"])
def test_a_function_runs_on_its_packs_zone(city_env: Any, city: str, given: str) -> None:
    city_env(city, ZONES[city] if given == "own" else None)

    pack = runtime.city_pack()

    assert (pack.city_id, pack.time_zone) == (city, ZONES[city])


# --- the local stack (`make run CITY=…`) ---------------------------------------------------------------


def _local_overrides(config: StackConfig) -> dict[str, str]:
    """The parameter values the local stack resolves template.yaml with (as TemplateStack.start does)."""
    return {**LocalStack(config).parameter_defaults(load_template()), **config.parameter_overrides}


def _schedule_zones(overrides: dict[str, str]) -> dict[str, str]:
    """Each EventBridge schedule's ScheduleExpressionTimezone, as the local stack resolves template.yaml."""
    cfn = translate(None, {"AWS::Region": "us-east-1", **overrides})
    parameters = resolve_parameters(cfn.get("Parameters") or {}, overrides)
    resolver = Resolver(cfn, parameters, Pseudo(stack_name="vigia-test"))
    return {
        name: str(resolver.resolve(resource["Properties"]["ScheduleExpressionTimezone"]))
        for name, resource in cfn["Resources"].items()
        if resource["Type"] == "AWS::Scheduler::Schedule"
        and "ScheduleExpressionTimezone" in resource.get("Properties", {})
    }


@pytest.mark.parametrize("city", sorted(ZONES))
def test_make_run_city_sets_the_city_and_its_time_zone(city: str) -> None:
    overrides = _local_overrides(StackConfig.from_env({"VIGIA_CITY": city}))

    assert overrides["CityId"] == city
    assert overrides["CityTimeZone"] == ZONES[city]
    zones = _schedule_zones(overrides)
    assert zones, "no schedule with a time zone in template.yaml"
    assert set(zones.values()) == {ZONES[city]}, zones  # weekly patrols, nightly indicators


def test_a_city_id_override_alone_brings_its_time_zone() -> None:
    config = StackConfig(parameter_overrides={"CityId": "penalolen", "LogLevel": "DEBUG"})

    overrides = _local_overrides(config)

    assert (overrides["CityId"], overrides["CityTimeZone"], overrides["LogLevel"]) == (
        "penalolen",
        "America/Santiago",
        "DEBUG",
    )


def test_a_template_without_a_city_time_zone_gets_none() -> None:
    config = StackConfig(parameter_overrides={"CityId": "penalolen"})  # a test's template (VIGIA_TEMPLATE)

    defaults = LocalStack(config).parameter_defaults({"Parameters": {"CityId": {"Type": "String"}}})

    assert "CityTimeZone" not in defaults  # CloudFormation would refuse a parameter the template lacks


def test_without_a_city_the_local_stack_is_godoy_cruz_on_mendoza_time() -> None:
    overrides = _local_overrides(StackConfig.from_env({}))

    assert "CityId" not in overrides
    assert set(_schedule_zones(overrides).values()) == {"America/Argentina/Mendoza"}


def test_a_time_zone_that_contradicts_the_pack_stops_the_local_stack() -> None:
    env = {"VIGIA_CITY": "penalolen", "VIGIA_PARAMETER_OVERRIDES": "CityTimeZone=America/Argentina/Mendoza"}

    with pytest.raises(
        TemplateError, match="America/Argentina/Mendoza is not the time zone of the penalolen"
    ):
        _local_overrides(StackConfig.from_env(env))


def test_two_different_cities_at_once_stop_the_local_stack() -> None:
    env = {"VIGIA_CITY": "penalolen", "VIGIA_PARAMETER_OVERRIDES": "CityId=godoy-cruz"}

    with pytest.raises(TemplateError, match="VIGIA_CITY=penalolen but VIGIA_PARAMETER_OVERRIDES says CityId"):
        StackConfig.from_env(env)


def test_a_city_without_a_pack_is_named_with_the_packs_there_are() -> None:
    with pytest.raises(TemplateError, match=r"no city pack for 'atlantis'.*godoy-cruz, penalolen"):
        _local_overrides(StackConfig.from_env({"VIGIA_CITY": "atlantis"}))


# --- the Makefile ---------------------------------------------------------------------------------------


def _make_dry_run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"CITY", "MAKEFLAGS", "MAKELEVEL"}}
    done = subprocess.run(
        ["make", "-n", "-o", "venv", "-o", ".venv/.installed", "-o", "console", "-o", "package", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_make_run_passes_the_city_on() -> None:
    run_line = next(
        line for line in _make_dry_run("run", "CITY=penalolen").splitlines() if "infra.local.run" in line
    )
    assert "VIGIA_CITY=penalolen" in run_line

    default_line = next(line for line in _make_dry_run("run").splitlines() if "infra.local.run" in line)
    assert (
        "VIGIA_CITY" not in default_line
    )  # Godoy Cruz, the template's default, or VIGIA_PARAMETER_OVERRIDES'


def test_make_deploy_passes_the_packs_time_zone() -> None:
    recipe = _make_dry_run("deploy", "CITY=penalolen")
    deploy = recipe[: recipe.index("console-deploy")]
    assert "infra.tools.city_parameters penalolen" in deploy
    assert "--parameter-overrides $CITY_PARAMETERS" in deploy

    printed = subprocess.run(
        [sys.executable, "-m", "infra.tools.city_parameters", "penalolen"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert printed.split()[:2] == ["CityId=penalolen", "CityTimeZone=America/Santiago"]


def test_make_deploy_refuses_a_city_without_a_pack() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "infra.tools.city_parameters", "atlantis"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "no city pack for 'atlantis'" in done.stderr
    assert done.stdout == ""
