"""Publishing live events: stored for catch-up, then posted to each connection whose roles may see them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from vigia.live.events import LiveEvent, for_roles


@dataclass(frozen=True)
class Connection:
    """A console connected to the WebSocket API: who, with which staff roles."""

    connection_id: str
    user_id: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Published:
    events: int
    posts: int
    gone: int


def message(event: LiveEvent) -> bytes:
    return json.dumps(event.body(), separators=(",", ":")).encode()


def publish(
    events: Sequence[LiveEvent],
    *,
    store: Callable[[Sequence[LiveEvent]], object],
    connections: Iterable[Connection],
    post: Callable[[str, bytes], bool],
    forget: Callable[[str], object],
) -> Published:
    """Stores the events first (a console that misses a post catches up from the store), then posts each
    connection the events its roles may receive — the filter is applied here, before anything is sent."""
    if not events:
        return Published(0, 0, 0)
    store(events)
    posts = gone = 0
    for connection in connections:
        for event in for_roles(events, connection.roles):
            posts += 1
            if not post(connection.connection_id, message(event)):
                forget(connection.connection_id)  # 410 Gone: the console left without a $disconnect
                gone += 1
                break
    return Published(len(events), posts, gone)
