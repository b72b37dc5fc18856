"""The audit trail (AuditTable): who read or did what to which object, when and why; append-only.

Any area may write to it (sealed identities of silent alerts, incidents…). pk = the target's id,
sk = "<at>#<audit id>", so one Query lists an object's trail oldest first. Entries are only ever put
with a condition, never updated or deleted (the functions' IAM policies grant PutItem and Query only).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.condition import Condition

from vigia import clock
from vigia.adapters.dynamodb.binding import Record, table, unbound

REASON_MAX = 300


@table("audit_table")
class AuditRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)  # the target's id
    sk = UnicodeAttribute(range_key=True)  # "<at>#<audit_id>"
    audit_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()
    target_type = UnicodeAttribute()
    target_id = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    at: str
    actor_id: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_reason(text: str | None) -> str | None:
    """A reason as stored: control characters dropped, spaces collapsed, 300 characters at most."""
    if text is None:
        return None
    kept = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    collapsed = " ".join(kept.split())
    if not collapsed:
        return None
    return collapsed if len(collapsed) <= REASON_MAX else collapsed[: REASON_MAX - 1] + "…"


def entry(
    actor_id: str,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: str,
    reason: str | None = None,
    at: str | None = None,
) -> AuditEntry:
    """A new entry, its reason cleaned, stamped `at` (now when not given)."""
    return AuditEntry(
        audit_id=clock.new_id(),
        at=at or clock.iso(clock.now()),
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=clean_reason(reason),
    )


def record(
    actor_id: str,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: str,
    reason: str | None = None,
    at: str | None = None,
) -> AuditEntry:
    """Appends one entry and returns it. Raises if it could not be stored: callers audit *before* acting."""
    appended_entry = entry(actor_id, actor_role, action, target_type, target_id, reason, at)
    record_of(appended_entry).save(condition=appended())
    return appended_entry


def record_of(new: AuditEntry) -> AuditRecord:
    """The entry as stored (a lifecycle step puts it in its transaction, on the condition `appended()`)."""
    return AuditRecord(new.target_id, f"{new.at}#{new.audit_id}", **new.as_dict())


def appended() -> Condition:
    return AuditRecord.pk.does_not_exist()


def list_for(target_id: str) -> list[AuditEntry]:
    """Every entry about `target_id`, oldest first (one Query, strongly consistent)."""
    return [
        AuditEntry(
            audit_id=r.audit_id,
            at=r.at,
            actor_id=r.actor_id,
            actor_role=r.actor_role,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            reason=r.reason,
        )
        for r in AuditRecord.query(target_id, consistent_read=True)
    ]
