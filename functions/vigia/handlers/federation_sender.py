"""FederationSenderFunction: the federation queue → a resident's alert (or its Cancel) signed and POSTed to
the partner city it was raised in; the partner's signed Ack recorded; past the partner's deadline, the
home's own fallback. As host, the CAP Update of a visitor alert's step, signed and POSTed to its home city
(docs/roaming.md)."""

from __future__ import annotations

from vigia import clock, runtime, settings
from vigia.dispatch import roaming
from vigia.dispatch.protocol import ALERT, FEDERATION, Delivery, Plan
from vigia.dispatch.sending import Attempt
from vigia.federation import forwarding, messages
from vigia.federation.agreement import DEFAULT_DEADLINE_S
from vigia.handlers.federation_audit import audited
from vigia.handlers.senders import sender_handler
from vigia.observability import logger, metrics
from vigia.silent import routing as silent_routing

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "RESIDENTS_TABLE",
    "DELIVERIES_TABLE",
    "FEDERATION_QUEUE_URL",
    "SMS_QUEUE_URL",
    "WEBHOOK_QUEUE_URL",
    "FEDERATION_KEY_ID",
)
settings.require_at_start(REQUIRED_SETTINGS)


def send(delivery: Delivery) -> str:
    body = delivery.body.encode("utf-8")
    update = roaming.is_update(delivery.kind)  # the host's Update of a visitor alert: Acked, nothing to mark
    # Every message (a Report, a Cancel, an Update) counts only with the partner's signed Ack naming it: a
    # Cancel believed on a bare 200 would mark her alert cancelled on anyone's word
    status = forwarding.send(
        body,
        partner_id=delivery.recipient,
        distribution_id=messages.read_message(body).distribution_id,  # our own message
        needs_ack=True,
        agreement=runtime.federation_agreement(),
        signer=runtime.federation_signer(),
        post=runtime.post_to_partner(alert_id=delivery.alert_id, kind=delivery.kind),
    )
    # the Ack is the partner's word: recorded before the ledger says sent (a crash here: the retry gets 409)
    now = clock.iso(clock.now())
    if update:
        return status
    if delivery.kind == ALERT:
        runtime.roaming_marks().mark(
            delivery.alert_id, roaming.DELIVERED, at=now, allowed=roaming.BEFORE_DELIVERY
        )
    else:
        runtime.roaming_marks().mark(
            delivery.alert_id, roaming.CANCELLED, at=now, allowed=roaming.CANCELLABLE
        )
    return status


def fall_back_if_due(delivery: Delivery, attempt: Attempt) -> float | None:
    """After a failed Report: the home's fallback once the partner's deadline passed (or no retry is left);
    before that, how long the next retry may wait so that it comes by the deadline."""
    if delivery.kind != ALERT:
        return None
    alert = runtime.alerts().get(delivery.alert_id)
    if alert is None or not alert.roaming:
        return None
    pack = runtime.city_pack()
    partner = runtime.federation_agreement().partner(delivery.recipient)
    deadline_s = partner.deadline_s if partner else DEFAULT_DEADLINE_S
    now = clock.now()
    wait = roaming.fallback_due(
        alert, deadline_s, now=now, last_attempt=attempt.receive_count >= attempt.max_receives
    )
    if wait is not None:
        return wait
    partner_name = partner.name if partner else delivery.recipient
    store = runtime.dispatch_store()
    alert_type = pack.alert_types.get(alert.type)
    if alert_type is None and not alert.silent:
        return None

    def planned() -> Plan:
        if alert.silent:  # the home's response team, neutrally; never her phone, never a CAD
            return silent_routing.plan_silent_fallback(alert, pack, partner_name=partner_name)
        assert alert_type is not None
        sender = store.sender(alert.sender_id)
        return roaming.plan_fallback(alert, alert_type, pack, sender=sender, partner_name=partner_name)

    plan = roaming.fall_back(
        alert,
        planned,
        store=store,
        queues=runtime.task_queues(),
        marks=runtime.roaming_marks(),
        now=now,
    )
    if plan is not None:
        metrics.add_metric(name="RoamingFallbacks", unit="Count", value=1)
        logger.warning(
            "partner not reached by its deadline: the home's fallback runs",
            extra={
                "alert_id": alert.alert_id,
                "partner": delivery.recipient,
                "deliveries": len(plan.deliveries),
            },
        )
        for note in plan.notes:
            logger.warning(note, extra={"alert_id": alert.alert_id})
    return None


# every message sent and Ack received is audited (handlers/federation_audit.py)
lambda_handler = sender_handler(FEDERATION, audited(send), on_failure=fall_back_if_due)
