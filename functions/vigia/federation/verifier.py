"""The host's door for a partner's message: signed by that partner's key, for this city, in time, once.

Order matters and is fixed: size; then the signature over the exact bytes (the kid comes from the JWS
header, so no XML is parsed before the bytes are known to be a partner's); then the envelope and its CAP;
then sender and recipient; then time; and the replay mark last, so a refused message leaves none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from vigia.errors import VigiaError
from vigia.federation.agreement import Agreement, Partner
from vigia.federation.jws import SignatureRefused, verify_detached
from vigia.federation.messages import MAX_MESSAGE_BYTES, Message, MessageInvalid, read_message

CLOCK_SKEW = timedelta(minutes=5)  # a partner's clock may run this far ahead of ours

# problem types (RFC 9457 `type` is https://vigia.city/problems/<slug>), with their status
OVERSIZED = "federation-oversized"  # 413
UNSIGNED = "federation-unsigned"  # 401: no signature, or not a detached ES256 JWS of ours
UNKNOWN_KEY = "federation-unknown-key"  # 401
BAD_SIGNATURE = "federation-bad-signature"  # 401
WRONG_SENDER = "federation-wrong-sender"  # 401: senderID is not the partner whose key signed
WRONG_RECIPIENT = "federation-wrong-recipient"  # 401: signed for another city
INVALID_MESSAGE = "federation-invalid-message"  # 400
EXPIRED = "federation-expired"  # 400
FROM_THE_FUTURE = "federation-from-the-future"  # 400
TYPE_NOT_AGREED = "federation-type-not-agreed"  # 400: a Report of a type the agreement does not exchange
REPLAYED = "federation-replayed"  # 409

_TITLES = {
    413: "Message too large",
    401: "Not a partner's signed message for this city",
    400: "Not a valid federation message",
    409: "Message already received",
}


class FederationRefused(VigiaError):
    """A partner message the host will not act on. Mapped to problem+json at the edge like any VigiaError;
    `detail` names what failed, never the message's content."""

    def __init__(self, status: int, problem_type: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = problem_type
        self.title = _TITLES[status]

    @property
    def problem_type(self) -> str:
        return self.slug


class ReplayGuard(Protocol):
    """Remembers each partner's distribution ids until they expire (the cloud's: a DynamoDB conditional put
    with a TTL at `expires_at`)."""

    def first_time(self, partner_id: str, distribution_id: str, expires_at: datetime) -> bool:
        """True, and remembered, the first time; False for every later one before `expires_at`."""
        ...


class InMemoryReplayGuard:
    """A ReplayGuard for tests and one process: never for Lambda, where each instance has its own memory."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def first_time(
        self, partner_id: str, distribution_id: str, expires_at: datetime, *, now: datetime | None = None
    ) -> bool:
        key = (partner_id, distribution_id)
        with self._lock:
            if now is not None:
                self._seen = {k: until for k, until in self._seen.items() if until > now}
            if key in self._seen:
                return False
            self._seen[key] = expires_at
            return True


@dataclass(frozen=True)
class Verified:
    partner: Partner
    message: Message
    kid: str


def verify(
    body: bytes,
    signature_header: str | None,
    agreement: Agreement,
    now: datetime,
    seen: ReplayGuard,
) -> Verified:
    """The partner and message, if `body` passes every check; FederationRefused (status, type) if not."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise FederationRefused(413, OVERSIZED, f"a federation message is at most {MAX_MESSAGE_BYTES} bytes")

    def key_for(kid: str) -> ec.EllipticCurvePublicKey | None:
        found = agreement.key(kid)
        return found[1].key if found else None

    try:
        kid = verify_detached(body, signature_header, key_for)
    except SignatureRefused as refused:
        problem = {"unsigned": UNSIGNED, "unknown-key": UNKNOWN_KEY}.get(refused.reason, BAD_SIGNATURE)
        raise FederationRefused(401, problem, refused.detail) from None
    found = agreement.key(kid)
    assert found is not None  # verify_detached found it a moment ago; the agreement is immutable
    partner = found[0]
    try:
        message = read_message(body)
    except MessageInvalid as invalid:
        raise FederationRefused(400, INVALID_MESSAGE, str(invalid)) from None
    if message.sender_id != partner.partner_id:
        raise FederationRefused(
            401, WRONG_SENDER, f"senderID {message.sender_id!r} is not the partner whose key signed it"
        )
    if message.recipient_id != agreement.city_id:
        raise FederationRefused(401, WRONG_RECIPIENT, f"the message is addressed to {message.recipient_id!r}")
    if message.expires <= now:
        raise FederationRefused(400, EXPIRED, "dateTimeExpires has passed")
    if message.sent > now + CLOCK_SKEW:
        raise FederationRefused(
            400, FROM_THE_FUTURE, f"dateTimeSent is more than {int(CLOCK_SKEW.total_seconds())} s ahead"
        )
    if message.alert is not None and message.alert.alert_type not in partner.alert_types:
        raise FederationRefused(
            400,
            TYPE_NOT_AGREED,
            f"alert type {message.alert.alert_type!r} does not roam under this agreement",
        )
    if not seen.first_time(partner.partner_id, message.distribution_id, message.expires):
        raise FederationRefused(409, REPLAYED, "this distributionID was already received from this partner")
    return Verified(partner=partner, message=message, kid=kid)
