"""Reviewing a resident: an operator rejects a pending registration, suspends or reinstates a resident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigia import clock
from vigia.city import CityPack
from vigia.errors import Conflict
from vigia.incidents import notices, standing
from vigia.incidents.lifecycle import Actor
from vigia.incidents.stores import AuditNote, Notifier, StandingChange, StandingStore, StepRefused


def review_resident(
    user_id: str,
    action: str,
    *,
    actor: Actor,
    reason: str | None,
    pack: CityPack,
    store: StandingStore,
    notifier: Notifier,
    now: datetime,
) -> dict[str, Any]:
    """Reject a pending registration, suspend an approved resident or reinstate a suspended one."""
    current = store.standing(user_id)
    if current is not None and current.status not in standing.RESIDENT_STATUSES:
        current = None  # not a resident's record
    source, target = standing.review(current, action, user_id)
    assert current is not None
    at = clock.iso(now)
    change = StandingChange(
        user_id=user_id,
        expect_status=source,
        status=target,
        at=at,
        reason=reason,
        by=actor.user_id,
        strikes_reset=action == standing.REINSTATE,
    )
    sms = notices.standing_notice(
        about=notices.resident_subject(user_id),
        user_id=user_id,
        phone=current.phone,
        locale=current.locale,
        status=target,
        reason=reason,
        pack=pack,
    )
    deliveries = [sms] if sms is not None else []
    try:
        store.review(
            change,
            audit=AuditNote(actor.user_id, actor.role, action, "resident", user_id, reason),
            deliveries=deliveries,
        )
    except StepRefused:
        now_is = store.standing(user_id)
        standing.review(now_is, action, user_id)  # raises the 409 (or 404) that explains it
        raise Conflict("The resident changed while we acted; try again.") from None
    answer: dict[str, Any] = {"user_id": user_id, "status": target, "at": at}
    if reason:
        answer["reason"] = reason
    if deliveries:
        try:
            notifier.enqueue(deliveries)
            answer["notified"] = True
        except Exception as failure:
            answer["notified"] = False
            answer["notify_error"] = f"the SMS could not be queued ({type(failure).__name__}); it is recorded"
    else:
        answer["notified"] = False
    return answer
