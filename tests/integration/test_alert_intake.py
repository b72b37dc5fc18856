"""Alert intake end to end inside one process: handlers on the emulator, resources from template.yaml."""

import json

import pytest

from tests.integration.conftest import home_block_id, near_centre


def alert_body(type_="robbery", lat=None, lon=None, **extra):
    lat_, lon_ = near_centre() if lat is None else (lat, lon)
    return {"type": type_, "location": {"lat": lat_, "lon": lon_, "accuracy_m": 10}, **extra}


@pytest.mark.cities
def test_approved_resident_alert_is_stored_before_the_202(api, citizen, stack):
    # Given an approved resident
    # When she sends a robbery alert
    answer = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims)
    # Then it is accepted and already in the Alerts table
    assert answer.status == 202, answer.body
    assert answer.json["status"] == "received"
    assert answer.json["type"] == "robbery"
    stored = stack.alert_item(answer.json["alert_id"])
    assert stored["status"] == "received"
    assert stored["sender_id"] == citizen.user_id
    assert stored["block_id"] == home_block_id()  # the city's block where she raised it


def test_owner_and_staff_see_the_alert_another_resident_gets_404(api, citizen, other_citizen, staff_claims):
    alert_id = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims).json["alert_id"]
    assert api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims).status == 200
    assert api("GET", f"/v1/alerts/{alert_id}", claims=staff_claims("operator")).status == 200
    hidden = api("GET", f"/v1/alerts/{alert_id}", claims=other_citizen.claims)
    assert hidden.status == 404
    assert hidden.headers["Content-Type"] == "application/problem+json"
    assert api("GET", "/v1/alerts/NOPE", claims=staff_claims("operator")).status == 404


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ("{not json", 400, "/"),
        ({"type": "robbery"}, 400, "/location"),
        ({"type": "robbery", "location": {"lat": "x", "lon": -68.8}}, 400, "/location/lat"),
        ({"type": "alien_landing", "location": {"lat": -32.93, "lon": -68.84}}, 400, "/type"),
        ({"type": "robbery", "location": {"lat": -34.6, "lon": -58.4}}, 422, "/location"),
    ],
)
def test_bad_alerts_get_a_problem_naming_the_field(api, citizen, body, status, path):
    answer = api("POST", "/v1/alerts", body, claims=citizen.claims)
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["status"] == status
    assert path in [e["path"] for e in answer.json.get("errors", [])]


def test_a_retry_with_the_same_key_returns_the_same_alert_and_stores_one(api, citizen, stack):
    first = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims, headers={"Idempotency-Key": "k-1"})
    again = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims, headers={"Idempotency-Key": "k-1"})
    assert first.status == again.status == 202
    assert first.json["alert_id"] == again.json["alert_id"]
    assert len(stack.alerts_of(citizen.user_id)) == 1


def test_the_same_key_with_another_body_is_422(api, citizen):
    api("POST", "/v1/alerts", alert_body(), claims=citizen.claims, headers={"Idempotency-Key": "k-2"})
    other = api(
        "POST", "/v1/alerts", alert_body("fire"), claims=citizen.claims, headers={"Idempotency-Key": "k-2"}
    )
    assert other.status == 422
    assert other.json["errors"][0]["path"] == "/Idempotency-Key"


@pytest.mark.cities
def test_the_fourth_alert_in_ten_minutes_is_429_with_retry_after(api, citizen, stack):
    # the city's limit: Godoy Cruz's 3 in 10 minutes, Peñalolén's 3 in 15
    limit = stack.pack.settings.alert_rate_limit
    for _ in range(limit.max_alerts):
        assert api("POST", "/v1/alerts", alert_body(), claims=citizen.claims).status == 202
    answer = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims)
    assert answer.status == 429
    assert 0 < int(answer.headers["Retry-After"]) <= limit.window_s


def test_a_pending_resident_cannot_send_alerts(api, registered):
    answer = api("POST", "/v1/alerts", alert_body(), claims=registered.claims)
    assert answer.status == 403
    assert "pending" in answer.json["detail"]


@pytest.mark.cities
def test_a_suspended_resident_is_told_why_and_whom_to_call(api, citizen, stack):
    stack.set_resident_status(citizen.user_id, "suspended")
    answer = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims)
    assert answer.status == 403
    assert answer.json["resident_status"] == "suspended"
    assert answer.json["helpline"] == stack.pack.settings.helpline  # the city's own


def test_missing_token_on_a_protected_route_is_401(api):
    answer = api("POST", "/v1/alerts", alert_body(), claims=None)
    assert answer.status == 401
    assert answer.headers["Content-Type"] == "application/problem+json"


@pytest.mark.cities
def test_alert_types_are_listed_with_labels_and_the_silent_flag(api, citizen, stack):
    items = api("GET", "/v1/alert-types", claims=citizen.claims).json["items"]
    codes = {i["code"]: i for i in items}
    assert {
        "robbery",
        "suspicious_activity",
        "medical_emergency",
        "fire",
        "panic",
        "domestic_violence",
    } <= set(codes)
    assert set(codes) == set(stack.pack.alert_types)  # the city's own (Peñalolén's wildfire too)
    assert codes["domestic_violence"]["silent"] is True
    assert codes["robbery"]["silent"] is False
    assert codes["robbery"]["labels"][stack.pack.locale]  # in the city's locale: es-AR, es-CL


def test_health_and_openapi_need_no_token(api):
    assert api("GET", "/v1/health").json == {"status": "ok"}
    doc = api("GET", "/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert "/v1/alerts" in doc["paths"]
    assert json.dumps(doc)  # serialisable


def test_unknown_route_is_a_problem_404(api, citizen):
    answer = api("GET", "/v1/nothing-here", claims=citizen.claims)
    assert answer.status == 404
    assert answer.json["title"] == "Not found"
