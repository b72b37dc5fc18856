"""ApiFunction: every /v1 route. Each route parses, calls the domain, and shapes the answer."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import clock, runtime
from vigia.api import problems
from vigia.api.auth import Caller, caller_from_event
from vigia.api.routes import authorize
from vigia.api.validation import parse_json_body, validate
from vigia.errors import FieldError, InvalidRequest, NotFound, VigiaError
from vigia.observability import logger, metrics

app = APIGatewayHttpResolver()


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, "application/json", json.dumps(body, ensure_ascii=False), headers or {})


def _caller(key: str) -> Caller | None:
    return authorize(key, caller_from_event(app.current_event.raw_event))


def _signed_in(key: str) -> Caller:
    caller = _caller(key)
    assert caller is not None
    return caller


def _body(schema: str) -> dict[str, Any]:
    return validate(schema, parse_json_body(app.current_event.body))


# ------------------------------------------------------------------ meta
@app.get("/v1/health")
def health() -> Response:
    return _json(200, {"status": "ok"})


@app.get("/v1/openapi.json")
def openapi() -> Response:
    from vigia.api.openapi import document

    return _json(200, document())


# ------------------------------------------------------------------ residents
@app.post("/v1/registrations")
def register() -> Response:
    from vigia.residents import register as register_resident

    _caller("POST /v1/registrations")
    request = _body("requests/registration.json")
    resident = register_resident(request, pack=runtime.city_pack(), residents=runtime.residents(),
                                 identity=runtime.identity(), now=clock.now())
    logger.info("registration received", extra={"user_id": resident.user_id})
    return _json(201, {"user_id": resident.user_id, "status": resident.status})


@app.post("/v1/registrations/<user_id>/approve")
def approve(user_id: str) -> Response:
    from vigia.residents import approve as approve_resident

    operator = _signed_in("POST /v1/registrations/{user_id}/approve")
    if app.current_event.body:
        _body("requests/approval.json")
    resident = approve_resident(user_id, reviewer=operator.user_id, pack=runtime.city_pack(),
                                residents=runtime.residents(), identity=runtime.identity(), now=clock.now())
    logger.info("registration approved", extra={"user_id": user_id, "by": operator.user_id})
    return _json(200, {"user_id": resident.user_id, "status": resident.status, "block_id": resident.block_id})


@app.get("/v1/me")
def me() -> Response:
    caller = _signed_in("GET /v1/me")
    resident = runtime.residents().get(caller.user_id)
    profile: dict[str, Any] = {"user_id": caller.user_id, "email": caller.email, "roles": sorted(caller.roles)}
    if resident is not None:
        profile.update(resident.profile())
    else:
        profile.update({"status": "staff" if caller.is_staff else "unregistered", "block_id": None})
    return _json(200, profile)


# ------------------------------------------------------------------ alerts
@app.get("/v1/alert-types")
def alert_types() -> Response:
    _signed_in("GET /v1/alert-types")
    pack = runtime.city_pack()
    items = [
        {"code": t.code, "labels": dict(t.labels), "silent": t.silent, "priority": t.priority}
        for t in sorted(pack.alert_types.values(), key=lambda t: (t.priority, t.code))
    ]
    return _json(200, {"items": items, "locale": pack.locale})


@app.post("/v1/alerts")
def submit_alert() -> Response:
    from vigia.alerts import AlertRequest, submit

    citizen = _signed_in("POST /v1/alerts")
    request = AlertRequest.from_body(_body("requests/alert.json"))
    key = app.current_event.headers.get("idempotency-key") or None
    if key is not None and len(key) > 128:
        raise InvalidRequest("The Idempotency-Key header is longer than 128 characters.",
                             errors=[FieldError("/Idempotency-Key", "at most 128 characters")])
    alert, created = submit(
        request,
        resident=runtime.residents().get(citizen.user_id),
        sender_id=citizen.user_id,
        idempotency_key=key,
        pack=runtime.city_pack(),
        alerts=runtime.alerts(),
        now=clock.now(),
    )
    if created:
        metrics.add_metric(name="AlertsReceived", unit="Count", value=1)
        logger.info("alert received", extra={"alert_id": alert.alert_id, "alert_type": alert.type})
    return _json(202, alert.receipt(), {"Location": f"/v1/alerts/{alert.alert_id}"})


@app.get("/v1/alerts/<alert_id>")
def get_alert(alert_id: str) -> Response:
    caller = _signed_in("GET /v1/alerts/{alert_id}")
    alert = runtime.alerts().get(alert_id)
    if alert is None or not (caller.is_staff or alert.sender_id == caller.user_id):
        raise NotFound(f"No alert {alert_id}.")  # another resident's alert is as good as absent
    return _json(200, alert.view())


# ------------------------------------------------------------------ errors
@app.exception_handler(VigiaError)
def domain_error(error: VigiaError) -> Response:
    status, headers, body = problems.from_error(error)
    content_type = headers.pop("Content-Type")
    if status >= 500:
        logger.exception("internal error")
    return Response(status, content_type, body, headers)


@app.not_found
def unknown_route(_: NotFoundError) -> Response:
    event = app.current_event
    body = problems.problem_body(404, "Not found", f"No route {event.http_method} {event.path}.", "not-found")
    return Response(404, problems.CONTENT_TYPE, json.dumps(body))


@app.exception_handler(Exception)
def unexpected(_: Exception) -> Response:
    logger.exception("unhandled error")  # the alert, if any, is already stored or was never accepted
    body = problems.problem_body(500, "Internal error", "Something went wrong on our side; it was logged.",
                                 "internal")
    return Response(500, problems.CONTENT_TYPE, json.dumps(body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
