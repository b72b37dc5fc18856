"""Registration (an SMS code, then the pending resident) and its review: approve, reject, suspend."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from vigia import clock, runtime, settings
from vigia.handlers.routes.common import Request, json_response, route
from vigia.incidents import lifecycle, service, standing
from vigia.observability import logger, metrics
from vigia.residents.registration import UnderReview

router = APIGatewayHttpRouter()
_METRIC = {
    standing.REJECT: "RegistrationsRejected",
    standing.SUSPEND: "ResidentsSuspended",
    standing.REINSTATE: "ResidentsReinstated",
}


@route(router, "POST /v1/registrations")
def register(request: Request) -> Response:
    """The same 202 for everyone (vigia.residents.signup): nothing here tells whether the person exists."""
    from vigia.residents import signup

    s = settings.get()
    registration_id = signup.start(
        request.body,
        source_ip=request.source_ip,
        pack=runtime.city_pack(),
        store=runtime.registrations(),
        staff=runtime.identity(),
        notifier=runtime.incident_notifier(),
        keys=runtime.registration_keys(),
        limits=signup.Limits(per_source=s.registrations_per_source, window_s=s.registration_window_s),
        now=clock.now(),
    )
    metrics.add_metric(name="RegistrationsStarted", unit=MetricUnit.Count, value=1)
    return json_response(
        202,
        {"registration_id": registration_id, "status": "confirmation_sent"},
        {"Cache-Control": "no-store"},
    )


@route(router, "POST /v1/registrations/{registration_id}/confirm")
def confirm(request: Request) -> Response:
    from vigia.residents import signup

    resident = signup.confirm(
        request.path["registration_id"],
        request.body["code"],
        store=runtime.registrations(),
        residents=runtime.residents(),
        identity=runtime.identity(),
        keys=runtime.registration_keys(),
        now=clock.now(),
    )
    metrics.add_metric(name="RegistrationsConfirmed", unit=MetricUnit.Count, value=1)
    logger.info("registration confirmed", extra={"user_id": resident.user_id})
    return json_response(200, {"user_id": resident.user_id, "status": resident.status})


def _role(who: Any) -> str:
    """The role a reviewer acts in (admin before operator), as the audit trail records it."""
    acting = lifecycle.acting_as(who.user_id, who.roles)
    return acting.role if acting else sorted(who.roles)[0]


def _registration(reviewed: UnderReview, pack: Any) -> dict[str, Any]:
    """What an operator checks before approving: who, where they live, and the block that would be theirs."""
    person = reviewed.resident
    home = {"lat": person.home_lat, "lon": person.home_lon}
    block = pack.block_at(home["lat"], home["lon"])
    row = {
        "user_id": person.user_id,
        "status": person.status,
        "full_name": person.full_name,
        "national_id": person.national_id,
        "phone": person.phone,
        "email": person.email,
        "address": person.address,
        "home_location": home,
        "home_block_id": person.block_id or (block.block_id if block else None),
        "created_at": person.created_at,
        "reviewed_at": person.reviewed_at,
        "review_reason": reviewed.review_reason,
        "strikes": reviewed.strikes,
    }
    return {k: v for k, v in row.items() if v not in (None, "")}


@route(router, "GET /v1/registrations")
def registrations(request: Request) -> Response:
    status = request.query[
        "status"
    ]  # one of standing.RESIDENT_STATUSES (the table's enum), pending by default
    records, cursor = runtime.incidents().residents_by_status(
        status, limit=request.query["limit"], cursor=request.query["cursor"]
    )
    pack = runtime.city_pack()
    items = [_registration(r, pack) for r in records]
    return json_response(
        200, {"status": status, "items": items, "next_cursor": cursor}, {"Cache-Control": "no-store"}
    )


def _review(request: Request, action: str) -> Response:
    who, user_id = request.who, request.path["user_id"]
    answer = service.review_resident(
        user_id,
        action,
        actor=lifecycle.Actor(who.user_id, _role(who)),
        reason=request.body.get("reason"),
        pack=runtime.city_pack(),
        store=runtime.incidents(),
        notifier=runtime.incident_notifier(),
        now=clock.now(),
    )
    metrics.add_metric(name=_METRIC[action], unit=MetricUnit.Count, value=1)
    logger.info(f"resident {action}", extra={"user_id": user_id, "by": who.user_id})
    return json_response(200, answer)


@route(router, "POST /v1/registrations/{user_id}/approve")
def approve(request: Request) -> Response:
    """Approval onto the home block (vigia.residents.approve: the citizen group, then the record), audited."""
    from vigia.residents import approve as approve_resident

    operator, user_id = request.who, request.path["user_id"]
    resident = approve_resident(
        user_id,
        reviewer=operator.user_id,
        pack=runtime.city_pack(),
        residents=runtime.residents(),
        identity=runtime.identity(),
        now=clock.now(),
    )
    runtime.audit_record()(
        operator.user_id, _role(operator), "approve", "resident", user_id, request.body.get("note")
    )
    metrics.add_metric(name="RegistrationsApproved", unit=MetricUnit.Count, value=1)
    logger.info("registration approved", extra={"user_id": user_id, "by": operator.user_id})
    return json_response(
        200, {"user_id": resident.user_id, "status": resident.status, "block_id": resident.block_id}
    )


@route(router, "POST /v1/registrations/{user_id}/reject")
def reject(request: Request) -> Response:
    return _review(request, standing.REJECT)


@route(router, "POST /v1/residents/{user_id}/suspend")
def suspend(request: Request) -> Response:
    return _review(request, standing.SUSPEND)


@route(router, "POST /v1/residents/{user_id}/reinstate")
def reinstate(request: Request) -> Response:
    return _review(request, standing.REINSTATE)
