"""The audit trail (admins only): an alert's whole trail, or entries filtered by actor, action, target and
time (who read or changed what, when and why)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import FieldError, Unprocessable
from vigia.handlers.routes.common import Request, json_response, route

router = APIGatewayHttpRouter()
FILTERS = ("actor_id", "action", "target_id", "from", "to")


def _instant(text: str | None, name: str) -> str | None:
    """An ISO time as the trail stores them (UTC, milliseconds); no offset is UTC; a date alone for `to`
    is the end of that day."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Unprocessable(
            f"{name} is not an ISO-8601 time.", errors=[FieldError(f"/{name}", "not a time")]
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if name == "to" and "T" not in text:
        moment += timedelta(days=1, milliseconds=-1)
    return clock.iso(moment)


@route(router, "GET /v1/audit")
def audit_trail(request: Request) -> Response:
    query = request.query
    alert_id = query["alert_id"]
    given = [name for name in FILTERS if query[name] is not None]
    if alert_id is not None:
        if given:
            raise Unprocessable(
                "alert_id reads an alert's whole trail alone; to filter, give target_id instead.",
                errors=[FieldError(f"/{given[0]}", "not with alert_id")],
            )
        items = [entry.as_dict() for entry in runtime.audit_entries()(alert_id)]
        return json_response(200, {"alert_id": alert_id, "items": items}, {"Cache-Control": "no-store"})
    since, until = _instant(query["from"], "from"), _instant(query["to"], "to")
    if since and until and since > until:
        raise Unprocessable("from is after to.", errors=[FieldError("/from", "after to")])
    entries, next_cursor = runtime.audit_search()(
        actor_id=query["actor_id"],
        action=query["action"],
        target_id=query["target_id"],
        since=since,
        until=until,
        limit=query["limit"],
        cursor=query["cursor"],
    )
    body = {"items": [entry.as_dict() for entry in entries], "next_cursor": next_cursor}
    return json_response(200, body, {"Cache-Control": "no-store"})
