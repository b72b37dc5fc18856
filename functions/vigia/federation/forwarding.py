"""The home's side of one message to a partner: sign it, POST it, and believe only the partner's signed Ack.

A 2xx answer to a Report counts only with an Ack signed by one of that partner's keys, from that partner,
to this city, naming that Report. A 409 (the partner already has this distributionID: our earlier try
reached it) counts as delivered only on the same word: the host answers a replay with a re-issued signed Ack
naming the message replayed, checked like the 2xx's, against the distributionID of the bytes sent. Anything
else raises, so the delivery is retried and the fallback runs at the deadline (docs/roaming.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from vigia.federation.agreement import Agreement, Partner
from vigia.federation.jws import SignatureRefused, Signer, sign_detached, verify_detached
from vigia.federation.messages import MessageInvalid, read_message

ALREADY_RECEIVED = 409


class PartnerUnreachable(Exception):
    """No answer, or an answer that is not a success: retried with backoff."""


class AckRefused(Exception):
    """A success status whose Ack is not the partner's signed answer to this message: not delivered."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    signature: str | None  # the answer's Vigia-Signature header


# (endpoint, body, signature header) -> the partner's answer; raises PartnerUnreachable when none comes
Post = Callable[[str, bytes, str], Answer]


def send(
    body: bytes,
    *,
    partner_id: str,
    distribution_id: str,
    needs_ack: bool,
    agreement: Agreement,
    signer: Signer,
    post: Post,
) -> str:
    """Signs and POSTs `body` to the partner; the answer's status as text once it counts as delivered."""
    partner = agreement.partner(partner_id)
    if partner is None:  # the agreement changed under a queued delivery: retried, then dead-lettered
        raise PartnerUnreachable(f"{partner_id} is no partner in this stack's agreement")
    answer = post(partner.endpoint, body, sign_detached(body, signer))
    if answer.status == ALREADY_RECEIVED:
        # Whoever can answer at the partner's endpoint can say 409: only the partner's signed Ack of the very
        # message sent makes it "already delivered". The bytes sent name it (a Cancel's is not its Report's).
        try:
            check_ack(answer, partner, city_id=agreement.city_id, distribution_id=_distribution_id(body))
        except AckRefused as refused:
            raise PartnerUnreachable(
                f"the partner's 409 is not its signed word on this message: {refused}"
            ) from None
        return str(answer.status)
    if not 200 <= answer.status < 300:
        raise PartnerUnreachable(f"the partner answered HTTP {answer.status}")
    if needs_ack:
        check_ack(answer, partner, city_id=agreement.city_id, distribution_id=distribution_id)
    return str(answer.status)


def check_ack(answer: Answer, partner: Partner, *, city_id: str, distribution_id: str) -> None:
    """AckRefused unless the answer is `partner`'s signed CAP Ack to this city of `distribution_id`."""

    def key_for(kid: str) -> ec.EllipticCurvePublicKey | None:
        # only this partner's keys: another partner's good key does not answer for this one
        return next((k.key for k in partner.keys if k.kid == kid), None)

    try:
        verify_detached(answer.body, answer.signature, key_for)
        ack = read_message(answer.body)
    except SignatureRefused as refused:
        raise AckRefused(f"the Ack's signature: {refused.detail}") from None
    except MessageInvalid as invalid:
        raise AckRefused(f"the Ack: {invalid}") from None
    if ack.kind != "Ack" or ack.sender_id != partner.partner_id or ack.recipient_id != city_id:
        raise AckRefused("the answer is not the partner's Ack to this city")
    if ack.in_reply_to != distribution_id:
        raise AckRefused("the Ack answers another message")


def _distribution_id(body: bytes) -> str:
    """The distributionID of a message this city built; AckRefused if it cannot be read (no Ack names it)."""
    try:
        return read_message(body).distribution_id
    except MessageInvalid as invalid:
        raise AckRefused(f"the message sent: {invalid}") from None
