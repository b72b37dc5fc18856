"""Open311 GeoReport v2 conformance on the emulated stack, by a small client written from the GeoReport v2
text (wiki.open311.org/GeoReport_v2), not from Vigía's code: GET services, POST a service request
(form-encoded), GET requests with its date filters, status, service_code and the default 90-day window, and
GET one request. Public reads carry no reporter identity (docs/prevention.md "Reports and Open311")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.integration.conftest import near_centre

FORM = "application/x-www-form-urlencoded"
# The text's service fields and request fields (JSON format).
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip


def w3c(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class GeoReportClient:
    """What a civic-report app does with a GeoReport v2 endpoint (JSON format)."""

    api: Any
    token_claims: dict[str, str] | None = None
    base: str = "/open311/v2"

    def services(self) -> Any:
        return self.api("GET", f"{self.base}/services.json")

    def post_request(self, **fields: Any) -> Any:
        body = urlencode({k: str(v) for k, v in fields.items()})
        return self.api(
            "POST",
            f"{self.base}/requests.json",
            body,
            claims=self.token_claims,
            headers={"Content-Type": FORM},
        )

    def requests(self, **query: str) -> Any:
        return self.api("GET", f"{self.base}/requests.json", query=query or None)

    def request(self, service_request_id: str) -> Any:
        return self.api("GET", f"{self.base}/requests/{service_request_id}.json")


@pytest.mark.cities
def test_a_civic_app_lists_services_submits_and_tracks_a_request(api, stack, citizen):
    app = GeoReportClient(api, citizen.claims)
    # GET services: every service with the text's fields, realtime (a request gets its id at once)
    services = app.services()
    assert services.status == 200, services.body
    assert services.json, "a city pack with report types"
    for service in services.json:
        assert set(service) == SERVICE_FIELDS
        assert service["type"] == "realtime"
        assert service["metadata"] is False
    code = next(s["service_code"] for s in services.json if s["service_code"] == "broken_lighting")
    # POST a request, form-encoded, with the text's optional personal fields an app may send
    lat, lon = near_centre()
    posted = app.post_request(
        api_key="any-app-key",
        service_code=code,
        lat=lat,
        long=lon,
        description="Luminaria apagada frente al 123",
        first_name="Ana",
        last_name="Pérez",
        email="ana@example.ar",
        phone="+5492615550000",
    )
    assert posted.status == 201, posted.body
    (created,) = posted.json
    request_id = created["service_request_id"]
    # GET one request: a list of one, the text's fields, open, and nothing of who sent it
    one = app.request(request_id)
    assert one.status == 200, one.body
    (item,) = one.json
    assert set(item) == REQUEST_FIELDS
    assert (item["service_request_id"], item["service_code"], item["status"]) == (request_id, code, "open")
    for secret in ("Ana", "Pérez", "ana@example.ar", "5550000", citizen.user_id, "frente al 123"):
        assert secret not in one.body
    # one request alone in its place and month: no place is published (a small cell)
    assert item["lat"] is None
    assert item["long"] is None
    # the minute it was sent is not published either: requested_datetime is to the hour, w3c with its zone
    requested = datetime.fromisoformat(item["requested_datetime"].replace("Z", "+00:00"))
    assert requested.tzinfo is not None
    assert (requested.minute, requested.second) == (0, 0)
    # GET requests without dates: the last 90 days hold it
    assert request_id in [r["service_request_id"] for r in app.requests().json]
    # GET requests by id list
    assert [r["service_request_id"] for r in app.requests(service_request_id=request_id).json] == [request_id]


@pytest.mark.cities("godoy-cruz")
def test_request_listing_filters_by_dates_status_and_service_code(api, stack, citizen, staff_claims):
    app = GeoReportClient(api, citizen.claims)
    lat, lon = near_centre()
    ids = {}
    for code in ("broken_lighting", "trash"):
        answer = app.post_request(service_code=code, lat=lat, long=lon)
        assert answer.status == 201, answer.body
        ids[code] = answer.json[0]["service_request_id"]
    closed = api(
        "POST",
        f"/v1/reports/{ids['trash']}/status",
        {"status": "closed", "note": "Retirada"},
        claims=staff_claims("operator"),
    )
    assert closed.status == 200, closed.body
    now = datetime.now(UTC)
    window = {"start_date": w3c(now - timedelta(hours=1)), "end_date": w3c(now + timedelta(hours=1))}

    def listed(**query: str) -> list[str]:
        answer = app.requests(**window, **query)
        assert answer.status == 200, answer.body
        return [r["service_request_id"] for r in answer.json]

    assert set(listed()) == set(ids.values())
    assert listed(status="open") == [ids["broken_lighting"]]
    assert listed(status="closed") == [ids["trash"]]
    assert set(listed(status="open,closed")) == set(ids.values())
    assert listed(service_code="trash") == [ids["trash"]]
    # a window that ended before they were sent holds none of them
    before = {"start_date": w3c(now - timedelta(days=30)), "end_date": w3c(now - timedelta(days=29))}
    assert app.requests(**before).json == []
    # the text's limit on a query's span: more than 90 days is refused, naming the field
    too_long = app.requests(start_date=w3c(now - timedelta(days=120)), end_date=w3c(now))
    assert too_long.status == 422
    assert [e["path"] for e in too_long.json["errors"]] == ["end_date"]
    backwards = app.requests(start_date=w3c(now), end_date=w3c(now - timedelta(days=1)))
    assert backwards.status == 422
    assert app.requests(start_date="yesterday").status == 400
    assert app.request("01NOTAREQUEST0000000000000").status == 404


@pytest.mark.cities("godoy-cruz")
def test_a_bad_submission_is_a_problem_naming_the_form_field(api, stack, citizen):
    app = GeoReportClient(api, citizen.claims)
    lat, lon = near_centre()
    cases = [
        ({"lat": lat, "long": lon}, 400, "service_code"),
        ({"service_code": "ufo", "lat": lat, "long": lon}, 400, "service_code"),
        ({"service_code": "trash", "lat": lat}, 400, "long"),
        ({"service_code": "trash", "lat": "norte", "long": lon}, 400, "lat"),
        ({"service_code": "trash", "lat": 0, "long": 0}, 422, "lat"),
        (
            {"service_code": "trash", "lat": lat, "long": lon, "description": "hay un incendio"},
            422,
            "description",
        ),
    ]
    for fields, status, name in cases:
        answer = app.post_request(**fields)
        assert answer.status == status, (fields, answer.body)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert name in [e["path"] for e in answer.json["errors"]], (fields, answer.json)
    # a form past 64 KiB is refused whole, as every body
    oversized = app.post_request(service_code="trash", lat=lat, long=lon, description="x" * 70_000)
    assert oversized.status == 413
    assert oversized.headers["Content-Type"].startswith("application/problem+json")
    # without a resident's token there is no submission: the api_key alone opens nothing
    assert (
        GeoReportClient(api).post_request(api_key="k", service_code="trash", lat=lat, long=lon).status == 401
    )


@pytest.mark.cities("godoy-cruz")
def test_a_place_is_published_only_once_its_month_cell_holds_five_reports_whatever_the_query(
    api, stack, citizen, other_citizen
):
    lat, lon = near_centre()
    first, second = GeoReportClient(api, citizen.claims), GeoReportClient(api, other_citizen.claims)
    ids = [first.post_request(service_code="trash", lat=lat, long=lon).json[0]["service_request_id"]]
    ids += [
        second.post_request(service_code="dark_spot", lat=lat, long=lon).json[0]["service_request_id"]
        for _ in range(3)
    ]

    def places(answer: Any) -> set[tuple[Any, Any]]:
        assert answer.status == 200, answer.body
        return {(r["lat"], r["long"]) for r in answer.json}

    # Four reports in the cell: no query shows where, however narrow (one id, one code, one status)
    assert places(first.requests()) == {(None, None)}
    assert places(first.requests(service_request_id=ids[0])) == {(None, None)}
    assert places(first.requests(service_code="trash")) == {(None, None)}
    # The fifth: every query shows the same rounded place (never the exact one)
    ids.append(second.post_request(service_code="dark_spot", lat=lat, long=lon).json[0]["service_request_id"])
    rounded = (round(lat, 3), round(lon, 3))
    assert places(first.requests()) == {rounded}
    assert places(first.request(ids[0])) == {rounded}
    assert places(first.requests(service_code="trash")) == {rounded}
