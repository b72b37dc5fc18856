"""A partner city's signed messages (the host's door) and this stack's public keys (docs/roaming.md)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime
from vigia.errors import VigiaError
from vigia.handlers.routes.common import Request, json_response, route
from vigia.observability import logger, metrics

if TYPE_CHECKING:
    from vigia.federation.messages import Message

router = APIGatewayHttpRouter()

ACK_LIFETIME = timedelta(minutes=10)
ACTOR_ROLE = "federation_partner"


class _Deferred:
    """A ReplayGuard that only remembers what `verify` asked: the host's own checks run before the real mark
    is written, so a message refused by them leaves no mark either."""

    asked: tuple[str, str, datetime] | None = None

    def first_time(self, partner_id: str, distribution_id: str, expires_at: datetime) -> bool:
        self.asked = (partner_id, distribution_id, expires_at)
        return True


def _audit(actor: str, action: str, target_type: str, target_id: str, reason: str) -> None:
    runtime.audit_record()(actor, ACTOR_ROLE, action, target_type, target_id, reason)


def _refused(partner_id: str | None, refused: VigiaError) -> None:
    """The one trace a refused message leaves: an audit line (never its content) and a log line."""
    who = partner_id or "unknown"
    reason = f"{refused.status} {refused.slug}: {refused.detail}"
    logger.warning("federation message refused", extra={"partner": who, "problem": refused.slug})
    metrics.add_metric(name="FederationRefused", unit="Count", value=1)
    _audit(who, "federation_message_refused", "federation_message", f"federation#{who}", reason)


@route(router, "POST /v1/federation/messages")
def receive(request: Request) -> Response:
    from vigia.federation import hosting
    from vigia.federation.hosting import FIRST, IN_FLIGHT
    from vigia.federation.verifier import REPLAYED, FederationRefused, verify

    now = clock.now()
    pack = runtime.city_pack()
    agreement = runtime.federation_agreement()
    deferred = _Deferred()
    partner_id = None
    try:
        verified = verify(request.raw, request.headers.get("Vigia-Signature"), agreement, now, deferred)
        partner_id, message = verified.partner.partner_id, verified.message
        hosting.check_report(message, pack, verified.partner)
        guard = runtime.replay_guard()
        taken = guard.take(partner_id, message.distribution_id, message.expires, now=now.timestamp())
        if taken == IN_FLIGHT:
            raise hosting.InProgress("this message is being received now; send it again in a minute")
        if taken != FIRST:
            # Already received and acted on: audited as a replay, and answered with this city's signed Ack
            # naming it, so the home can tell our "I have it" from anyone's 409 (docs/roaming.md)
            _refused(
                partner_id,
                FederationRefused(
                    409, REPLAYED, "this distributionID was already received from this partner"
                ),
            )
            return _signed_ack(409, message, partner_id, pack.city_id, now)
    except VigiaError as refused:
        _refused(partner_id, refused)
        raise
    target_type, target_id = "federation_message", f"federation#{partner_id}"
    try:
        if hosting.is_drill(message):
            pass  # verified, marked, audited and acknowledged: a drill sends no police
        elif message.kind == "Report":
            alert, created = hosting.receive_report(
                message,
                verified.partner,
                pack=pack,
                alerts=runtime.alerts(),
                now=now,
                sealer=runtime.sealer(),
            )
            runtime.report_pointers().remember(partner_id, message.distribution_id, alert.alert_id)
            target_type, target_id = "alert", alert.alert_id
            if created:
                metrics.add_metric(name="VisitorAlertsReceived", unit="Count", value=1)
        elif message.kind == "Update":
            target_id, moved = hosting.receive_update(
                message,
                partner_id,
                pack=pack,
                alerts=runtime.alerts(),
                marks=runtime.roaming_marks(),
                now=now,
            )
            target_type = "alert"
            if not moved:  # received (and Acked, so the host stops sending it) but behind what she sees
                logger.info("a partner's Update came after a later one", extra={"alert_id": target_id})
        else:
            target_type, target_id = (
                "alert",
                hosting.cancel_visitor(
                    message,
                    partner_id,
                    pack=pack,
                    alerts=runtime.alerts(),
                    pointers=runtime.report_pointers(),
                    canceller=runtime.alert_canceller(),
                    announce=runtime.cancellation_notice(),
                    now=now,
                ),
            )
    except Exception as failed:
        # Not acted on: the mark goes, so the partner's retry of this very message is not a "replay".
        with contextlib.suppress(Exception):
            guard.forget(partner_id, message.distribution_id)
        if isinstance(failed, VigiaError):
            _refused(partner_id, failed)
        raise
    with contextlib.suppress(Exception):  # if this fails, the next delivery takes the stale mark over
        guard.done(partner_id, message.distribution_id)
    _audit(
        partner_id,
        "federation_message_received",
        target_type,
        target_id,
        f"{message.status} {message.kind} {message.distribution_id}",
    )
    logger.info(
        "federation message received",
        extra={"partner": partner_id, "kind": message.kind, "target": target_id},
    )
    return _signed_ack(200, message, partner_id, pack.city_id, now)


def _signed_ack(status: int, message: Message, partner_id: str, city_id: str, now: datetime) -> Response:
    """This city's CAP Ack of `message`, signed with its key: 200 when just received, 409 for a replay of
    one received before (the same word again, so only our key can say "already delivered")."""
    from vigia.federation.jws import SIGNATURE_HEADER, sign_detached
    from vigia.federation.messages import CONTENT_TYPE, Envelope, ack

    envelope = Envelope(
        f"{city_id}-{clock.new_id(now)}-ack",
        city_id,
        partner_id,
        now.replace(microsecond=0),
        now.replace(microsecond=0) + ACK_LIFETIME,
        status=message.status,
    )
    body = ack(envelope, references=message.reference)
    signature = sign_detached(body, runtime.federation_signer())
    return Response(status, CONTENT_TYPE, body.decode("utf-8"), {SIGNATURE_HEADER: signature})


@route(router, "GET /v1/federation/keys")
def keys(request: Request) -> Response:
    return json_response(200, runtime.federation_keys(), {"Cache-Control": "max-age=300"})
