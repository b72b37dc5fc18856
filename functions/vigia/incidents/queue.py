"""The operators' queue: its filter, checked against the lifecycle and the city pack, and its rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigia import clock
from vigia.city import CityPack
from vigia.errors import FieldError, InvalidRequest
from vigia.incidents import lifecycle
from vigia.incidents.lifecycle import Incident
from vigia.silent import lifecycle as silent_lifecycle


@dataclass(frozen=True)
class QueueFilter:
    statuses: frozenset[str]
    types: frozenset[str]
    zones: frozenset[str]
    since: str | None
    closed: bool  # the closed partition (terminal statuses) rather than the open one


def queue_filter(
    *, status: str | None, type_: str | None, since: str | None, zone: str | None, pack: CityPack
) -> QueueFilter:
    """The queue's query parameters checked against the lifecycle and the city pack; 400 names the field."""

    def listed(raw: str | None) -> frozenset[str]:
        return frozenset(x.strip() for x in (raw or "").split(",") if x.strip())

    statuses = listed(status)
    unknown = statuses - set(lifecycle.STATUSES)
    if unknown:
        raise InvalidRequest(
            f"Unknown status {', '.join(sorted(unknown))}; one of {', '.join(lifecycle.STATUSES)}.",
            errors=[FieldError("/status", "unknown status")],
        )
    closed = bool(statuses) and statuses <= lifecycle.TERMINAL
    if statuses and not closed and statuses & lifecycle.TERMINAL:
        raise InvalidRequest(
            "Ask for open statuses or closed ones (resolved, false_alarm, cancelled), not both at once.",
            errors=[FieldError("/status", "mixes open and closed statuses")],
        )
    types = listed(type_)
    if types - set(pack.alert_types):
        raise InvalidRequest(
            f"Unknown alert type {', '.join(sorted(types - set(pack.alert_types)))}.",
            errors=[FieldError("/type", "unknown alert type")],
        )
    zones = listed(zone)
    if zones - set(pack.quadrants):
        raise InvalidRequest(
            f"Unknown zone {', '.join(sorted(zones - set(pack.quadrants)))}; zones are the city's quadrants.",
            errors=[FieldError("/zone", "unknown quadrant")],
        )
    if since is not None:
        try:
            since = clock.iso(clock.parse_iso(since))
        except ValueError:
            raise InvalidRequest(
                f"since must be a UTC ISO-8601 time such as 2026-03-01T12:00:00Z, not {since!r}.",
                errors=[FieldError("/since", "not an ISO-8601 time")],
            ) from None
    return QueueFilter(statuses, types, zones, since, closed)


def queue_item(
    incident: Incident,
    *,
    now: datetime,
    role: str | None = None,
    partner_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One row of the operators' queue; a silent alert shows its zone, never its sender or exact place, and
    offers no action: it is the response team's (`handled_by`). A visitor alert names its partner city
    (`partner_names`: partner id → name, from the agreement), never its caller: that is the incident's."""
    row: dict[str, Any] = {
        "alert_id": incident.alert_id,
        "type": incident.type,
        "priority": incident.priority,
        "silent": incident.silent,
        "status": incident.status,
        "created_at": incident.created_at,
        "age_s": max(0, int((now - clock.parse_iso(incident.created_at)).total_seconds())),
        "block_id": incident.block_id,
        "quadrant_id": incident.quadrant_id,
        "unit_id": incident.unit_id,
    }
    if incident.silent:
        row["actions"] = []
        row["handled_by"] = silent_lifecycle.RESPONSE_TEAM
    else:
        row["actions"] = list(
            lifecycle.allowed_actions(incident.status, has_unit=incident.unit_id is not None, role=role)
        )
    if not incident.silent and incident.lat is not None:
        row["location"] = {"lat": incident.lat, "lon": incident.lon}
    if incident.visitor and not incident.silent:
        partner = incident.visitor["partner"]
        row["visitor"] = {"partner": partner}
        if (partner_names or {}).get(partner):
            row["visitor"]["partner_name"] = (partner_names or {})[partner]
    for name in ("dispatch_time_s", "response_time_s", "met_target"):
        value = getattr(incident, name)
        if value is not None:
            row[name] = value
    return row
