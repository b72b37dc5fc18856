"""The audit trail (AuditTable): who read or did what to which object, when and why; append-only.

Any area may write to it (sealed identities of silent alerts, incidents, staff accounts…). pk = the
target's id, sk = "<at>#<audit id>", so one Query lists an object's trail oldest first. Three indexes
share that sort key so an admin's filters are Queries too, never a scan: by_actor (actor_id), by_action
(action) and by_day (the UTC date of `at`, for "everything between two times"). Entries are only ever put
with a condition, never updated or deleted (the functions' IAM policies grant PutItem and Query only).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from vigia import clock
from vigia.adapters.dynamodb import cursors
from vigia.adapters.dynamodb.binding import Record, table, unbound
from vigia.errors import FieldError, Unprocessable

REASON_MAX = 300
# The most days one "everything between two times" search walks on by_day (one Query a day).
DAY_WALK_MAX = 92


class _BySortKey(GlobalSecondaryIndex["AuditRecord"]):
    sk = UnicodeAttribute(range_key=True)


class AuditByActor(_BySortKey):
    class Meta:
        index_name = "by_actor"
        projection = AllProjection()

    actor_id = UnicodeAttribute(hash_key=True)


class AuditByAction(_BySortKey):
    class Meta:
        index_name = "by_action"
        projection = AllProjection()

    action = UnicodeAttribute(hash_key=True)


class AuditByDay(_BySortKey):
    class Meta:
        index_name = "by_day"
        projection = AllProjection()

    day = UnicodeAttribute(hash_key=True)


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
    day = UnicodeAttribute(null=True)  # at[:10]; entries written before by_day existed have none
    by_actor = AuditByActor()
    by_action = AuditByAction()
    by_day = AuditByDay()


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
    return AuditRecord(new.target_id, f"{new.at}#{new.audit_id}", day=new.at[:10], **new.as_dict())


def appended() -> Condition:
    return AuditRecord.pk.does_not_exist()


def _entry_of(r: AuditRecord) -> AuditEntry:
    return AuditEntry(
        audit_id=r.audit_id,
        at=r.at,
        actor_id=r.actor_id,
        actor_role=r.actor_role,
        action=r.action,
        target_type=r.target_type,
        target_id=r.target_id,
        reason=r.reason,
    )


def list_for(target_id: str) -> list[AuditEntry]:
    """Every entry about `target_id`, oldest first (one Query, strongly consistent)."""
    return [_entry_of(r) for r in AuditRecord.query(target_id, consistent_read=True)]


@dataclass(frozen=True)
class Search:
    """An admin's filters: any of actor, action, target, and a time range [since, until] (ISO, UTC)."""

    actor_id: str | None = None
    action: str | None = None
    target_id: str | None = None
    since: str | None = None
    until: str | None = None


def encode_cursor(sk: str) -> str:
    return cursors.encode({"s": sk})


def decode_cursor(cursor: str) -> str:
    """The sort key a page ended at; 422 for a cursor this listing did not give out."""
    data = cursors.decode(cursor)
    sk = data.get("s") if isinstance(data, dict) else None
    if not isinstance(sk, str) or "#" not in sk or len(sk) > 128:
        raise cursors.foreign(
            "The cursor belongs to another listing; start again without it.", "not for this listing"
        )
    return sk


def filtered(
    *,
    actor_id: str | None,
    action: str | None,
    target_id: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntry], str | None]:
    """GET /v1/audit's filters (runtime.audit_search): a page of entries, newest first; the next cursor."""
    after = decode_cursor(cursor) if cursor else None
    return search(Search(actor_id, action, target_id, since, until), limit=limit, after=after)


def search(filters: Search, *, limit: int, after: str | None = None) -> tuple[list[AuditEntry], str | None]:
    """Entries matching every filter, newest first, at most `limit`, and the cursor of the next page.

    The most selective key decides the Query: the target (the table's own key), else the actor
    (by_actor), else the action (by_action), else each day of the range on by_day, newest day first;
    the other filters are conditions on that Query. `after` is the sort key the previous page ended at.
    A search by time alone over more than DAY_WALK_MAX days is a 422."""
    lower = filters.since or "0"  # sorts before every time (a key may not be empty)
    upper = (filters.until or "9999") + "~"  # "~" sorts after "#<audit id>": the `until` instant included
    if after is not None:
        upper = min(upper, after)
    found: list[AuditEntry] = []
    for record in _matching(filters, lower, upper):
        if record.sk >= upper:  # the page's last entry (between() includes its bounds)
            continue
        found.append(_entry_of(record))
        if len(found) > limit:
            break
    if len(found) > limit:
        last = found[limit - 1]
        return found[:limit], encode_cursor(f"{last.at}#{last.audit_id}")
    return found, None


def _matching(filters: Search, lower: str, upper: str) -> Iterator[AuditRecord]:
    condition: Condition | None = None
    for attribute, value in (
        (AuditRecord.actor_id, filters.actor_id),
        (AuditRecord.action, filters.action),
        (AuditRecord.target_id, filters.target_id),
    ):
        if value is not None:
            condition = attribute == value if condition is None else condition & (attribute == value)
    in_range = AuditRecord.sk.between(lower, upper)
    # the most selective key given: the table's own (target), else by_actor, else by_action
    keyed = [
        (query, key)
        for query, key in (
            (AuditRecord.query, filters.target_id),
            (AuditRecord.by_actor.query, filters.actor_id),
            (AuditRecord.by_action.query, filters.action),
        )
        if key is not None
    ]
    if keyed:
        query, key = keyed[0]
        yield from query(
            key,
            range_key_condition=in_range,
            filter_condition=condition,
            scan_index_forward=False,  # newest first
            page_size=100,
        )
    else:
        for day in _days(filters.since, filters.until, upper):
            yield from AuditRecord.by_day.query(
                day, range_key_condition=in_range, scan_index_forward=False, page_size=100
            )


def _days(since: str | None, until: str | None, upper: str) -> list[str]:
    """The UTC dates from the range's end back to its start (or DAY_WALK_MAX days back), newest first."""
    last = clock.parse_iso(until).date() if until else clock.now().date()
    if upper[:10] < last.isoformat() and upper[:4] != "9999":
        last = clock.parse_iso(upper.split("#")[0]).date()  # a later page starts where the last ended
    first = clock.parse_iso(since).date() if since else last - timedelta(days=DAY_WALK_MAX - 1)
    if (last - first).days >= DAY_WALK_MAX:
        raise Unprocessable(
            f"Name an actor, action or target, or ask for at most {DAY_WALK_MAX} days at a time.",
            errors=[FieldError("/from", "range too wide without an actor, action or target")],
        )
    return [(last - timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
