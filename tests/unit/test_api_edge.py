"""The HTTP edge: roles from claims, the route table's authorisation, validation paths, problems."""

import json

import pytest

from vigia.api import problems
from vigia.api.auth import Caller, caller_from_event, parse_groups
from vigia.api.routes import BY_KEY, ROUTES, authorize
from vigia.api.validation import parse_json_body, validate
from vigia.errors import Forbidden, InvalidRequest, NotAuthenticated, TooManyAlerts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[operator police]", {"operator", "police"}),
        (["citizen"], {"citizen"}),
        ("[]", set()),
        (None, set()),
        ("[citizen superuser]", {"citizen"}),  # unknown groups grant nothing
    ],
)
def test_groups_claim_is_read_in_api_gateway_and_list_forms(raw, expected):
    assert parse_groups(raw) == frozenset(expected)


def test_caller_comes_from_the_jwt_claims_api_gateway_passes():
    event = {
        "requestContext": {
            "authorizer": {
                "jwt": {"claims": {"sub": "u-1", "email": "a@b.ar", "cognito:groups": "[operator]"}}
            }
        }
    }
    assert caller_from_event(event) == Caller("u-1", "a@b.ar", frozenset({"operator"}))
    assert caller_from_event({"requestContext": {}}) is None


def test_a_route_without_a_token_is_401_and_without_the_role_403():
    with pytest.raises(NotAuthenticated):
        authorize("POST /v1/alerts", None)
    with pytest.raises(Forbidden):
        authorize("POST /v1/alerts", Caller("u", "e", frozenset({"analyst"})))
    pending = Caller("u", "e", frozenset())
    with pytest.raises(Forbidden, match="pending"):
        authorize("POST /v1/alerts", pending)
    assert authorize("GET /v1/me", pending) == pending


def test_every_route_declares_who_may_call_it():
    assert all(route.roles for route in ROUTES)
    assert BY_KEY["GET /v1/health"].roles == {"public"}


def test_schema_violations_name_the_field_path():
    with pytest.raises(InvalidRequest) as caught:
        validate("requests/alert.json", {"type": "robbery", "location": {"lat": 200, "lon": -68.8}})
    assert [e.path for e in caught.value.errors] == ["/location/lat"]
    with pytest.raises(InvalidRequest) as caught:
        validate("requests/alert.json", {"type": "robbery"})
    assert caught.value.errors[0].path == "/location"


def test_malformed_json_is_a_400_not_a_crash():
    with pytest.raises(InvalidRequest) as caught:
        parse_json_body("{not json")
    assert caught.value.errors[0].path == "/"


def test_problem_details_carry_retry_after_for_rate_limits():
    status, headers, body = problems.from_error(TooManyAlerts("slow down", retry_after_s=42))
    assert status == 429
    assert headers["Retry-After"] == "42"
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["title"] == "Too many alerts"
