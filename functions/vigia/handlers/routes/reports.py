"""Residents' reports: /v1/reports (resident and operators) and Open311 GeoReport v2 (/open311/v2)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.api.validation import validate
from vigia.errors import FieldError, InvalidRequest, NotFound, PayloadTooLarge, Unprocessable
from vigia.handlers.routes.common import Request, json_response, route
from vigia.observability import logger
from vigia.reports import aggregates, rules, service

router = APIGatewayHttpRouter()
_OPERATORS = frozenset({"operator", "admin"})


def _admitted_resident(user_id: str) -> None:
    """Only an approved resident reports: a suspended one is still in the citizen group until her token
    expires, so her record decides (as for alerts)."""
    from vigia.errors import Forbidden
    from vigia.residents.registration import APPROVED

    resident = runtime.residents().get(user_id)
    status = resident.status if resident else "unregistered"
    if status != APPROVED:
        helpline = runtime.city_pack().settings.helpline
        raise Forbidden(
            f"Your registration is {status}: only approved residents can send reports. "
            f"Call {helpline} if you need help now.",
            resident_status=status,
            helpline=helpline,
        )


def _local_range(
    start: str | None, end: str | None, default_days: int, most_days: int = 93
) -> tuple[datetime, datetime]:
    """[start 00:00, end 24:00) of local dates as UTC times; 422 naming the field when they do not fit."""
    zone = ZoneInfo(runtime.city_pack().time_zone)
    today = clock.now().astimezone(zone).date()
    last = _calendar(end, "/to") if end else today
    first = _calendar(start, "/from") if start else last - timedelta(days=default_days)
    if first > last:
        raise Unprocessable("`from` is after `to`.", errors=[FieldError("/from", "after to")])
    if (last - first).days > most_days:
        raise Unprocessable(
            f"At most {most_days} days at once.",
            errors=[FieldError("/to", f"more than {most_days} days after from")],
        )
    since = datetime.combine(first, time(), zone).astimezone(ZoneInfo("UTC"))
    until = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(ZoneInfo("UTC")) - timedelta(
        microseconds=1
    )
    return since, until


def _calendar(value: str, name: str) -> date:
    """A YYYY-MM-DD the door let through that must also be on the calendar (2026-02-31 is not): else 422."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Unprocessable(
            f"{name.lstrip('/')} is not a date on the calendar.", errors=[FieldError(name, "no such date")]
        ) from None


def _codes(value: str | None) -> list[str]:
    return [c for c in (value or "").split(",") if c]


# ------------------------------------------------------------------ /v1
@route(router, "POST /v1/reports")
def submit_report(request: Request) -> Response:
    _admitted_resident(request.who.user_id)
    body = dict(request.body)
    body["lat"], body["lon"] = body["location"]["lat"], body["location"]["lon"]
    report = service.submit(
        body,
        reporter_id=request.who.user_id,
        channel="v1",
        pack=runtime.city_pack(),
        cat=runtime.report_catalogue(),
        store=runtime.reports(),
        now=clock.now(),
    )
    logger.info("report received", extra={"report_id": report.report_id, "type": report.type})
    view = rules.own_view(report, runtime.report_catalogue())
    return json_response(
        201, view, {"Location": f"/v1/reports/{report.report_id}", "Cache-Control": "no-store"}
    )


@route(router, "GET /v1/reports")
def list_reports(request: Request) -> Response:
    q = request.query
    since, until = _local_range(q["from"], q["to"], default_days=30)
    cat, store = runtime.report_catalogue(), runtime.reports()
    types, statuses = _codes(q["type"]), _codes(q["status"])
    if request.who.roles & _OPERATORS:
        found = service.listed(
            store,
            start=since,
            end=until,
            types=types,
            statuses=statuses,
            department=q["department"],
            quadrant=q["quadrant"],
            limit=q["limit"],
        )
    else:  # a resident: her own only, whatever she asks for
        mine = store.of_reporter(request.who.user_id, 200)
        found = [
            r
            for r in mine
            if clock.iso(since) <= r.created_at <= clock.iso(until)
            and (not types or r.type in types)
            and (not statuses or r.status in statuses)
            and (q["department"] is None or r.department == q["department"])
            and (q["quadrant"] is None or r.quadrant_id == q["quadrant"])
        ][: q["limit"]]
    items = [rules.own_view(r, cat) for r in found]
    return json_response(200, {"items": items}, {"Cache-Control": "no-store"})


@route(router, "GET /v1/reports/unsafe-places")
def unsafe_places(request: Request) -> Response:
    since, until = _local_range(request.query["from"], request.query["to"], default_days=90)
    pack = runtime.city_pack()
    k = pack.settings.small_cell_threshold
    rows = aggregates.unsafe_places(service.between(runtime.reports(), since, until), pack, k)
    body = {"from": clock.iso(since), "to": clock.iso(until), "threshold": k, "quadrants": rows}
    return json_response(200, body)


@route(router, "GET /v1/reports/{report_id}")
def read_report(request: Request) -> Response:
    store = runtime.reports()
    if request.who.roles & _OPERATORS:
        report = service.read(request.path["report_id"], store)
    else:
        report = service.own(request.path["report_id"], request.who.user_id, store)
    return json_response(
        200, rules.own_view(report, runtime.report_catalogue()), {"Cache-Control": "no-store"}
    )


def _role(request: Request) -> str:
    return "admin" if "admin" in request.who.roles else "operator"


@route(router, "POST /v1/reports/{report_id}/route")
def route_report(request: Request) -> Response:
    cat = runtime.report_catalogue()
    report = service.route_to(
        request.path["report_id"],
        request.body["department"],
        request.body.get("note") or "",
        cat=cat,
        store=runtime.reports(),
        by_role=_role(request),
        now=clock.now(),
    )
    return json_response(200, rules.own_view(report, cat))


@route(router, "POST /v1/reports/{report_id}/status")
def set_report_status(request: Request) -> Response:
    report = service.set_status(
        request.path["report_id"],
        request.body["status"],
        request.body["note"],
        store=runtime.reports(),
        by_role=_role(request),
        now=clock.now(),
    )
    logger.info("report status", extra={"report_id": report.report_id, "status": report.status})
    return json_response(200, rules.own_view(report, runtime.report_catalogue()))


# ------------------------------------------------------------------ Open311 GeoReport v2
@route(router, "GET /open311/v2/services.json")
def open311_services(request: Request) -> Response:
    cat = runtime.report_catalogue()
    return json_response(200, [rules.service(code, cat) for code in cat.types])


# Open311's form fields → the report's; every other field (email, first_name, last_name, phone, device_id,
# account_id, api_key, media_url, attribute[…]) is read by nobody and stored nowhere: her token says who.
_FORM = {
    "service_code": "type",
    "lat": "lat",
    "long": "lon",
    "description": "description",
    "address_string": "address",
}
_FORM_PATH = {
    "/type": "service_code",
    "/location/lat": "lat",
    "/location/lon": "long",
    "/location": "lat",
    "/description": "description",
    "/address": "address_string",
    "/": "service_code",
}


MAX_FORM_BYTES = 64 * 1024  # as every JSON body (docs/api.md "Input rules")


def _form(raw: bytes) -> dict[str, str]:
    if len(raw) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"The form is larger than {MAX_FORM_BYTES // 1024} KiB.")
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=bool(text), errors="strict", max_num_fields=64
        )
    except (UnicodeDecodeError, ValueError) as why:
        raise InvalidRequest(
            "The body is not a form (application/x-www-form-urlencoded, UTF-8).",
            errors=[FieldError("/", str(why)[:200])],
        ) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form and name in _FORM:
            raise InvalidRequest(f"{name} is given twice.", errors=[FieldError(name, "given twice")])
        form.setdefault(name, value)
    return form


def _number(form: dict[str, str], name: str) -> float:
    value = form.get(name, "")
    try:
        number = float(value)
    except ValueError:
        raise InvalidRequest(
            f"{name} must be a number.", errors=[FieldError(name, "a number is required")]
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidRequest(
            f"{name} must be a number.", errors=[FieldError(name, "a finite number is required")]
        )
    return number


@route(router, "POST /open311/v2/requests.json")
def open311_submit(request: Request) -> Response:
    _admitted_resident(request.who.user_id)
    form = _form(request.raw)
    if "service_code" not in form:
        raise InvalidRequest("service_code is required.", errors=[FieldError("service_code", "required")])
    if "lat" not in form or "long" not in form:
        missing = "lat" if "lat" not in form else "long"
        raise InvalidRequest(
            "This city locates a request by lat and long (address_string alone is not enough).",
            errors=[FieldError(missing, "required")],
        )
    document: dict[str, Any] = {
        "type": form["service_code"],
        "location": {"lat": _number(form, "lat"), "lon": _number(form, "long")},
    }
    if form.get("description"):
        document["description"] = form["description"]
    if form.get("address_string"):
        document["address"] = form["address_string"]
    try:
        body = validate("requests/report.json", document)
    except InvalidRequest as refused:
        refused.errors = [FieldError(_open311_path(e.path), e.message) for e in refused.errors]
        raise
    body["lat"], body["lon"] = body["location"]["lat"], body["location"]["lon"]
    report = service.submit(
        body,
        reporter_id=request.who.user_id,
        channel="open311",
        pack=runtime.city_pack(),
        cat=runtime.report_catalogue(),
        store=runtime.reports(),
        now=clock.now(),
        fields={
            k: v
            for k, v in (
                ("type", "service_code"),
                ("lat", "lat"),
                ("lon", "long"),
                ("description", "description"),
            )
        },
    )
    logger.info(
        "report received", extra={"report_id": report.report_id, "type": report.type, "channel": "open311"}
    )
    answer = [
        {"service_request_id": report.report_id, "service_notice": None, "account_id": None, "token": None}
    ]
    return json_response(201, answer, {"Location": f"/open311/v2/requests/{report.report_id}.json"})


def _open311_path(path: str) -> str:
    for prefix, name in sorted(_FORM_PATH.items(), key=lambda kv: -len(kv[0])):
        if path == prefix or path.startswith(prefix + "/"):
            return name
    return path.lstrip("/") or "service_code"


def _w3c(value: str, name: str) -> datetime:
    try:
        parsed = (
            clock.parse_iso(value)
            if "T" in value
            else datetime.fromisoformat(value).replace(tzinfo=ZoneInfo("UTC"))
        )
    except ValueError:  # the shape is right (the door checked it) but no such day or time: 2026-02-31
        raise Unprocessable(
            f"{name} is not a time on the calendar.", errors=[FieldError(name, "no such date")]
        ) from None
    if parsed.tzinfo is None:
        raise Unprocessable(
            f"{name} needs a time zone (Z or ±HH:MM).", errors=[FieldError(name, "no time zone")]
        )
    return parsed


def _public(reports: list[rules.Report]) -> list[dict[str, Any]]:
    """The reports as the public feed shows them, each place judged against its whole month's cell."""
    cat, store = runtime.report_catalogue(), runtime.reports()
    decimals = cat.public.location_decimals
    counts = rules.cell_counts(
        (r for m in sorted({r.month for r in reports}) for r in store.in_month(m)), decimals
    )
    return [rules.public_request(r, cat, counts) for r in reports]


@route(router, "GET /open311/v2/requests.json")
def open311_requests(request: Request) -> Response:
    q = request.query
    store = runtime.reports()
    if q["service_request_id"]:
        wanted = _codes(q["service_request_id"])
        found = [r for r in (store.get(i) for i in dict.fromkeys(wanted)) if r is not None]
        return json_response(200, _public(found))
    now = clock.now()
    end = _w3c(q["end_date"], "end_date") if q["end_date"] else now
    start = (
        _w3c(q["start_date"], "start_date")
        if q["start_date"]
        else end - timedelta(days=rules.OPEN311_DEFAULT_DAYS)
    )
    if start > end:
        raise Unprocessable(
            "start_date is after end_date.", errors=[FieldError("start_date", "after end_date")]
        )
    if end - start > timedelta(days=rules.OPEN311_DEFAULT_DAYS):
        raise Unprocessable(
            f"At most {rules.OPEN311_DEFAULT_DAYS} days between start_date and end_date.",
            errors=[FieldError("end_date", f"more than {rules.OPEN311_DEFAULT_DAYS} days after start_date")],
        )
    codes = _codes(q["service_code"])
    statuses = _codes(q["status"])
    found = [
        r
        for r in service.between(store, start, end)
        if (not codes or r.type in codes) and (not statuses or rules.OPEN311_STATUS[r.status] in statuses)
    ][: rules.OPEN311_MAX_REQUESTS]
    return json_response(200, _public(found))


@route(router, "GET /open311/v2/requests/{service_request_id}.json")
def open311_request(request: Request) -> Response:
    report = runtime.reports().get(request.path["service_request_id"])
    if report is None:
        raise NotFound("No such service request.")
    return json_response(200, _public([report]))
