"""Registration (an SMS code, then the pending resident) and its review: approve, reject, suspend."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from vigia import clock, runtime, settings
from vigia.errors import FieldError, InvalidRequest
from vigia.handlers.routes.common import body, caller, json_response, query, signed_in
from vigia.incidents import lifecycle, service, standing
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()
DEFAULT_PAGE, MAX_PAGE = 50, 200
_METRIC = {
    standing.REJECT: "RegistrationsRejected",
    standing.SUSPEND: "ResidentsSuspended",
    standing.REINSTATE: "ResidentsReinstated",
}


def _source_ip() -> str:
    """The caller's address as API Gateway saw it (always there behind it; "" if an event lacks it)."""
    context = router.current_event.raw_event.get("requestContext") or {}
    return str((context.get("http") or {}).get("sourceIp") or "")


@router.post("/v1/registrations")
def register() -> Response:
    """The same 202 for everyone (vigia.residents.signup): nothing here tells whether the person exists."""
    from vigia.residents import signup

    caller(router, "POST /v1/registrations")
    request = body(router, "requests/registration.json")
    s = settings.get()
    registration_id = signup.start(
        request,
        source_ip=_source_ip(),
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


@router.post("/v1/registrations/<registration_id>/confirm")
def confirm(registration_id: str) -> Response:
    from vigia.residents import signup

    caller(router, "POST /v1/registrations/{registration_id}/confirm")
    request = body(router, "requests/registration-confirmation.json")
    resident = signup.confirm(
        registration_id,
        request["code"],
        store=runtime.registrations(),
        residents=runtime.residents(),
        identity=runtime.identity(),
        keys=runtime.registration_keys(),
        now=clock.now(),
    )
    metrics.add_metric(name="RegistrationsConfirmed", unit=MetricUnit.Count, value=1)
    logger.info("registration confirmed", extra={"user_id": resident.user_id})
    return json_response(200, {"user_id": resident.user_id, "status": resident.status})


def _limit() -> int:
    raw = query(router, "limit")
    if raw is None:
        return DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidRequest(
            f"limit must be a whole number from 1 to {MAX_PAGE}.",
            errors=[FieldError("/limit", f"1 to {MAX_PAGE}")],
        )
    return int(raw)


def _role(who: Any) -> str:
    """The role a reviewer acts in (admin before operator), as the audit trail records it."""
    acting = lifecycle.acting_as(who.user_id, who.roles)
    return acting.role if acting else sorted(who.roles)[0]


def _registration(record: Any, pack: Any) -> dict[str, Any]:
    """What an operator checks before approving: who, where they live, and the block that would be theirs."""
    home = (
        {"lat": float(record.home_lat), "lon": float(record.home_lon)}
        if record.home_lat is not None and record.home_lon is not None
        else None
    )
    block = pack.block_at(home["lat"], home["lon"]) if home else None
    row = {
        "user_id": record.pk,
        "status": record.status,
        "full_name": record.full_name,
        "national_id": record.national_id,
        "phone": record.phone,
        "email": record.email,
        "address": record.address,
        "home_location": home,
        "home_block_id": record.block_id or (block.block_id if block else None),
        "created_at": record.created_at,
        "reviewed_at": record.reviewed_at,
        "review_reason": record.review_reason,
        "strikes": len(record.strikes or ()),
    }
    return {k: v for k, v in row.items() if v is not None}


@router.get("/v1/registrations")
def registrations() -> Response:
    signed_in(router, "GET /v1/registrations")
    status = query(router, "status") or standing.PENDING
    if status not in standing.RESIDENT_STATUSES:
        raise InvalidRequest(
            f"Unknown status {status!r}; one of {', '.join(standing.RESIDENT_STATUSES)}.",
            errors=[FieldError("/status", "unknown resident status")],
        )
    records, cursor = runtime.incidents().residents_by_status(
        status, limit=_limit(), cursor=query(router, "cursor")
    )
    pack = runtime.city_pack()
    items = [_registration(r, pack) for r in records if (r.kind or "resident") == "resident"]
    return json_response(
        200, {"status": status, "items": items, "next_cursor": cursor}, {"Cache-Control": "no-store"}
    )


def _review(key: str, user_id: str, action: str, schema: str) -> Response:
    who = signed_in(router, key)
    request = (
        body(router, schema) if (router.current_event.body or schema != "requests/reinstatement.json") else {}
    )
    answer = service.review_resident(
        user_id,
        action,
        actor=lifecycle.Actor(who.user_id, _role(who)),
        reason=request.get("reason"),
        pack=runtime.city_pack(),
        store=runtime.incidents(),
        notifier=runtime.incident_notifier(),
        now=clock.now(),
    )
    metrics.add_metric(name=_METRIC[action], unit=MetricUnit.Count, value=1)
    logger.info(f"resident {action}", extra={"user_id": user_id, "by": who.user_id})
    return json_response(200, answer)


@router.post("/v1/registrations/<user_id>/approve")
def approve(user_id: str) -> Response:
    """Approval onto the home block (vigia.residents.approve: the citizen group, then the record), audited."""
    from vigia.residents import approve as approve_resident

    key = "POST /v1/registrations/{user_id}/approve"
    operator = signed_in(router, key)
    request = body(router, "requests/approval.json") if router.current_event.body else {}
    resident = approve_resident(
        user_id,
        reviewer=operator.user_id,
        pack=runtime.city_pack(),
        residents=runtime.residents(),
        identity=runtime.identity(),
        now=clock.now(),
    )
    runtime.audit_record()(
        operator.user_id, _role(operator), "approve", "resident", user_id, request.get("note")
    )
    metrics.add_metric(name="RegistrationsApproved", unit=MetricUnit.Count, value=1)
    logger.info("registration approved", extra={"user_id": user_id, "by": operator.user_id})
    return json_response(
        200, {"user_id": resident.user_id, "status": resident.status, "block_id": resident.block_id}
    )


@router.post("/v1/registrations/<user_id>/reject")
def reject(user_id: str) -> Response:
    return _review(
        "POST /v1/registrations/{user_id}/reject", user_id, standing.REJECT, "requests/resident-review.json"
    )


@router.post("/v1/residents/<user_id>/suspend")
def suspend(user_id: str) -> Response:
    return _review(
        "POST /v1/residents/{user_id}/suspend", user_id, standing.SUSPEND, "requests/resident-review.json"
    )


@router.post("/v1/residents/<user_id>/reinstate")
def reinstate(user_id: str) -> Response:
    return _review(
        "POST /v1/residents/{user_id}/reinstate", user_id, standing.REINSTATE, "requests/reinstatement.json"
    )
