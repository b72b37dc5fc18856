"""Publishing live events: stored for catch-up, then posted to each connection whose roles may see them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from vigia.live.events import LiveEvent, for_roles

PARALLEL_POSTS = 16


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
    parallel: int = PARALLEL_POSTS,
) -> Published:
    """Stores the events first (a console that misses a post catches up from the store), then posts each
    connection the events its roles may receive — the filter is applied here, before anything is sent.

    Posts go out `parallel` connections at a time: each is one HTTPS call of a few milliseconds, and 200
    consoles one after another would make the last one wait seconds."""
    if not events:
        return Published(0, 0, 0)
    store(events)
    plan = [(c.connection_id, [message(e) for e in for_roles(events, c.roles)]) for c in connections]
    plan = [(connection_id, messages) for connection_id, messages in plan if messages]

    def deliver(connection_id: str, messages: list[bytes]) -> tuple[int, bool]:
        for sent, data in enumerate(messages, start=1):
            if not post(connection_id, data):
                forget(connection_id)  # 410 Gone: the console left without a $disconnect
                return sent, True
        return len(messages), False

    if len(plan) <= 1 or parallel <= 1:
        results = [deliver(*item) for item in plan]
    else:
        with ThreadPoolExecutor(max_workers=min(parallel, len(plan))) as pool:
            results = list(pool.map(lambda item: deliver(*item), plan))
    return Published(len(events), sum(n for n, _ in results), sum(1 for _, gone in results if gone))
