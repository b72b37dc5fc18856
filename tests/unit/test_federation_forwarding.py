"""The home believes a delivery only on its partner's signed Ack to this very Report
(vigia.federation.forwarding): played by an attacker answering at its endpoint, or by another partner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from vigia.federation import messages
from vigia.federation.agreement import Agreement, Partner
from vigia.federation.forwarding import AckRefused, Answer, PartnerUnreachable, send
from vigia.federation.jws import KeySigner, public_jwk, sign_detached, verify_detached

HOME, PARTNER, THIRD = "godoy-cruz", "penalolen", "concon"
SQUARE = [[[-70.6, -33.5], [-70.5, -33.5], [-70.5, -33.4], [-70.6, -33.4], [-70.6, -33.5]]]
NOW = datetime(2026, 3, 14, 22, 5, 9, tzinfo=UTC)
REPORT_ID = f"{HOME}-01JQ8Z4C3M-report"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


HOME_KEY, PARTNER_KEY, THIRD_KEY, STRANGER = _key(), _key(), _key(), _key()


def _partner(partner_id: str, key: ec.EllipticCurvePrivateKey, kid: str) -> Partner:
    return Partner.of(
        partner_id=partner_id,
        name=partner_id,
        endpoint=f"https://{partner_id}.example/v1/federation/messages",
        keys=[public_jwk(key.public_key(), kid)],
        jurisdiction=[SQUARE],
        alert_types=["robbery"],
    )


AGREEMENT = Agreement(
    city_id=HOME,
    partners=(_partner(PARTNER, PARTNER_KEY, "p-1"), _partner(THIRD, THIRD_KEY, "t-1")),
)
HOME_SIGNER = KeySigner(HOME_KEY, "h-1")
REPORT = messages.Envelope(REPORT_ID, HOME, PARTNER, NOW, NOW + timedelta(days=1))


def ack(*, sender: str = PARTNER, recipient: str = HOME, references: str = REPORT.reference) -> bytes:
    envelope = messages.Envelope(f"{sender}-ack-1", sender, recipient, NOW, NOW + timedelta(minutes=10))
    return messages.ack(envelope, references=references)


def answering(
    status: int, body: bytes = b"", key: ec.EllipticCurvePrivateKey | None = None, kid: str = "p-1"
):
    posted: list[tuple[str, bytes, str]] = []

    def post(url: str, message: bytes, signature: str) -> Answer:
        posted.append((url, message, signature))
        signature_of_answer = sign_detached(body, KeySigner(key, kid)) if key is not None else None
        return Answer(status, body, signature_of_answer)

    return post, posted


def report_body(envelope: messages.Envelope = REPORT) -> bytes:
    return messages.roaming_alert(
        envelope,
        alert_id=envelope.distribution_id.removeprefix(f"{HOME}-").removesuffix("-report"),
        alert_type="robbery",
        type_label="Robo",
        lat=-33.45,
        lon=-70.55,
        accuracy_m=12.0,
        raised_at=NOW - timedelta(seconds=2),
        callback_phone="+5492615550101",
        caller_name="Ana",
    )


def deliver(post, body: bytes | None = None) -> str:
    return send(
        report_body() if body is None else body,
        partner_id=PARTNER,
        distribution_id=REPORT_ID,
        needs_ack=True,
        agreement=AGREEMENT,
        signer=HOME_SIGNER,
        post=post,
    )


def test_the_partners_signed_ack_to_this_report_is_delivered():
    post, posted = answering(200, ack(), PARTNER_KEY)

    assert deliver(post) == "200"
    ((url, body, signature),) = posted
    assert url == f"https://{PARTNER}.example/v1/federation/messages"
    # what a partner checks: the home's key signed these exact bytes
    assert verify_detached(body, signature, {"h-1": HOME_KEY.public_key()}.get) == "h-1"


def test_a_409_with_the_partners_signed_ack_of_this_report_counts_as_delivered():
    # the partner already has this distributionID (our earlier try reached it) and says so, signed
    post, _ = answering(409, ack(), PARTNER_KEY)
    assert deliver(post) == "409"


EARLIER = messages.Envelope(f"{HOME}-01JQ8Z0000-report", HOME, PARTNER, NOW, NOW + timedelta(days=1))


@pytest.mark.parametrize(
    ("body", "key", "kid"),
    [
        (b'{"type": "https://vigia.city/problems/federation-replayed"}', None, "p-1"),  # unsigned, as before
        (ack(), None, "p-1"),  # the right Ack, unsigned
        (ack(), STRANGER, "p-1"),  # a stranger's key under the partner's kid
        (ack(), THIRD_KEY, "t-1"),  # signed by another partner's good key
        (ack(sender=THIRD), THIRD_KEY, "t-1"),  # another partner's own Ack of this distributionID
        (ack(recipient=THIRD), PARTNER_KEY, "p-1"),  # the partner's, but to another city
        (ack(references=EARLIER.reference), PARTNER_KEY, "p-1"),  # replayed: the Ack of an earlier message
        (b'{"type": "federation-replayed"}', PARTNER_KEY, "p-1"),  # signed, but no Ack
    ],
)
def test_a_409_that_is_not_the_partners_signed_word_on_this_message_is_not_delivered(body, key, kid):
    post, _ = answering(409, body, key, kid)
    with pytest.raises(PartnerUnreachable):  # retried; past the deadline the fallback runs
        deliver(post)


def test_a_409_must_name_the_message_sent_whatever_the_caller_says():
    # a Cancel's 409 names the Cancel (the sender passes the Report's id for it): the bytes sent decide
    cancel_envelope = messages.Envelope(
        f"{HOME}-01JQ8Z4C3M-cancel", HOME, PARTNER, NOW, NOW + timedelta(hours=1)
    )
    cancel = messages.cancel(cancel_envelope, references=REPORT.reference)
    for names, delivered in ((cancel_envelope.reference, True), (REPORT.reference, False)):
        post, _ = answering(409, ack(references=names), PARTNER_KEY)
        if delivered:
            assert deliver(post, cancel) == "409"
        else:
            with pytest.raises(PartnerUnreachable):
                deliver(post, cancel)


@pytest.mark.parametrize(
    ("body", "key", "kid"),
    [
        (ack(), STRANGER, "p-1"),  # a stranger's key under the partner's kid
        (ack(), THIRD_KEY, "t-1"),  # another partner's good key answering for this one
        (ack(), None, "p-1"),  # no signature at all
        (ack(sender=THIRD), THIRD_KEY, "t-1"),  # another partner's own Ack
        (ack(recipient=THIRD), PARTNER_KEY, "p-1"),  # the partner's Ack, but to another city
        (ack(references=f"{HOME},{HOME}-OTHER-report,2026-03-14T22:05:09-00:00"), PARTNER_KEY, "p-1"),
        (b"<not-xml", PARTNER_KEY, "p-1"),  # signed, but no Ack
    ],
)
def test_anything_but_the_partners_ack_to_this_report_is_not_delivered(body, key, kid):
    post, _ = answering(200, body, key, kid)
    with pytest.raises(AckRefused):
        deliver(post)


@pytest.mark.parametrize("status", [400, 401, 413, 500, 503])
def test_an_error_status_is_retried(status):
    post, _ = answering(status)
    with pytest.raises(PartnerUnreachable):
        deliver(post)


def test_a_partner_no_longer_in_the_agreement_is_never_posted_to():
    post, posted = answering(200, ack(), PARTNER_KEY)
    with pytest.raises(PartnerUnreachable):
        send(
            report_body(),
            partner_id="nowhere",
            distribution_id=REPORT_ID,
            needs_ack=True,
            agreement=AGREEMENT,
            signer=HOME_SIGNER,
            post=post,
        )
    assert posted == []
