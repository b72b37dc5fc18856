"""Registration in the template: anonymous routes throttled tightest per route, e-mails case-insensitive."""

import re

from infra.local.engine.http_api.routes import Route, match_route
from infra.local.engine.template import translate
from vigia.api.routes import PUBLIC, ROUTES

REGISTRATION_ROUTES = ("POST /v1/registrations", "POST /v1/registrations/{registration_id}/confirm")


def _one(cfn, type_):
    (resource,) = [r for r in cfn["Resources"].values() if r["Type"] == type_]
    return resource["Properties"]


def _routes(cfn):
    """Route key → its security, from the HTTP API's OpenAPI body (how SAM writes an HttpApi's routes)."""
    paths = cfn["Resources"]["HttpApi"]["Properties"]["Body"]["paths"]
    return {
        f"{method.upper()} {path}": op.get("security")
        for path, ops in paths.items()
        for method, op in ops.items()
    }


def _http_stage(cfn):
    """The HTTP API's stage (the live WebSocket API has its own: LiveSocketStage, throttled by default)."""
    (stage,) = [
        r["Properties"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage" and r["Properties"].get("ApiId") == {"Ref": "HttpApi"}
    ]
    return stage


def test_the_stage_throttles_every_route_and_the_registration_routes_tightest():
    cfn = translate()
    stage = _http_stage(cfn)
    socket = cfn["Resources"]["LiveSocketStage"]["Properties"]["DefaultRouteSettings"]
    assert socket["ThrottlingRateLimit"] > 0
    assert socket["ThrottlingBurstLimit"] > 0
    default = stage["DefaultRouteSettings"]
    per_route = stage["RouteSettings"]
    assert default["ThrottlingRateLimit"] > 0
    assert default["ThrottlingBurstLimit"] > 0
    for key in REGISTRATION_ROUTES:
        assert per_route[key]["ThrottlingRateLimit"] < default["ThrottlingRateLimit"], key
        assert per_route[key]["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"], key
    assert set(per_route) <= set(_routes(cfn)), "a route setting for a route the API does not have"


def test_the_public_routes_of_the_route_table_have_no_authorizer_in_the_template():
    """Each public route of the table is served, as API Gateway picks routes (the most specific; a greedy
    {proxy+} such as GET /open311/v2/{proxy+} last), by a template route with no authorizer."""
    cfn = translate()
    template_routes = [
        Route(key.split(" ", 1)[0], key.split(" ", 1)[1], "", None if security == [{"NONE": []}] else "jwt")
        for key, security in _routes(cfn).items()
    ]
    for route in (r for r in ROUTES if PUBLIC in r.roles):
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        picked = match_route(template_routes, route.method, path)
        assert picked is not None, route.key
        assert picked[0].authorizer is None, (
            f"{route.key} is served by {picked[0].key}, which has an authorizer"
        )


def test_sign_in_names_are_case_insensitive_and_fixed_at_creation():
    pool = _one(translate(), "AWS::Cognito::UserPool")
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert "UsernameAttributes" not in pool
    assert "AliasAttributes" not in pool
