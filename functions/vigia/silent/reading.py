"""Reading silent alerts through the API: the access table decides, every unsealing is audited first.

GET /v1/alerts/{id} (ApiFunction, which cannot decrypt) gives every role the access table admits the sealed
view; the response team opens one at GET /v1/silent-alerts/{id} (SilentApiFunction, the one that can).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from vigia import clock
from vigia.alerts.model import Alert, Sealer
from vigia.callers import Caller
from vigia.city import CityPack
from vigia.errors import NotFound
from vigia.incidents.lifecycle import Incident
from vigia.silent import lifecycle
from vigia.silent.access import HIDDEN, UNSEALED, access_to_silent_alert
from vigia.silent.sealing import unseal
from vigia.silent.views import sealed_view, unsealed_view

Audit = Callable[..., object]  # adapters.dynamodb.audit.record
UNSEALED_ROUTE = "/v1/silent-alerts/{alert_id}"


def read_silent_alert(alert: Alert, *, who: Caller, pack: CityPack) -> dict[str, Any]:
    """The sealed view for anyone the access table names (the response team gets the link to open it);
    NotFound for everyone else. Opens nothing: ApiFunction has no right to decrypt."""
    level = access_to_silent_alert(who.roles)
    if level == HIDDEN:
        raise NotFound(f"No alert {alert.alert_id}.")
    view = sealed_view(alert, pack)
    if level == UNSEALED:
        view["unsealed_view"] = UNSEALED_ROUTE.format(alert_id=alert.alert_id)
    return view


def open_silent_alert(
    alert: Alert,
    incident: Incident | None,
    *,
    who: Caller,
    reason: str | None,
    pack: CityPack,
    sealer: Sealer,
    audit: Audit,
    now: datetime,
) -> dict[str, Any]:
    """The response team's unsealed view of one silent alert, with its lifecycle and the actions it allows.

    The audit entry is written before the envelope is opened: if it cannot be written, nothing is read.
    """
    if not alert.silent or not alert.sealed or access_to_silent_alert(who.roles) != UNSEALED:
        raise NotFound(f"No silent alert {alert.alert_id}.")
    audit(who.user_id, "response_team", "unseal", "alert", alert.alert_id, reason=reason, at=clock.iso(now))
    view = unsealed_view(alert, unseal(alert, sealer, city_id=pack.city_id), pack)
    if incident is not None:
        steps = lifecycle.view(incident)
        view["lifecycle"] = {k: steps[k] for k in ("outcome", "times", "timeline", "allowed_actions")}
    return view
