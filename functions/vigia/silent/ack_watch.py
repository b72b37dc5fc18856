"""The ack watch: a silent alert nobody of the response team acknowledged in time is sent to them again.

Run every minute by SilentAckWatchFunction. Pure but for its store and queues: it finds the open silent
alerts still `received`/`dispatched` past the pack's `silent_ack_target_s` (an index Query, never a Scan),
texts the team the neutral SMS once more (once per alert: the store's conditional write decides), and says
how many are overdue (the SilentAckOverdue metric, whose alarm calls the operations on-call).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from vigia import clock
from vigia.city import CityPack
from vigia.dispatch import sms_text
from vigia.dispatch.protocol import SMS, Delivery
from vigia.incidents.lifecycle import Incident
from vigia.silent.lifecycle import ACK_REMINDED
from vigia.silent.routing import NEUTRAL_TEXT, REMINDER, RESPONSE_TEAM


class AckWatchStore(Protocol):
    def unacknowledged_silent(self, created_before: str, priorities: Iterable[int]) -> list[Incident]:
        """Open silent alerts (of these priorities) still received or dispatched, created by the time."""
        ...

    def remind(self, alert_id: str, deliveries: Sequence[Delivery], *, at: str) -> bool:
        """Marks the reminder and records its deliveries in one transaction, if the alert is still
        unacknowledged and was never reminded; False when it was not (then nothing is sent)."""
        ...

    def unsent(self, alert_id: str, kind: str) -> set[str]:
        """The keys of the alert's deliveries of `kind` still waiting to be sent (queued or failed)."""
        ...


class TaskQueues(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None: ...


RECHECK = timedelta(minutes=5)  # how long after its stamp a reminder's enqueue is checked again


@dataclass(frozen=True)
class Watched:
    overdue: int  # open silent alerts past the target with no acknowledge (the metric)
    reminded: tuple[str, ...]  # the alert ids texted again on this run


def reminder(incident: Incident, pack: CityPack) -> tuple[Delivery, ...]:
    """The neutral SMS once more (alert id, zone, time: nothing that names or places her), to every number."""
    quadrant = pack.quadrants.get(incident.quadrant_id) if incident.quadrant_id else None
    created = clock.parse_iso(incident.created_at).astimezone(pack.zone_info)
    values = {
        "alert_id": incident.alert_id,
        "zone": quadrant.name if quadrant else pack.name,
        "time": created.strftime("%H:%M"),
    }
    text = sms_text.fit(NEUTRAL_TEXT.get(pack.locale.split("-")[0], NEUTRAL_TEXT["es"]).format_map(values))
    return tuple(
        Delivery(incident.alert_id, REMINDER, SMS, RESPONSE_TEAM, number, text, pack.locale)
        for number in pack.dispatch.response_team
    )


def watch(*, pack: CityPack, store: AckWatchStore, queues: TaskQueues, now: datetime) -> Watched:
    target = pack.settings.silent_ack_target_s
    priorities = {t.priority for t in pack.alert_types.values() if t.silent}
    overdue = store.unacknowledged_silent(clock.iso(now - timedelta(seconds=target)), priorities)
    reminded: list[str] = []
    at = clock.iso(now)
    for incident in overdue:
        if ACK_REMINDED in incident.stamps:
            # Reminded on an earlier run, whose enqueue may have failed after the stamp: for a few runs
            # after the stamp, what is still queued goes again (the ledger sends each delivery once, so a
            # repeat is harmless). Older reminders are not read again: an alert nobody acknowledges for
            # hours would otherwise cost a read every minute.
            stamped = clock.parse_iso(incident.stamps[ACK_REMINDED])
            if now - stamped > RECHECK:
                continue
            waiting = store.unsent(incident.alert_id, REMINDER)
            if waiting:
                queues.enqueue([d for d in reminder(incident, pack) if d.key in waiting])
            continue
        deliveries = reminder(incident, pack)
        if deliveries and store.remind(incident.alert_id, deliveries, at=at):
            queues.enqueue(deliveries)
            reminded.append(incident.alert_id)
    return Watched(len(overdue), tuple(reminded))
