"""Hot spots, patrol schedules (JSON, CSV, iCalendar), check-ins, dosage and perception surveys."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import FieldError, Forbidden, InvalidRequest
from vigia.handlers.routes.common import body, json_response, query, signed_in
from vigia.observability import logger, metrics

router = APIGatewayHttpRouter()

FORMATS = ("json", "csv", "ics")


def _claim(user_id: str, route: str, document: Any) -> tuple[str, str] | None:
    """(key, request hash) when the request carries an Idempotency-Key, namespaced by caller and route."""
    from vigia.patrol.service import request_hash

    key = router.current_event.headers.get("idempotency-key") or None
    if key is None:
        return None
    if len(key) > 128:
        raise InvalidRequest(
            "The Idempotency-Key header is longer than 128 characters.",
            errors=[FieldError("/Idempotency-Key", "at most 128 characters")],
        )
    return f"{user_id}#{route}#{key}", request_hash(document)


def _format() -> str:
    wanted = (query(router, "format") or "json").lower()
    if wanted not in FORMATS:
        raise InvalidRequest(
            f"format must be one of {', '.join(FORMATS)}.",
            errors=[FieldError("/format", f"one of {', '.join(FORMATS)}")],
        )
    return wanted


def _schedule_response(schedule: Any, status: int, name: str) -> Response:
    from vigia.patrol.exports import to_csv, to_ics
    from vigia.patrol.service import schedule_view

    wanted = _format()
    if wanted == "csv":
        return Response(
            status,
            "text/csv; charset=utf-8",
            to_csv(schedule),
            {"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if wanted == "ics":
        pack = runtime.city_pack()
        text = to_ics(schedule, city_id=pack.city_id, locale=pack.locale)
        return Response(
            status,
            "text/calendar; charset=utf-8",
            text,
            {"Content-Disposition": f'attachment; filename="{name}.ics"'},
        )
    return json_response(status, schedule_view(schedule))


@router.get("/v1/hotspots")
def hotspots() -> Response:
    from vigia.patrol.service import hotspots_view

    signed_in(router, "GET /v1/hotspots")
    view = hotspots_view(
        date=query(router, "date"),
        quadrant=query(router, "quadrant"),
        limit=query(router, "limit"),
        pack=runtime.city_pack(),
        history=runtime.alert_history(),
        now=clock.now(),
    )
    return json_response(200, view)


@router.post("/v1/patrol-schedules")
def generate_schedule() -> Response:
    from vigia.patrol.service import generate_schedule as generate

    operator = signed_in(router, "POST /v1/patrol-schedules")
    request = body(router, "requests/patrol-schedule.json")
    schedule = generate(
        request,
        pack=runtime.city_pack(),
        history=runtime.alert_history(),
        store=runtime.patrols(),
        now=clock.now(),
        claim=_claim(operator.user_id, "patrol-schedules", request),
    )
    metrics.add_metric(name="PatrolSchedulesGenerated", unit="Count", value=1)
    logger.info("patrol schedule generated", extra={"date": schedule.date, "units": len(schedule.units)})
    response = _schedule_response(schedule, 201, f"patrol-{schedule.date}")
    response.headers["Location"] = f"/v1/patrol-schedules/{schedule.date}"
    return response


@router.get("/v1/patrol-schedules/<date>")
def read_schedule(date: str) -> Response:
    from vigia.patrol.service import read_schedule as read

    signed_in(router, "GET /v1/patrol-schedules/{date}")
    return _schedule_response(read(runtime.patrols(), date), 200, f"patrol-{date}")


@router.get("/v1/patrol-schedules/<date>/units/<unit_id>")
def read_unit_schedule(date: str, unit_id: str) -> Response:
    from vigia.patrol.service import read_schedule as read

    signed_in(router, "GET /v1/patrol-schedules/{date}/units/{unit_id}")
    schedule = read(runtime.patrols(), date, unit_id, runtime.city_pack())
    return _schedule_response(schedule.only(unit_id), 200, f"patrol-{date}-{unit_id}")


@router.post("/v1/patrols/checkins")
def check_in() -> Response:
    from vigia.patrol.service import record_checkin

    officer = signed_in(router, "POST /v1/patrols/checkins")
    request = body(router, "requests/checkin.json")
    pack = runtime.city_pack()
    unit_id = request["unit_id"]
    if unit_id in pack.units and officer.user_id not in runtime.incidents().unit(unit_id).crew:
        raise Forbidden(
            f"You do not crew {unit_id}; an operator assigns crews with PUT /v1/units/{unit_id}/crew.",
            errors=[FieldError("/unit_id", "not a unit you crew")],
        )
    checkin, created = record_checkin(
        request,
        pack=pack,
        store=runtime.patrols(),
        now=clock.now(),
        claim=_claim(officer.user_id, "checkins", request),
    )
    if created:
        metrics.add_metric(name="PatrolCheckIns", unit="Count", value=1)
        logger.info("patrol check-in", extra={"unit_id": checkin.unit_id, "outcome": checkin.outcome})
    return json_response(201 if created else 200, checkin.view(pack.zone_info))


@router.get("/v1/patrols/dosage")
def dosage() -> Response:
    from vigia.patrol.service import dosage_view

    signed_in(router, "GET /v1/patrols/dosage")
    report = dosage_view(
        query(router, "date"), pack=runtime.city_pack(), store=runtime.patrols(), now=clock.now()
    )
    return json_response(200, report)


@router.post("/v1/surveys")
def submit_survey() -> Response:
    from vigia.patrol.service import record_survey

    officer = signed_in(router, "POST /v1/surveys")
    request = body(router, "requests/survey.json")
    receipt, created = record_survey(
        request,
        pack=runtime.city_pack(),
        store=runtime.patrols(),
        now=clock.now(),
        claim=_claim(officer.user_id, "surveys", request),
    )
    if created:
        metrics.add_metric(name="PerceptionSurveys", unit="Count", value=1)
    return json_response(201 if created else 200, receipt)


@router.get("/v1/surveys/summary")
def survey_summary() -> Response:
    from vigia.patrol.service import survey_summary as summary

    signed_in(router, "GET /v1/surveys/summary")
    view = summary(
        first=query(router, "from"),
        last=query(router, "to"),
        quadrant=query(router, "quadrant"),
        pack=runtime.city_pack(),
        store=runtime.patrols(),
        now=clock.now(),
    )
    return json_response(200, view)
