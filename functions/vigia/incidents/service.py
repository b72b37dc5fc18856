"""The incidents' use cases in one import for the routes, the adapters and the tests.

Each lives in the module named for what it is about: taking an action on an alert (actions), reviewing a
resident (reviews), the operators' queue (queue), the police units (units), and the Protocols and records
a step's transaction goes through (stores).
"""

from __future__ import annotations

from vigia.incidents.actions import Outcome, take_action, take_silent_action
from vigia.incidents.queue import QueueFilter, queue_filter, queue_item
from vigia.incidents.reviews import review_resident
from vigia.incidents.stores import (
    AuditNote,
    IncidentStore,
    Loaded,
    Notifier,
    StandingChange,
    StandingStore,
    StepRefused,
)
from vigia.incidents.units import unit_item

__all__ = [
    "AuditNote",
    "IncidentStore",
    "Loaded",
    "Notifier",
    "Outcome",
    "QueueFilter",
    "StandingChange",
    "StandingStore",
    "StepRefused",
    "queue_filter",
    "queue_item",
    "review_resident",
    "take_action",
    "take_silent_action",
    "unit_item",
]
