"""Reading one silent alert through the API: the access table decides, every unsealing is audited first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from vigia import clock
from vigia.alerts.submission import Alert, Sealer
from vigia.api.auth import Caller
from vigia.city.pack import CityPack
from vigia.errors import NotFound
from vigia.silent.access import HIDDEN, SEALED, access_to_silent_alert
from vigia.silent.sealing import unseal
from vigia.silent.views import sealed_view, unsealed_view

Audit = Callable[..., object]  # adapters.audit.record


def read_silent_alert(
    alert: Alert,
    *,
    who: Caller,
    reason: str | None,
    pack: CityPack,
    sealer: Sealer,
    audit: Audit,
    now: datetime,
) -> dict[str, Any]:
    """The view `who` may have of a silent alert; NotFound for anyone the access table does not name.

    The audit entry is written before the envelope is opened: if it cannot be written, nothing is read.
    """
    level = access_to_silent_alert(who.roles)
    if level == HIDDEN:
        raise NotFound(f"No alert {alert.alert_id}.")
    if level == SEALED:
        return sealed_view(alert, pack)
    audit(who.user_id, "response_team", "unseal", "alert", alert.alert_id, reason=reason, at=clock.iso(now))
    return unsealed_view(alert, unseal(alert, sealer, city_id=pack.city_id), pack)
