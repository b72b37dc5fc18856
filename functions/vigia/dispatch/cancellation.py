"""Who may cancel an alert and until when: its sender, within the city's cancel window."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from vigia import clock
from vigia.alerts.model import Alert
from vigia.errors import Conflict, NotFound

# An alert is still "live" in these states; later ones (on scene, resolved, false alarm…) are past cancelling.
CANCELLABLE = ("received", "dispatched", "acknowledged", "assigned", "en_route")
CANCELLED = "cancelled"


class AlertReader(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class Canceller(Protocol):
    def cancel(self, alert_id: str, *, at: str, by: str, allowed: tuple[str, ...]) -> str | None:
        """Sets status cancelled if the alert is in `allowed`; None on success, else the status it has."""
        ...


class CancellationNotice(Protocol):
    def announce(self, alert_id: str, cancelled_at: str) -> None:
        """Queues the AlertCancelled event for the dispatcher."""
        ...


def cancel(
    alert_id: str,
    *,
    sender_id: str,
    window_s: int,
    helpline: str,
    alerts: AlertReader,
    canceller: Canceller,
    notice: CancellationNotice,
    now: datetime,
) -> dict[str, Any]:
    """The sender cancels; everyone who was told hears so. Repeating it is harmless (and re-announces)."""
    alert = alerts.get(alert_id)
    # A silent alert is the response team's to close, never a cancellation the dispatcher hears of: it is
    # as good as absent here whatever the caller claims to be (its sender field names no one anyway).
    if alert is None or alert.silent or alert.sender_id != sender_id:
        raise NotFound(f"No alert {alert_id}.")  # someone else's alert is as good as absent
    at = clock.iso(now)
    if alert.status != CANCELLED:
        age_s = (now - clock.parse_iso(alert.created_at)).total_seconds()
        if age_s > window_s:
            raise Conflict(
                f"An alert can be cancelled only in its first {_span(window_s)}; this one was sent "
                f"{_span(int(age_s))} ago. Call {helpline} to tell the observatory.",
                cancel_window_s=window_s,
            )
        current = canceller.cancel(alert_id, at=at, by=sender_id, allowed=CANCELLABLE)
        if current is not None and current != CANCELLED:
            raise Conflict(
                f"The alert is {current.replace('_', ' ')}: it can no longer be cancelled. "
                f"Call {helpline} to tell the observatory.",
                alert_status=current,
            )
    notice.announce(alert_id, at)
    return {"alert_id": alert_id, "status": CANCELLED, "cancelled_at": at}


def _span(seconds: int) -> str:
    if (seconds >= 120 and seconds % 60 == 0) or seconds >= 600:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"
