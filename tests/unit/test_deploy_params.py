"""Every city pack deploys: the template takes each pack's parameters, offline, as `make deploy` gives them.

For each pack under infra/cities/: its parameters (CityId = the folder, CityTimeZone = the pack's
`time_zone`, SmsChannel = its `sms_channel`) hold the template's rules (no parameter missing, allowed
values and patterns), the SAM translation names nothing it does not declare, every function's
environment and every cron schedule get that city, and cfn-lint (what `sam validate --lint` runs, the
same pinned version) finds nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs

from infra.local.engine.intrinsics import Pseudo, Resolver, TemplateError, references, resolve_parameters
from infra.local.engine.template import TEMPLATE_PATH, load_template, translate
from infra.tools.city_parameters import city_parameters

ROOT = Path(__file__).resolve().parents[2]
CITIES_DIR = ROOT / "infra" / "cities"


def committed_packs() -> list[str]:
    """The packs under infra/cities/ that git knows (a pack another test is writing there is not one yet)."""
    listed = subprocess.run(
        ["git", "ls-files", "--", "infra/cities/*/city.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = [Path(line).parent.name for line in listed.stdout.split()] if listed.returncode == 0 else []
    return sorted(found) or sorted(p.parent.name for p in CITIES_DIR.glob("*/city.json"))


CITIES = committed_packs()
REGION = "us-east-1"


def deploy_parameters(city: str) -> dict[str, str]:
    """What `make deploy CITY=<city>` passes (infra/tools/city_parameters.py), checked against the pack."""
    parameters = city_parameters(city)
    pack = json.loads((CITIES_DIR / city / "city.json").read_text(encoding="utf-8"))
    assert parameters == {
        "CityId": pack["city_id"],
        "CityTimeZone": pack["time_zone"],
        **({"SmsChannel": pack["sms_channel"]} if "sms_channel" in pack else {}),
    }
    return parameters


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_both_partner_cities_are_checked():
    assert {"godoy-cruz", "penalolen"} <= set(CITIES)


def deploy_problems(template: dict[str, Any], parameters: dict[str, str]) -> tuple[list[str], dict[str, int]]:
    """What would go wrong deploying the template with these parameters, and how much was checked."""
    try:
        resolved = resolve_parameters(template["Parameters"], parameters)  # missing, allowed values, patterns
    except TemplateError as refused:
        return [str(refused)], {}
    city, zone = resolved["CityId"], resolved["CityTimeZone"]
    problems = []
    if zone not in available_timezones():
        problems.append(f"CityTimeZone={zone} is not an IANA time zone")
    translated = translate(template, {**parameters, "AWS::Region": REGION})
    resources = translated["Resources"]
    resolver = Resolver(translated, resolved, Pseudo(stack_name=f"vigia-{city}", region=REGION))

    known = set(resources) | set(resolved) | set(Pseudo("x").values())
    problems += [
        f"{name} is referred to and declared nowhere" for name in sorted(references(translated) - known)
    ]

    functions = {k: r for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    for logical_id, function in functions.items():
        env = function["Properties"]["Environment"]["Variables"]
        got = (resolver.resolve(env.get("CITY_ID")), resolver.resolve(env.get("CITY_TIME_ZONE")))
        if got != (city, zone):
            problems.append(f"{logical_id} runs with CITY_ID, CITY_TIME_ZONE = {got}")

    schedules = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Scheduler::Schedule"}
    crons = {k: p for k, p in schedules.items() if p["ScheduleExpression"].startswith("cron(")}
    for logical_id, schedule in crons.items():
        if resolver.resolve(schedule.get("ScheduleExpressionTimezone")) != zone:
            problems.append(f"{logical_id} does not run in {zone}")
    names = [(k, resolver.resolve(p["Name"]), 64) for k, p in schedules.items()]  # Scheduler's limit
    names += [
        (k, resolver.resolve(r["Properties"]["QueueName"]), 80)  # SQS's limit
        for k, r in resources.items()
        if r["Type"] == "AWS::SQS::Queue" and "QueueName" in r["Properties"]
    ]
    for logical_id, name, most in names:
        if not name.startswith(f"vigia-{city}-"):
            problems.append(f"{logical_id} is named {name}, not after the city")
        if len(name) > most:
            problems.append(f"{logical_id}'s name {name} is longer than {most} characters")
    return problems, {"functions": len(functions), "crons": len(crons), "names": len(names)}


@pytest.mark.parametrize("city", CITIES)
def test_a_pack_deploys_with_its_own_parameters(template: dict[str, Any], city: str):
    parameters = deploy_parameters(city)

    problems, checked = deploy_problems(template, parameters)

    assert problems == []
    assert ZoneInfo(parameters["CityTimeZone"]).key == parameters["CityTimeZone"]
    # every function, the cron schedules (weekly patrols, nightly indicators), every named queue and schedule
    assert checked["functions"] >= 10
    assert checked["crons"] >= 2
    assert checked["names"] >= 10


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ({"CityId": "Peñalolén", "CityTimeZone": "America/Santiago"}, "CityId='Peñalolén' does not match"),
        ({"CityId": "penalolen", "CityTimeZone": "America/Santiago_de_Chile"}, "is not an IANA time zone"),
        ({"CityId": "penalolen", "CityZone": "America/Santiago"}, "unknown parameter(s) CityZone"),
        ({"CityId": "penalolen", "StaffMfa": "off"}, "StaffMfa='off' is not one of"),
        (
            {"CityId": "municipalidad-de-penalolen-region-metropolitana-de-santiago"},
            "longer than 64 characters",
        ),
    ],
    ids=["accented id", "no such zone", "misspelt parameter", "lower-case off", "id too long"],
)
def test_parameters_a_city_could_get_wrong_are_refused_by_name(
    template: dict[str, Any], parameters: dict[str, str], words: str
):
    problems, _ = deploy_problems(template, parameters)
    assert any(words in p for p in problems), problems


def lint_matches(parameters: dict[str, str]) -> list[str]:
    """cfn-lint's findings on template.yaml, as `sam validate --lint` asks for them (the SAM CLI's validate
    calls `cfnlint.api.lint(template, config=ManualArgs(regions=[region]))`), with the city's values given
    for its parameters. cfn-lint resolves with them but does not check them: the tests above do."""
    config = ManualArgs(regions=[REGION], parameters=[parameters])  # type: ignore[list-item]
    matches = lint(TEMPLATE_PATH.read_text(encoding="utf-8"), config=config)
    return [f"{m.rule.id} {m.linenumber}: {m.message}" for m in matches]


@pytest.mark.parametrize("city", CITIES)
def test_cfn_lint_finds_nothing_with_a_packs_parameters(city: str):
    assert lint_matches(deploy_parameters(city)) == []


def make_dry_run(*target: str) -> str:
    """The commands `make` would run for a target, everything taken as out of date (-B), none run (-n)."""
    done = subprocess.run(
        ["make", "-n", "-B", *target], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_make_deploy_and_make_test_install_the_pinned_sam_cli_apart_from_the_test_environment():
    deploy = make_dry_run("deploy", "CITY=penalolen")
    assert "-m venv .venv-deploy" in deploy
    assert "-r requirements-deploy.txt" in deploy
    assert ".venv-deploy/bin/sam deploy --template-file template.yaml --stack-name vigia-penalolen" in deploy
    assert "-m infra.tools.city_parameters penalolen" in deploy  # the parameters the tests above check
    assert "aws-sam-cli==" in (ROOT / "requirements-deploy.txt").read_text(encoding="utf-8")

    # make test too, so CI runs `sam validate --lint` below; in its own venv (its boto3 and click pins
    # differ from the test environment's), and never for the quick targets
    assert "-r requirements-deploy.txt" in make_dry_run("test")
    assert "-r requirements-deploy.txt" not in make_dry_run("venv")
    for target in ("test-unit", "lint"):
        assert "deploy" not in make_dry_run(target).replace("console-deploy", ""), target


SAM_CLI = ROOT / ".venv-deploy" / "bin" / "sam"


@pytest.mark.skipif(
    not SAM_CLI.exists(),
    reason="no SAM CLI in .venv-deploy (make test, make sam and make deploy install it; pytest alone does "
    "not); "
    "test_cfn_lint_finds_nothing_with_a_packs_parameters makes the same cfn-lint call",
)
def test_sam_validate_lint_passes_where_the_sam_cli_is_installed():
    done = subprocess.run(
        [str(SAM_CLI), "validate", "--lint", "--template-file", "template.yaml", "--region", REGION],
        cwd=ROOT,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid SAM Template" in done.stdout + done.stderr
