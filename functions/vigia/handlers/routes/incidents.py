"""The observatory's incidents: actions on an alert (operators; police on their unit's), the queue, units."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from vigia import clock, runtime
from vigia.api.routes import OWN_ASSIGNMENT, ownership_rule
from vigia.errors import Forbidden, NotFound
from vigia.handlers.routes.common import Request, json_response, route
from vigia.incidents import crew as unit_crew
from vigia.incidents import lifecycle, service
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()


def _actor(request: Request) -> lifecycle.Actor:
    key, who = request.route.key, request.who
    actor = lifecycle.acting_as(who.user_id, who.roles)
    if actor is None:  # pragma: no cover - the route table admits only roles that act
        raise Forbidden(f"{key} is not available to your role.")
    restricted = ownership_rule(key, who) == OWN_ASSIGNMENT
    return lifecycle.Actor(
        who.user_id, actor.role, own_assignment_only=restricted, roles=frozenset(who.roles)
    )


@route(router, "POST /v1/alerts/{alert_id}/actions")
def act_on_alert(request: Request) -> Response:
    alert_id, wanted = request.path["alert_id"], request.body
    actor = _actor(request)
    outcome = service.take_action(
        alert_id,
        wanted["action"],
        actor=actor,
        unit_id=wanted.get("unit_id"),
        note=wanted.get("note"),
        pack=runtime.city_pack(),
        store=runtime.incidents(),
        notifier=runtime.incident_notifier(),
        now=clock.now(),
        outcome=wanted.get("outcome"),
        share_contact=wanted.get("share_contact"),
        reason=request.headers["X-Reason"],  # request_police on a silent alert: audited
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


def partner_names(wanted: bool) -> dict[str, str]:
    """Partner id → name from the agreement, read only when an answer has a visitor alert to name."""
    return {p.partner_id: p.name for p in runtime.federation_agreement().partners} if wanted else {}


@route(router, "GET /v1/alerts")
def alert_queue(request: Request) -> Response:
    who, query = request.who, request.query
    actor = lifecycle.acting_as(who.user_id, who.roles)
    pack = runtime.city_pack()
    wanted = service.queue_filter(
        status=query["status"], type_=query["type"], since=query["since"], zone=query["zone"], pack=pack
    )
    incidents, cursor = runtime.incidents().queue(wanted, limit=query["limit"], cursor=query["cursor"])
    now = clock.now()
    role = actor.role if actor else None
    names = partner_names(any(i.visitor for i in incidents))
    answer: dict[str, Any] = {
        "items": [service.queue_item(i, now=now, role=role, partner_names=names) for i in incidents],
        "next_cursor": cursor,
        "queue": "closed" if wanted.closed else "open",
        "response_target_s": pack.settings.response_target_s,
    }
    return json_response(200, answer, {"Cache-Control": "no-store"})


@route(router, "GET /v1/units")
def units(request: Request) -> Response:
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


@route(router, "POST /v1/units/{unit_id}/status")
def set_unit_status(request: Request) -> Response:
    who, unit_id, wanted = request.who, request.path["unit_id"], request.body
    pack = runtime.city_pack()
    if unit_id not in pack.units:
        raise NotFound(f"No unit {unit_id}.")
    at = clock.iso(clock.now())
    actor = _actor(request)
    note = service.AuditNote(
        who.user_id, actor.role, f"unit_{wanted['status']}", "unit", unit_id, wanted.get("note")
    )
    unit = runtime.incidents().set_unit_status(unit_id, wanted["status"], note=note, at=at)
    return json_response(200, service.unit_item(unit, pack, now=clock.now()))


@route(router, "PUT /v1/units/{unit_id}/crew")
def set_unit_crew(request: Request) -> Response:
    who, unit_id = request.who, request.path["unit_id"]
    pack = runtime.city_pack()
    if unit_id not in pack.units:
        raise NotFound(f"No unit {unit_id}.")
    actor = _actor(request)
    crew = unit_crew.crew(request.body["user_ids"], directory=runtime.identity())
    note = service.AuditNote(who.user_id, actor.role, "unit_crew", "unit", unit_id, f"{len(crew)} officer(s)")
    unit = runtime.incidents().set_crew(unit_id, crew, note=note, at=clock.iso(clock.now()))
    return json_response(200, service.unit_item(unit, pack, now=clock.now()))


def lifecycle_of(alert_id: str, *, staff: bool) -> dict[str, Any]:
    """What GET /v1/alerts/{id} adds: status, timeline (oldest first), dispatch and response times."""
    incident = runtime.incidents().incident(alert_id)
    if incident is None:
        return {}
    return lifecycle.view(incident, staff=staff)
