"""The local stack's outbox: one JSON line per message that leaves (SMS, siren command, webhook)."""

from __future__ import annotations

import json
import threading
from typing import Any

from vigia import clock, settings

_lock = threading.Lock()


def record(channel: str, recipient: str, alert_id: str, body: str, **extra: Any) -> None:
    """Appends the message to settings.outbox_path; does nothing where no outbox is set (the cloud)."""
    path = settings.get().outbox_path
    if path is None:
        return
    line = json.dumps(
        {
            "channel": channel,
            "recipient": recipient,
            "alert_id": alert_id,
            "body": body,
            "time": clock.iso(clock.now()),
            **extra,
        },
        ensure_ascii=False,
    )
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
