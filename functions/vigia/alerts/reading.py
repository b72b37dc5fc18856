"""Who may read which alert: the sender her own, staff any, a silent one as its access table says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigia.alerts.model import Alert
from vigia.callers import Caller
from vigia.city import CityPack
from vigia.errors import NotFound
from vigia.silent.reading import read_silent_alert

# Who calls a visitor back: the monitoring centre. Police, analysts and the response team read where she comes
# from, not her phone (a resident's phone is on no alert view either). docs/roaming.md
CALLS_VISITORS_BACK = frozenset({"operator", "admin"})


def read_alert(
    alert: Alert | None,
    alert_id: str,
    *,
    who: Caller,
    pack: CityPack,
    partner_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What `who` may see of one alert; NotFound if nothing (another resident's alert is as good as absent).

    A silent alert is sealed for everyone here; the response team opens it at GET /v1/silent-alerts/{id}
    (SilentApiFunction: ApiFunction cannot decrypt). docs/silent-alarms.md
    A visitor alert names its partner city by `partner_names` (partner id → name, from the agreement).
    """
    if alert is not None and alert.silent:
        return read_silent_alert(alert, who=who, pack=pack)
    if alert is None or not (who.is_staff or alert.sender_id == who.user_id):
        raise NotFound(f"No alert {alert_id}.")
    partner = alert.visitor.partner if alert.visitor else None
    return alert.view(
        partner_name=(partner_names or {}).get(partner) if partner else None,
        contact=who.has(*CALLS_VISITORS_BACK),
    )
