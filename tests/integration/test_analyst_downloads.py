"""An analyst downloads a day's files (indicators.csv, indicators.json, feed.json) through short-lived
presigned links: GET /v1/indicators/exports/{date} on the emulator, for every role and every bad date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support import FakeContext
from tests.support.alert_items import stored_alert

DAY = date(2026, 3, 10)
FILES = ("indicators.csv", "indicators.json", "feed.json")


def _run_nightly(day: date) -> None:
    from vigia.handlers.nightly_indicators import lambda_handler

    answer = lambda_handler(
        {"date": day.isoformat()}, FakeContext("NightlyIndicatorsFunction", 1024, remaining_ms=900_000)
    )
    assert answer, answer


@pytest.fixture
def exported_day(stack) -> dict[str, bytes]:
    """DAY computed by the nightly function: three robberies on one block; the bucket's three files."""
    first_quadrant = next(iter(stack.pack.quadrants))  # Godoy Cruz's Q-01
    block = next(b for b in stack.pack.blocks.values() if b.quadrant_id == first_quadrant)
    noon = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    with stack.table("AlertsTable").batch_writer() as batch:
        for n in range(3):
            created = noon + timedelta(minutes=n)
            batch.put_item(Item=stored_alert(block, created, stack.pack.zone_info, sender_id=f"resident-{n}"))
    _run_nightly(DAY)
    s3 = stack.client("s3")
    bucket = stack.resources["ExportsBucket"]
    prefix = f"indicators/{stack.pack.city_id}/{DAY.isoformat()}/"
    return {name: s3.get_object(Bucket=bucket, Key=prefix + name)["Body"].read() for name in FILES}


@pytest.mark.cities
def test_an_analyst_gets_three_short_lived_links_that_download_the_days_files(
    api, stack, staff_claims, exported_day
):
    # Given a day the nightly run exported
    for role in ("analyst", "admin"):
        # When an analyst (or an admin) asks for its files
        before = datetime.now(UTC)
        answer = api("GET", f"/v1/indicators/exports/{DAY.isoformat()}", claims=staff_claims(role))

        # Then each of the three files has a presigned GET link that expires within the setting (5 min)
        assert answer.status == 200, answer.body
        body = answer.json
        assert body["date"] == DAY.isoformat()
        assert [f["name"] for f in body["files"]] == list(FILES)
        expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        assert before + timedelta(seconds=290) <= expires <= datetime.now(UTC) + timedelta(seconds=301)
        for entry in body["files"]:
            query = parse_qs(urlsplit(entry["url"]).query)
            assert query["X-Amz-Expires"] == ["300"], entry["url"]
            assert entry["name"] in query["response-content-disposition"][0]
            # and the link, fetched over plain HTTP with no credentials, gives exactly the stored object
            fetched = requests.get(entry["url"], timeout=10)
            assert fetched.status_code == 200, fetched.text
            assert fetched.content == exported_day[entry["name"]]
        csv_header = exported_day["indicators.csv"].decode().splitlines()[0]
        assert csv_header.startswith("date,zone_level,zone,type,iccs")


def test_a_day_not_exported_is_a_404_problem(api, stack, staff_claims, exported_day):
    # Given only DAY was exported
    for other in (DAY - timedelta(days=1), DAY + timedelta(days=1), date(2031, 1, 1)):
        # When an analyst asks for another day
        answer = api("GET", f"/v1/indicators/exports/{other.isoformat()}", claims=staff_claims("analyst"))
        # Then it is a 404 problem, no link
        assert answer.status == 404, answer.body
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert "url" not in answer.body


@pytest.mark.parametrize(
    "bad", ["2026-3-10", "10-03-2026", "2026-13-01", "9999-12-31", "yesterday", "2026-02-30"]
)
def test_a_bad_date_is_a_400_naming_it(api, stack, staff_claims, bad):
    answer = api("GET", f"/v1/indicators/exports/{bad}", claims=staff_claims("analyst"))
    assert answer.status == 400, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json["errors"][0]["path"] in ("/date", "/path")


def test_no_other_role_gets_a_link(api, stack, staff_claims, citizen, exported_day):
    # Given a day that was exported; when every role but analyst and admin asks for it
    callers: dict[str, dict[str, Any]] = {
        role: staff_claims(role) for role in ("operator", "police", "response_team")
    }
    callers["resident"] = citizen.claims
    for who, claims in callers.items():
        answer = api("GET", f"/v1/indicators/exports/{DAY.isoformat()}", claims=claims)
        # Then each is refused, with no link in the answer
        assert answer.status == 403, (who, answer.body)
        assert "X-Amz" not in answer.body, who
    # and nobody signed in gets a 401
    assert api("GET", f"/v1/indicators/exports/{DAY.isoformat()}").status == 401
