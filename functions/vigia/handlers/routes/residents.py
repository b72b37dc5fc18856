"""The caller's own profile (registration and its review live in vigia.handlers.routes.registrations)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.handlers.routes.common import Request, json_response, route

router = APIGatewayHttpRouter()


@route(router, "GET /v1/me")
def me(request: Request) -> Response:
    who = request.who
    resident = runtime.residents().get(who.user_id)
    profile: dict[str, Any] = {"user_id": who.user_id, "email": who.email, "roles": sorted(who.roles)}
    if resident is not None:
        profile.update(resident.profile())
    else:
        profile.update({"status": "staff" if who.is_staff else "unregistered", "block_id": None})
    return json_response(200, profile)
