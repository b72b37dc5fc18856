"""Registration in the template: anonymous routes throttled tightest per route, e-mails case-insensitive."""

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
    cfn = translate()
    open_routes = {key for key, security in _routes(cfn).items() if security == [{"NONE": []}]}
    assert {route.key for route in ROUTES if PUBLIC in route.roles} <= open_routes


def test_sign_in_names_are_case_insensitive_and_fixed_at_creation():
    pool = _one(translate(), "AWS::Cognito::UserPool")
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert "UsernameAttributes" not in pool
    assert "AliasAttributes" not in pool
