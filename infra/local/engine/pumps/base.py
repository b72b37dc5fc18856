"""A pump: what a piece of Lambda's or EventBridge's machinery does in the cloud, on a daemon thread.

Every pump delivers in rounds (`poll_once`); its thread runs them until the stack stops, and `drain()`,
`drain_once()` and `drain_all()` run the same rounds synchronously, without long polls or batching windows,
so tests and the bench deliver exactly as the running stack does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger("local_stack.pumps")

IDLE_POLL_S = 0.15
# a pump that has found nothing for a while polls less often, up to this: an idle stack's pumps cost about a
# fifth of a core at IDLE_POLL_S (a stream's GetRecords every 0.15 s, and the emulator's thread answering it)
IDLE_POLL_MAX_S = 0.6


@dataclass
class Delivered:
    """What a pump handed its function: invocations, records in them, and records the function failed."""

    invocations: int = 0
    records: int = 0
    failed: int = 0

    def add(self, records: int, failed: int) -> None:
        self.invocations += 1
        self.records += records
        self.failed += failed


class Pump:
    """A daemon thread that polls until stopped and never dies of a function's (or its own) error.

    `drain()` runs the same delivery synchronously instead, for tests and the bench."""

    name = "pump"

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.delivered = Delivered()  # since the pump was made
        self._draining = False  # no waiting: a long poll or a batching window would only delay a drain

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():  # a stack stopped during its preload never started its pumps
            self._thread.join(timeout)

    def _run(self) -> None:
        idle_s = IDLE_POLL_S
        while not self._stop.is_set():
            try:
                if self.poll_once():
                    idle_s = IDLE_POLL_S
                else:
                    self._stop.wait(idle_s)
                    idle_s = min(idle_s * 1.5, IDLE_POLL_MAX_S)  # half as long again
            except Exception:
                log.exception("%s: polling failed; retrying", self.name)
                self._stop.wait(1.0)

    def poll_once(self) -> bool:
        """One round; True when there was work (poll again at once)."""
        raise NotImplementedError

    def drain(self, *, rounds: int = 500) -> Delivered:
        """Delivers, synchronously, everything there is until nothing more can be delivered now."""
        return drain_all([self], rounds=rounds)[self.name]

    def drain_once(self) -> Delivered:
        """One round of `poll_once` without waiting; what it delivered."""
        before = Delivered(**vars(self.delivered))
        self._draining = True
        try:
            self.poll_once()
        finally:
            self._draining = False
        return Delivered(
            self.delivered.invocations - before.invocations,
            self.delivered.records - before.records,
            self.delivered.failed - before.failed,
        )


def drain_all(pumps: Sequence[Pump], *, rounds: int = 500) -> dict[str, Delivered]:
    """Runs the pumps' rounds in turn, as their threads would, until a whole round delivers nothing (a
    message one function sends is delivered by the next pump); what each pump delivered."""
    delivered = {pump.name: Delivered() for pump in pumps}
    for _ in range(rounds):
        busy = False
        for pump in pumps:
            got = pump.drain_once()
            total = delivered[pump.name]
            total.invocations += got.invocations
            total.records += got.records
            total.failed += got.failed
            busy = busy or got.invocations > 0
        if not busy:
            return delivered
    raise RuntimeError(f"{', '.join(delivered)}: still delivering after {rounds} rounds")
