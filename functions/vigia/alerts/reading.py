"""Who may read which alert: the sender her own, staff any, a silent one as its access table says."""

from __future__ import annotations

from typing import Any

from vigia.alerts.model import Alert
from vigia.callers import Caller
from vigia.city import CityPack
from vigia.errors import NotFound
from vigia.silent.reading import read_silent_alert


def read_alert(alert: Alert | None, alert_id: str, *, who: Caller, pack: CityPack) -> dict[str, Any]:
    """What `who` may see of one alert; NotFound if nothing (another resident's alert is as good as absent).

    A silent alert is sealed for everyone here; the response team opens it at GET /v1/silent-alerts/{id}
    (SilentApiFunction: ApiFunction cannot decrypt). docs/silent-alarms.md
    """
    if alert is not None and alert.silent:
        return read_silent_alert(alert, who=who, pack=pack)
    if alert is None or not (who.is_staff or alert.sender_id == who.user_id):
        raise NotFound(f"No alert {alert_id}.")
    return alert.view()
