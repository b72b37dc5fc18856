"""How a city's SMS leave is the city's decision, written in its pack (`sms_channel`): `make deploy CITY=…`
and `make run CITY=…` give it to the template as `SmsChannel`, and a parameter given by hand still wins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.engine.template import load_template
from infra.local.stack import LocalStack, StackConfig
from infra.tools.city_parameters import CityParameterError, city_parameters

ROOT = Path(__file__).resolve().parents[2]
CITIES = ROOT / "infra" / "cities"


def _pack(city: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((CITIES / city / "city.json").read_text(encoding="utf-8"))
    return loaded


def _local(config: StackConfig) -> dict[str, str]:
    """The parameter values the local stack resolves template.yaml with (as TemplateStack.start does)."""
    return {**LocalStack(config).parameter_defaults(load_template()), **config.parameter_overrides}


def test_both_packs_choose_end_user_messaging_argentina_for_its_short_codes() -> None:
    # Argentina takes short codes only, and only End User Messaging names the city's; Chile could use
    # either, and AWS recommends End User Messaging for new senders (docs/deploy.md section 8).
    assert {city: _pack(city).get("sms_channel") for city in ("godoy-cruz", "penalolen")} == {
        "godoy-cruz": "end_user_messaging",
        "penalolen": "end_user_messaging",
    }


@pytest.mark.parametrize("city", ["godoy-cruz", "penalolen"])
def test_make_deploy_gives_the_packs_sms_channel(city: str) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "infra.tools.city_parameters", city],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

    assert f"SmsChannel={_pack(city)['sms_channel']}" in printed.split()


def test_a_pack_that_does_not_say_keeps_the_templates_default(tmp_path: Path) -> None:
    pack = _pack("penalolen")
    del pack["sms_channel"]
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "city.json").write_text(json.dumps(pack), encoding="utf-8")

    assert city_parameters("quiet", tmp_path) == {"CityId": "quiet", "CityTimeZone": "America/Santiago"}


def test_a_channel_the_template_does_not_know_is_refused_naming_the_pack(tmp_path: Path) -> None:
    pack = _pack("penalolen")
    pack["sms_channel"] = "pigeon"
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "city.json").write_text(json.dumps(pack), encoding="utf-8")

    with pytest.raises(CityParameterError, match=r"sms_channel 'pigeon'.*sns, end_user_messaging"):
        city_parameters("odd", tmp_path)


@pytest.mark.parametrize("city", ["godoy-cruz", "penalolen"])
def test_make_run_city_rehearses_the_packs_channel(city: str) -> None:
    assert _local(StackConfig.from_env({"VIGIA_CITY": city}))["SmsChannel"] == _pack(city)["sms_channel"]


def test_make_run_without_a_city_uses_the_default_citys_channel() -> None:
    overrides = _local(StackConfig.from_env({}))

    assert "CityId" not in overrides  # the template's default city, Godoy Cruz
    assert overrides["SmsChannel"] == _pack("godoy-cruz")["sms_channel"]


def test_a_channel_given_by_hand_wins_over_the_pack() -> None:
    env = {"VIGIA_CITY": "penalolen", "VIGIA_PARAMETER_OVERRIDES": "SmsChannel=sns"}

    assert _local(StackConfig.from_env(env))["SmsChannel"] == "sns"


def test_a_template_without_an_sms_channel_gets_none() -> None:
    config = StackConfig(parameter_overrides={"CityId": "penalolen"})

    defaults = LocalStack(config).parameter_defaults({"Parameters": {"CityId": {"Type": "String"}}})

    assert "SmsChannel" not in defaults  # CloudFormation would refuse a parameter the template lacks
