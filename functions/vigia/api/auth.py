"""The caller of an API request, from the claims API Gateway's JWT authorizer put in the event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigia.callers import ROLES, STAFF_ROLES, Caller

__all__ = ["ROLES", "STAFF_ROLES", "Caller", "caller_from_event", "parse_groups"]


def parse_groups(raw: Any) -> frozenset[str]:
    """`cognito:groups` as HTTP APIs pass it ("[a b]") or as a JSON list (REST APIs, tests)."""
    if raw is None or raw == "":
        return frozenset()
    if isinstance(raw, list | tuple):
        names = [str(x) for x in raw]
    else:
        text = str(raw).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        names = text.replace(",", " ").split()
    return frozenset(n.strip().strip('"') for n in names if n.strip().strip('"') in ROLES)


def caller_from_event(event: Mapping[str, Any]) -> Caller | None:
    """The caller for an authorised request, or None where the route has no authorizer."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims") or authorizer.get("claims")
    if not claims or not claims.get("sub"):
        return None
    return Caller(
        user_id=str(claims["sub"]),
        email=str(claims.get("email") or claims.get("cognito:username") or ""),
        roles=parse_groups(claims.get("cognito:groups")),
    )
