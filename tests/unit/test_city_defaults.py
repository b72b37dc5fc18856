"""The tools follow the city being run, not Godoy Cruz: `make indicators`' "yesterday" is the city's and
`make redrive` never reaches another city's queues by default."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from infra.tools import indicators, redrive


def test_make_indicators_counts_yesterday_in_the_stacks_city() -> None:
    outputs = {"City": "penalolen", "Parameters": {"CityId": "penalolen"}}  # no CityTimeZone recorded

    zone = indicators.stack_time_zone(outputs)
    event = indicators.event_for(argparse.Namespace(date=None, first=None, last=None), zone)

    assert zone == "America/Santiago"
    today_in_santiago = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    assert event["date"] == (today_in_santiago - timedelta(days=1)).isoformat()
    assert indicators.stack_time_zone({"Parameters": {"CityId": "godoy-cruz"}}) == "America/Argentina/Mendoza"


def test_redrive_finds_the_city_of_a_local_stack_whose_seed_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, "restored-after-the-test")
    outputs = {
        "City": None,  # the seed failed: no demo city in the banner, the stack's queues are there
        "Parameters": {"CityId": "penalolen", "CityTimeZone": "America/Santiago"},
        "AwsEndpointUrl": "http://127.0.0.1:4566",
        "Region": "us-east-1",
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))

    assert redrive._point_at_local_stack(tmp_path) == "penalolen"


def test_redrive_of_a_deployed_stack_must_name_its_city(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # were it to reach for queues, it would find none here (nothing listens on port 9)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("CITY_ID", raising=False)

    with pytest.raises(SystemExit) as refused:
        redrive.main(["all", "--cloud"])

    assert refused.value.code == 2
    assert "--cloud needs --city" in capsys.readouterr().err
