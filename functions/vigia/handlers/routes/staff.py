"""Staff administration (admins only): list, create, disable, enable and regroup staff accounts; every
change is written to the audit trail before it is made (vigia.identity.staff)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import runtime
from vigia.handlers.routes.common import Request, json_response, route
from vigia.identity import staff
from vigia.observability import logger

router = APIGatewayHttpRouter()
NO_STORE = {"Cache-Control": "no-store"}


@route(router, "GET /v1/admin/staff")
def list_staff(request: Request) -> Response:
    accounts = runtime.staff_accounts().staff()
    return json_response(200, {"items": [a.as_dict() for a in accounts]}, NO_STORE)


@route(router, "POST /v1/admin/staff")
def create_staff(request: Request) -> Response:
    body = request.body
    account, password = staff.create(
        body["email"],
        body.get("full_name"),
        body["groups"],
        by=request.who,
        directory=runtime.staff_accounts(),
        audit=runtime.audit_record(),
    )
    logger.info("staff account created", extra={"user_id": account.user_id, "by": request.who.user_id})
    return json_response(201, {**account.as_dict(), "temporary_password": password}, NO_STORE)


def _set_enabled(request: Request, enabled: bool) -> Response:
    account = staff.set_enabled(
        request.path["user_id"],
        enabled,
        by=request.who,
        directory=runtime.staff_accounts(),
        audit=runtime.audit_record(),
    )
    return json_response(200, account.as_dict(), NO_STORE)


@route(router, "POST /v1/admin/staff/{user_id}/disable")
def disable_staff(request: Request) -> Response:
    return _set_enabled(request, False)


@route(router, "POST /v1/admin/staff/{user_id}/enable")
def enable_staff(request: Request) -> Response:
    return _set_enabled(request, True)


@route(router, "PUT /v1/admin/staff/{user_id}/groups")
def change_staff_groups(request: Request) -> Response:
    account = staff.set_groups(
        request.path["user_id"],
        request.body["groups"],
        by=request.who,
        directory=runtime.staff_accounts(),
        audit=runtime.audit_record(),
    )
    return json_response(200, account.as_dict(), NO_STORE)
