"""The live events (notify-then-fetch) and the one rule of who may receive each kind.

An event says only what changed — its kind and the id to re-fetch (an alert, a unit, a dead-letter queue) —
never a person, a place or a message: the console fetches the rest from the API, whose authorisation decides
what each user sees. Who may be told is decided here, once, when the event is published: a silent alert is
told to the response team and to no one else, not even as an id.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigia.silent.routing import is_silent

ALERT, SILENT_ALERT, UNIT, DELIVERY, DLQ = "alert", "silent_alert", "unit", "delivery", "dlq"

# Who may receive each kind: the roles of the API routes a console re-fetches it with (GET /v1/alerts and
# /v1/alerts/{id} for operators, admins and police; the response team's silent routes; GET /v1/units;
# GET /v1/alerts/{id}/deliveries and /v1/admin/dlq for operators and admins). Analysts and residents: none.
AUDIENCE: Mapping[str, frozenset[str]] = {
    ALERT: frozenset({"operator", "admin", "police"}),
    SILENT_ALERT: frozenset({"response_team"}),
    UNIT: frozenset({"operator", "admin", "police"}),
    DELIVERY: frozenset({"operator", "admin"}),
    DLQ: frozenset({"operator", "admin"}),
}
KINDS = tuple(AUDIENCE)


@dataclass(frozen=True)
class LiveEvent:
    event_id: str  # sortable by time: the cursor of GET /v1/events
    kind: str
    at: str
    alert_id: str | None = None
    unit_id: str | None = None
    queue: str | None = None

    @property
    def audience(self) -> frozenset[str]:
        return AUDIENCE[self.kind]

    def visible_to(self, roles: Collection[str]) -> bool:
        return bool(self.audience.intersection(roles))

    def body(self) -> dict[str, Any]:
        """The event as posted and listed: `{event_id, kind, alert_id?, unit_id?, queue?, at}`."""
        out: dict[str, Any] = {"event_id": self.event_id, "kind": self.kind}
        for name in ("alert_id", "unit_id", "queue"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["at"] = self.at
        return out


def event_id(at: datetime) -> str:
    """Sortable by time (microseconds, UTC) then random: two events of one instant both keep their place."""
    return f"{at.strftime('%Y%m%dT%H%M%S%f')}Z-{secrets.token_hex(4)}"


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def alert_changed(
    new: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    *,
    silent_types: Collection[str],
    at: datetime,
) -> LiveEvent | None:
    """An alert (an incident) was stored or moved: `alert`, or `silent_alert` if either image is silent."""
    image = new or old
    if not image or image.get("sk") != "ALERT" or not image.get("pk"):
        return None
    silent = any(i is not None and is_silent(i, silent_types) for i in (new, old))
    kind = SILENT_ALERT if silent else ALERT
    return LiveEvent(event_id(at), kind, _stamp(at), alert_id=str(image["pk"]))


def unit_changed(unit_id: str, *, at: datetime) -> LiveEvent:
    return LiveEvent(event_id(at), UNIT, _stamp(at), unit_id=unit_id)


def delivery_changed(alert_id: str, *, silent: bool | None, at: datetime) -> LiveEvent | None:
    """A delivery of an alert moved. A silent alert's (or an alert we cannot place: None) tells no one."""
    if silent is not False:
        return None
    return LiveEvent(event_id(at), DELIVERY, _stamp(at), alert_id=alert_id)


def dead_letters_changed(queue: str, *, at: datetime) -> LiveEvent:
    return LiveEvent(event_id(at), DLQ, _stamp(at), queue=queue)


def dead_letters_moved(
    depths: Mapping[str, int], before: Mapping[str, int], *, at: datetime
) -> list[LiveEvent]:
    """A `dlq` event for each dead-letter queue whose depth changed since it was last seen (unseen: 0)."""
    return [dead_letters_changed(q, at=at) for q, depth in depths.items() if depth != before.get(q, 0)]


def coalesce(events: Iterable[LiveEvent | None]) -> list[LiveEvent]:
    """One event per thing changed in a batch (the last): a notice asks for a re-fetch, once is enough."""
    latest: dict[tuple[str, str | None, str | None, str | None], LiveEvent] = {}
    for e in events:
        if e is not None:
            key = (e.kind, e.alert_id, e.unit_id, e.queue)
            latest.pop(key, None)
            latest[key] = e
    return list(latest.values())


def for_roles(events: Iterable[LiveEvent], roles: Collection[str]) -> list[LiveEvent]:
    """What a connection (or a caller) with these roles may receive."""
    return [e for e in events if e.visible_to(roles)]
