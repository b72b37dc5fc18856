"""Hot spots, patrol schedules (JSON, CSV, iCalendar), check-ins, dosage and perception surveys."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import FieldError, Forbidden
from vigia.handlers.routes.common import Request, json_response, route
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()


def _claim(request: Request, name: str) -> tuple[str, str] | None:
    """(key, request hash) when the request carries an Idempotency-Key, namespaced by caller and route."""
    from vigia.patrol.service import request_hash

    key = request.headers["Idempotency-Key"]
    if key is None:
        return None
    return f"{request.who.user_id}#{name}#{key}", request_hash(request.body)


def _schedule_response(request: Request, schedule: Any, status: int, name: str) -> Response:
    from vigia.patrol.exports import Names, to_csv, to_ics
    from vigia.patrol.service import schedule_view

    wanted = request.query["format"]
    if wanted == "csv":
        return Response(
            status,
            "text/csv; charset=utf-8",
            to_csv(schedule, names=Names.of(runtime.city_pack())),
            {"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if wanted == "ics":
        pack = runtime.city_pack()
        text = to_ics(schedule, city_id=pack.city_id, locale=pack.locale, names=Names.of(pack))
        return Response(
            status,
            "text/calendar; charset=utf-8",
            text,
            {"Content-Disposition": f'attachment; filename="{name}.ics"'},
        )
    return json_response(status, schedule_view(schedule))


@route(router, "GET /v1/hotspots")
def hotspots(request: Request) -> Response:
    from vigia.patrol.service import hotspots_view

    view = hotspots_view(
        date=request.query["date"],
        quadrant=request.query["quadrant"],
        limit=str(request.query["limit"]),
        pack=runtime.city_pack(),
        history=runtime.alert_history(),
        now=clock.now(),
    )
    return json_response(200, view)


@route(router, "GET /v1/hotspots/{place_id}/alerts")
def hotspot_alerts(request: Request) -> Response:
    from vigia.patrol.service import hotspot_alerts_view

    view = hotspot_alerts_view(
        place_id=request.path["place_id"],
        date=request.query["date"],
        pack=runtime.city_pack(),
        history=runtime.alert_history(),
        now=clock.now(),
    )
    return json_response(200, view)


@route(router, "POST /v1/patrol-schedules")
def generate_schedule(request: Request) -> Response:
    from vigia.patrol.service import generate_schedule as generate

    schedule = generate(
        request.body,
        pack=runtime.city_pack(),
        history=runtime.alert_history(),
        store=runtime.patrols(),
        now=clock.now(),
        claim=_claim(request, "patrol-schedules"),
    )
    metrics.add_metric(name="PatrolSchedulesGenerated", unit="Count", value=1)
    logger.info("patrol schedule generated", extra={"date": schedule.date, "units": len(schedule.units)})
    response = _schedule_response(request, schedule, 201, f"patrol-{schedule.date}")
    response.headers["Location"] = f"/v1/patrol-schedules/{schedule.date}"
    return response


@route(router, "GET /v1/patrol-schedules/{date}")
def read_schedule(request: Request) -> Response:
    from vigia.patrol.service import read_schedule as read

    date = request.path["date"]
    return _schedule_response(request, read(runtime.patrols(), date), 200, f"patrol-{date}")


@route(router, "GET /v1/patrol-schedules/{date}/units/{unit_id}")
def read_unit_schedule(request: Request) -> Response:
    from vigia.patrol.service import read_schedule as read

    date, unit_id = request.path["date"], request.path["unit_id"]
    schedule = read(runtime.patrols(), date, unit_id, runtime.city_pack())
    return _schedule_response(request, schedule.only(unit_id), 200, f"patrol-{date}-{unit_id}")


@route(router, "POST /v1/patrols/checkins")
def check_in(request: Request) -> Response:
    from vigia.patrol.service import record_checkin

    officer = request.who
    pack = runtime.city_pack()
    unit_id = request.body["unit_id"]
    if unit_id in pack.units and officer.user_id not in runtime.incidents().unit(unit_id).crew:
        raise Forbidden(
            f"You do not crew {unit_id}; an operator assigns crews with PUT /v1/units/{unit_id}/crew.",
            errors=[FieldError("/unit_id", "not a unit you crew")],
        )
    checkin, created = record_checkin(
        request.body,
        pack=pack,
        store=runtime.patrols(),
        now=clock.now(),
        claim=_claim(request, "checkins"),
    )
    if created:
        metrics.add_metric(name="PatrolCheckIns", unit="Count", value=1)
        logger.info("patrol check-in", extra={"unit_id": checkin.unit_id, "outcome": checkin.outcome})
    return json_response(201 if created else 200, checkin.view(pack.zone_info))


@route(router, "GET /v1/patrols/dosage")
def dosage(request: Request) -> Response:
    from vigia.patrol.service import dosage_report

    report = dosage_report(
        date=request.query["date"],
        first=request.query["from"],
        last=request.query["to"],
        pack=runtime.city_pack(),
        store=runtime.patrols(),
        now=clock.now(),
    )
    return json_response(200, report)


@route(router, "POST /v1/surveys")
def submit_survey(request: Request) -> Response:
    from vigia.patrol.service import record_survey

    receipt, created = record_survey(
        request.body,
        pack=runtime.city_pack(),
        store=runtime.patrols(),
        now=clock.now(),
        claim=_claim(request, "surveys"),
    )
    if created:
        metrics.add_metric(name="PerceptionSurveys", unit="Count", value=1)
    return json_response(201 if created else 200, receipt)


@route(router, "GET /v1/surveys/summary")
def survey_summary(request: Request) -> Response:
    from vigia.patrol.service import survey_summary as summary

    view = summary(
        first=request.query["from"],
        last=request.query["to"],
        quadrant=request.query["quadrant"],
        pack=runtime.city_pack(),
        store=runtime.patrols(),
        now=clock.now(),
    )
    return json_response(200, view)
