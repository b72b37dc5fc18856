"""Every route of the API in one table: who may call it, what it takes, what it answers.

The routers register each route from it (vigia.handlers.routes.common.route: authorise, then read the
path, headers, query and body the route declares), and the OpenAPI document is generated from it, so the
door, the routes and the document cannot drift apart. What a route declares is vigia.api.routes.spec; the
table is written by area, beside the routers of vigia.handlers.routes.
"""

from __future__ import annotations

from vigia.api.auth import Caller
from vigia.api.routes import (
    alerts,
    datasets,
    dispatch,
    federation,
    incidents,
    indicators,
    live,
    meta,
    observatory,
    patrol,
    reports,
    residents,
    sat,
    silent,
    staff,
)
from vigia.api.routes.spec import (
    CSV,
    DEAD_LETTER_QUEUES,
    ICS,
    IDEMPOTENCY_KEY,
    JSON,
    OWN_ALERT,
    OWN_ASSIGNMENT,
    PATH_PARAMS,
    PUBLIC,
    SIGNED_IN,
    SILENT_ALERTS,
    X_REASON,
    Header,
    Param,
    Route,
)
from vigia.errors import Forbidden, NotAuthenticated

__all__ = [
    "BY_KEY",
    "CSV",
    "DEAD_LETTER_QUEUES",
    "ICS",
    "IDEMPOTENCY_KEY",
    "JSON",
    "OWN_ALERT",
    "OWN_ASSIGNMENT",
    "PATH_PARAMS",
    "PUBLIC",
    "ROUTES",
    "SIGNED_IN",
    "SILENT_ALERTS",
    "X_REASON",
    "Header",
    "Param",
    "Route",
    "authorize",
    "ownership_rule",
]

ROUTES: tuple[Route, ...] = (
    *meta.ROUTES,
    *alerts.ROUTES,
    *residents.ROUTES,
    *dispatch.ROUTES,
    *patrol.ROUTES,
    *silent.ROUTES,
    *indicators.ROUTES,
    *observatory.ROUTES,
    *datasets.ROUTES,
    *incidents.ROUTES,
    *staff.ROUTES,
    *live.ROUTES,
    *federation.ROUTES,
    *reports.ROUTES,
    *sat.ROUTES,
)
BY_KEY = {route.key: route for route in ROUTES}


def authorize(key: str, caller: Caller | None) -> Caller | None:
    """The caller if the route admits them; 401 without a token, 403 without a role the route needs."""
    route = BY_KEY[key]
    if PUBLIC in route.roles:
        return caller
    if caller is None:
        raise NotAuthenticated("A valid bearer token is required.")
    if SIGNED_IN in route.roles or caller.roles & route.roles:
        return caller
    if not caller.roles:
        raise Forbidden(
            "Your registration is pending approval by the city's observatory.", resident_status="pending"
        )
    raise Forbidden(f"{key} is not available to your role.")


def ownership_rule(key: str, caller: Caller) -> str | None:
    """The ownership rule limiting `caller` on the route; None if an admitted role of theirs is unlimited."""
    route = BY_KEY[key]
    rules = dict(route.ownership)
    admitted = caller.roles & route.roles
    if not admitted or any(role not in rules for role in admitted):
        return None
    return rules[min(admitted)]
