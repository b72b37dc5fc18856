"""Registration, approval and the caller's own profile."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.handlers.routes.common import body, caller, json_response, signed_in
from vigia.observability import logger

router = APIGatewayHttpRouter()


@router.post("/v1/registrations")
def register() -> Response:
    from vigia.residents import register as register_resident

    caller(router, "POST /v1/registrations")
    request = body(router, "requests/registration.json")
    resident = register_resident(
        request,
        pack=runtime.city_pack(),
        residents=runtime.residents(),
        identity=runtime.identity(),
        now=clock.now(),
    )
    logger.info("registration received", extra={"user_id": resident.user_id})
    return json_response(201, {"user_id": resident.user_id, "status": resident.status})


@router.get("/v1/me")
def me() -> Response:
    who = signed_in(router, "GET /v1/me")
    resident = runtime.residents().get(who.user_id)
    profile: dict[str, Any] = {"user_id": who.user_id, "email": who.email, "roles": sorted(who.roles)}
    if resident is not None:
        profile.update(resident.profile())
    else:
        profile.update({"status": "staff" if who.is_staff else "unregistered", "block_id": None})
    return json_response(200, profile)
