"""The observatory's incidents: actions on an alert (operators; police on their unit's), the queue, units."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from vigia import clock, runtime
from vigia.api.routes import OWN_ASSIGNMENT, ownership_rule
from vigia.errors import FieldError, Forbidden, InvalidRequest, NotFound
from vigia.handlers.routes.common import body, json_response, query, signed_in
from vigia.incidents import crew as unit_crew
from vigia.incidents import lifecycle, service
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()
DEFAULT_PAGE, MAX_PAGE = 50, 200


def _actor(key: str, who: Any) -> lifecycle.Actor:
    actor = lifecycle.acting_as(who.user_id, who.roles)
    if actor is None:  # pragma: no cover - the route table admits only roles that act
        raise Forbidden(f"{key} is not available to your role.")
    restricted = ownership_rule(key, who) == OWN_ASSIGNMENT
    return lifecycle.Actor(
        who.user_id, actor.role, own_assignment_only=restricted, roles=frozenset(who.roles)
    )


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


@router.post("/v1/alerts/<alert_id>/actions")
def act_on_alert(alert_id: str) -> Response:
    key = "POST /v1/alerts/{alert_id}/actions"
    who = signed_in(router, key)
    request = body(router, "requests/incident-action.json")
    actor = _actor(key, who)
    outcome = service.take_action(
        alert_id,
        request["action"],
        actor=actor,
        unit_id=request.get("unit_id"),
        note=request.get("note"),
        pack=runtime.city_pack(),
        store=runtime.incidents(),
        notifier=runtime.incident_notifier(),
        now=clock.now(),
        outcome=request.get("outcome"),
        share_contact=request.get("share_contact"),
        reason=router.current_event.headers.get("x-reason"),  # request_police on a silent alert: audited
    )
    _measure(outcome)
    logger.info(
        "incident action",
        extra={
            "alert_id": alert_id,
            "action": outcome.step.action,
            "from": outcome.step.from_status,
            "to": outcome.step.to_status,
            "actor_role": actor.role,
            "unit_id": outcome.step.unit_id,
        },
    )
    return json_response(200, outcome.answer())


def _measure(outcome: service.Outcome) -> None:
    """EMF metrics the city's indicators rest on: dispatch and response time, target met or missed."""
    sets = outcome.step.sets
    metrics.add_metric(
        name=f"Incident{outcome.step.action.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    if "dispatch_time_s" in sets:
        metrics.add_metric(name="DispatchTime", unit=MetricUnit.Seconds, value=float(sets["dispatch_time_s"]))
    if "response_time_s" in sets:
        metrics.add_metric(name="ResponseTime", unit=MetricUnit.Seconds, value=float(sets["response_time_s"]))
        metrics.add_metric(
            name="ResponseTargetMet" if sets.get("met_target") else "ResponseTargetMissed",
            unit=MetricUnit.Count,
            value=1,
        )
    if outcome.suspended:
        metrics.add_metric(name="ResidentsSuspended", unit=MetricUnit.Count, value=1)
    if outcome.notify_error:
        metrics.add_metric(name="IncidentNotifyFailures", unit=MetricUnit.Count, value=1)
        logger.error("incident notification not queued", extra={"alert_id": outcome.incident.alert_id})


@router.get("/v1/alerts")
def alert_queue() -> Response:
    who = signed_in(router, "GET /v1/alerts")
    actor = lifecycle.acting_as(who.user_id, who.roles)
    pack = runtime.city_pack()
    wanted = service.queue_filter(
        status=query(router, "status"),
        type_=query(router, "type"),
        since=query(router, "since"),
        zone=query(router, "zone"),
        pack=pack,
    )
    incidents, cursor = runtime.incidents().queue(wanted, limit=_limit(), cursor=query(router, "cursor"))
    now = clock.now()
    answer: dict[str, Any] = {
        "items": [service.queue_item(i, now=now, role=actor.role if actor else None) for i in incidents],
        "next_cursor": cursor,
        "queue": "closed" if wanted.closed else "open",
        "response_target_s": pack.settings.response_target_s,
    }
    return json_response(200, answer, {"Cache-Control": "no-store"})


@router.get("/v1/units")
def units() -> Response:
    signed_in(router, "GET /v1/units")
    pack = runtime.city_pack()
    store = runtime.incidents()
    states = store.units(pack.units)
    # A unit whose alert was closed without it (its sender cancelled) shows as available.
    busy = {u.busy_with() for u in states} - {None}
    alerts = store.incidents(a for a in busy if a)
    now = clock.now()
    items = []
    for unit in states:
        alert_id = unit.busy_with()
        other = alerts.get(alert_id) if alert_id else None
        if alert_id and (other is None or not other.is_open or other.unit_id != unit.unit_id):
            unit = lifecycle.Unit(unit.unit_id, lifecycle.AVAILABLE, None, unit.crew, unit.updated_at)
        items.append(service.unit_item(unit, pack, now=now))
    return json_response(200, {"items": items}, {"Cache-Control": "no-store"})


@router.post("/v1/units/<unit_id>/status")
def set_unit_status(unit_id: str) -> Response:
    key = "POST /v1/units/{unit_id}/status"
    who = signed_in(router, key)
    request = body(router, "requests/unit-status.json")
    pack = runtime.city_pack()
    if unit_id not in pack.units:
        raise NotFound(f"No unit {unit_id}.")
    at = clock.iso(clock.now())
    actor = _actor(key, who)
    note = service.AuditNote(
        who.user_id, actor.role, f"unit_{request['status']}", "unit", unit_id, request.get("note")
    )
    unit = runtime.incidents().set_unit_status(unit_id, request["status"], note=note, at=at)
    return json_response(200, service.unit_item(unit, pack, now=clock.now()))


@router.put("/v1/units/<unit_id>/crew")
def set_unit_crew(unit_id: str) -> Response:
    key = "PUT /v1/units/{unit_id}/crew"
    who = signed_in(router, key)
    request = body(router, "requests/unit-crew.json")
    pack = runtime.city_pack()
    if unit_id not in pack.units:
        raise NotFound(f"No unit {unit_id}.")
    actor = _actor(key, who)
    crew = unit_crew.crew(request["user_ids"], directory=runtime.identity())
    note = service.AuditNote(who.user_id, actor.role, "unit_crew", "unit", unit_id, f"{len(crew)} officer(s)")
    unit = runtime.incidents().set_crew(unit_id, crew, note=note, at=clock.iso(clock.now()))
    return json_response(200, {**service.unit_item(unit, pack, now=clock.now()), "crew": sorted(unit.crew)})


def lifecycle_of(alert_id: str, *, staff: bool) -> dict[str, Any]:
    """What GET /v1/alerts/{id} adds: status, timeline (oldest first), dispatch and response times."""
    incident = runtime.incidents().incident(alert_id)
    if incident is None:
        return {}
    return lifecycle.view(incident, staff=staff)
