"""The outbox's one routing rule, shared by the stream relay and the watchdog: a new alert goes to
AlertEvents (the public protocol) unless it is silent, in which case it goes to the Silent queue only."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from vigia.alerts.events import alert_created, routing_attributes
from vigia.silent.routing import is_silent, silent_alert_created

if TYPE_CHECKING:
    from vigia.city import CityPack

PUBLIC, SILENT = "public", "silent"

PublishPublic = Callable[[dict[str, Any], dict[str, str]], object]  # AlertCreated and its SNS attributes
AnnounceSilent = Callable[[dict[str, Any]], object]  # SilentAlertCreated to the Silent queue


def relay_new_alert(
    image: Mapping[str, Any],
    *,
    city_id: str,
    silent_types: Collection[str],
    publish: PublishPublic,
    announce_silent: AnnounceSilent,
) -> str:
    """Publishes a stored alert the one way its kind allows; returns PUBLIC or SILENT."""
    if is_silent(image, silent_types):
        announce_silent(silent_alert_created(image, city_id=city_id))
        return SILENT
    event = alert_created(image, city_id=city_id)
    publish(event, routing_attributes(event))
    return PUBLIC


def silent_types(pack: CityPack) -> frozenset[str]:
    """The city pack's silent type codes: a second sign beside the record's own flag."""
    return frozenset(code for code, t in pack.alert_types.items() if t.silent)
