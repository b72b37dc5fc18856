"""The host's door for partner messages: signed by a partner's key, for us, in time, once."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.federation.agreement import Agreement, Partner
from vigia.federation.jws import KeySigner, public_jwk, raw_signature, sign_detached
from vigia.federation.messages import MAX_MESSAGE_BYTES, Envelope, ack, cancel, roaming_alert, update
from vigia.federation.verifier import FederationRefused, InMemoryReplayGuard, verify

NOW = datetime(2026, 3, 14, 22, 5, 9, tzinfo=UTC)
GODOY_KEY = ec.generate_private_key(ec.SECP256R1())
GODOY_NEXT_KEY = ec.generate_private_key(ec.SECP256R1())
CONCON_KEY = ec.generate_private_key(ec.SECP256R1())
STRANGER_KEY = ec.generate_private_key(ec.SECP256R1())
SQUARE = ((((-71.0, -34.0), (-70.0, -34.0), (-70.0, -33.0), (-71.0, -33.0), (-71.0, -34.0)),),)


def partner(partner_id: str, *keys: tuple[ec.EllipticCurvePrivateKey, str]) -> Partner:
    return Partner.of(
        partner_id=partner_id,
        name=partner_id,
        endpoint=f"https://{partner_id}.example/v1/federation/messages",
        keys=tuple(public_jwk(key.public_key(), kid) for key, kid in keys),
        jurisdiction=SQUARE,
        alert_types=("robbery",),
    )


# Peñalolén's agreement: Godoy Cruz (two keys during a rotation) and Concón.
AGREEMENT = Agreement(
    city_id="penalolen",
    partners=(
        partner("godoy-cruz", (GODOY_KEY, "gc-2026-01"), (GODOY_NEXT_KEY, "gc-2026-07")),
        partner("concon", (CONCON_KEY, "cc-1")),
    ),
)


def report(
    distribution_id: str = "godoy-cruz-a1-report",
    *,
    sender: str = "godoy-cruz",
    recipient: str = "penalolen",
    sent: datetime = NOW,
    ttl: timedelta = timedelta(minutes=10),
) -> bytes:
    return roaming_alert(
        Envelope(distribution_id, sender, recipient, sent, sent + ttl),
        alert_id="a1",
        alert_type="robbery",
        type_label="Robo",
        lat=-33.47,
        lon=-70.56,
        accuracy_m=10.0,
        raised_at=sent,
        callback_phone="+5492615550101",
        caller_name="Ana",
    )


def signed(body: bytes, key: ec.EllipticCurvePrivateKey = GODOY_KEY, kid: str = "gc-2026-01") -> str:
    return sign_detached(body, KeySigner(key, kid))


def refused(
    body: bytes, header: str | None, *, now: datetime = NOW, guard: InMemoryReplayGuard | None = None
) -> FederationRefused:
    with pytest.raises(FederationRefused) as caught:
        verify(body, header, AGREEMENT, now, guard or InMemoryReplayGuard())
    return caught.value


def test_a_partners_signed_message_for_us_passes_once() -> None:
    body = report()
    guard = InMemoryReplayGuard()
    verified = verify(body, signed(body), AGREEMENT, NOW, guard)
    assert verified.partner.partner_id == "godoy-cruz"
    assert verified.message.distribution_id == "godoy-cruz-a1-report"
    assert verified.kid == "gc-2026-01"
    again = refused(body, signed(body), guard=guard)
    assert (again.status, again.problem_type) == (409, "federation-replayed")


def test_both_keys_of_a_rotation_are_accepted() -> None:
    body = report()
    assert verify(body, signed(body, GODOY_NEXT_KEY, "gc-2026-07"), AGREEMENT, NOW, InMemoryReplayGuard())


def test_the_signature_is_detached_compact_jws_es256() -> None:
    body = report()
    header = signed(body)
    protected, empty, signature = header.split(".")
    assert empty == ""
    decoded = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    assert decoded["alg"] == "ES256"
    assert decoded["kid"] == "gc-2026-01"
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) == 64


def test_oversized_is_413_before_anything_else() -> None:
    body = b" " * (MAX_MESSAGE_BYTES + 1)
    problem = refused(body, None)
    assert (problem.status, problem.problem_type) == (413, "federation-oversized")


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "a.b.c", "..", "e30..AAAA", "eyJhbGciOiJFUzI1NiJ9..AAAA", "!!!..!!!"],
)
def test_a_missing_or_garbled_signature_is_401(header: str | None) -> None:
    problem = refused(report(), header)
    assert problem.status == 401


def _with_header(body: bytes, header: dict[str, object], key: ec.EllipticCurvePrivateKey = GODOY_KEY) -> str:
    """A JWS with a chosen protected header, signed properly: what an attacker could forge with a key."""
    from cryptography.hazmat.primitives import hashes

    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(body).rstrip(b"=")
    der = key.sign(protected + b"." + payload, ec.ECDSA(hashes.SHA256()))
    return protected.decode() + ".." + base64.urlsafe_b64encode(raw_signature(der)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "kid": "gc-2026-01"},
        {"alg": "HS256", "kid": "gc-2026-01"},
        {"alg": "ES384", "kid": "gc-2026-01"},
        {"kid": "gc-2026-01"},
        {"alg": "ES256"},
        {"alg": "ES256", "kid": "gc-2026-01", "crit": ["exp"], "exp": 1},
        {"alg": "ES256", "kid": "gc-2026-01", "b64": False},
        {"alg": "ES256", "kid": ["gc-2026-01"]},
    ],
)
def test_a_header_we_do_not_speak_is_refused_even_when_the_key_signed_it(header: dict[str, object]) -> None:
    body = report()
    assert refused(body, _with_header(body, header)).status == 401


def test_an_unknown_kid_or_a_strangers_key_is_401() -> None:
    body = report()
    unknown = refused(body, signed(body, STRANGER_KEY, "stranger-1"))
    assert (unknown.status, unknown.problem_type) == (401, "federation-unknown-key")
    # a stranger signing under a known kid: the signature does not verify
    forged = refused(body, signed(body, STRANGER_KEY, "gc-2026-01"))
    assert (forged.status, forged.problem_type) == (401, "federation-bad-signature")


def test_a_partner_cannot_speak_for_another_partner() -> None:
    # Concón signs, with its own good key, a message claiming to come from Godoy Cruz
    body = report()
    problem = refused(body, signed(body, CONCON_KEY, "cc-1"))
    assert (problem.status, problem.problem_type) == (401, "federation-wrong-sender")


def test_a_sender_we_have_no_agreement_with_is_401() -> None:
    body = report("lima-1", sender="lima")
    problem = refused(body, signed(body))
    assert problem.status == 401


def test_a_message_for_another_city_cannot_be_replayed_to_us() -> None:
    # Godoy Cruz's signed message to Concón, passed on by Concón to Peñalolén
    body = report(recipient="concon")
    problem = refused(body, signed(body))
    assert (problem.status, problem.problem_type) == (401, "federation-wrong-recipient")


def test_expired_and_from_the_future_are_400() -> None:
    body = report(sent=NOW - timedelta(minutes=20))
    expired = refused(body, signed(body))
    assert (expired.status, expired.problem_type) == (400, "federation-expired")
    at_expiry = report(sent=NOW - timedelta(minutes=10))
    assert refused(at_expiry, signed(at_expiry)).problem_type == "federation-expired"
    early = report(sent=NOW + timedelta(minutes=6))
    future = refused(early, signed(early))
    assert (future.status, future.problem_type) == (400, "federation-from-the-future")
    # a clock a little ahead is fine
    slightly = report(sent=NOW + timedelta(minutes=4))
    assert verify(slightly, signed(slightly), AGREEMENT, NOW, InMemoryReplayGuard())


def test_a_valid_signature_over_something_that_is_not_our_envelope_is_400() -> None:
    body = b"<hello/>"
    problem = refused(body, signed(body))
    assert (problem.status, problem.problem_type) == (400, "federation-invalid-message")


def test_a_replay_is_refused_even_resigned_with_another_sent_time() -> None:
    guard = InMemoryReplayGuard()
    first = report()
    verify(first, signed(first), AGREEMENT, NOW, guard)
    again = report(sent=NOW + timedelta(seconds=30))
    assert refused(again, signed(again), guard=guard).status == 409
    # the same distribution id from ANOTHER partner is its own message
    other = report(sender="concon")
    assert verify(other, signed(other, CONCON_KEY, "cc-1"), AGREEMENT, NOW, guard)


def test_a_refused_message_leaves_no_replay_mark() -> None:
    guard = InMemoryReplayGuard()
    body = report()
    refused(body, signed(body, STRANGER_KEY, "gc-2026-01"), guard=guard)
    refused(body, signed(body), now=NOW + timedelta(hours=1), guard=guard)
    assert verify(body, signed(body), AGREEMENT, NOW, guard)


def test_the_replay_guard_forgets_after_expiry() -> None:
    guard = InMemoryReplayGuard()
    assert guard.first_time("godoy-cruz", "d1", NOW + timedelta(minutes=1), now=NOW)
    assert not guard.first_time("godoy-cruz", "d1", NOW + timedelta(minutes=1), now=NOW)
    assert guard.first_time("godoy-cruz", "d1", NOW + timedelta(minutes=3), now=NOW + timedelta(minutes=2))


# --- property tests: play the attacker over generated messages -------------------------------------

ids = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)
statuses = st.sampled_from(["acknowledged", "assigned", "en_route", "on_scene", "resolved", "false_alarm"])


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """Any kind Godoy Cruz may send: a Report, a Cancel of its own, an Ack or Update of Peñalolén's."""
    distribution_id = draw(ids)
    sent = NOW - timedelta(seconds=draw(st.integers(0, 299)))
    envelope = Envelope(distribution_id, "godoy-cruz", "penalolen", sent, sent + timedelta(minutes=10))
    theirs = "penalolen,penalolen-x-report,2026-03-14T19:00:00-03:00"
    kind = draw(st.sampled_from(["Report", "Update", "Ack", "Cancel"]))
    if kind == "Report":
        return report(distribution_id, sent=sent, ttl=timedelta(seconds=draw(st.integers(301, 3600))))
    if kind == "Update":
        return update(envelope, references=theirs, status=draw(statuses))
    if kind == "Ack":
        return ack(envelope, references=theirs)
    return cancel(envelope, references=f"godoy-cruz,godoy-cruz-{distribution_id},2026-03-14T19:00:00-03:00")


@settings(max_examples=60, deadline=None)
@given(body=messages(), data=st.data())
def test_any_single_bit_flip_of_body_or_signature_is_refused(body: bytes, data: st.DataObject) -> None:
    header = signed(body)
    assert verify(body, header, AGREEMENT, NOW, InMemoryReplayGuard())
    bit = data.draw(st.integers(0, len(body) * 8 - 1))
    flipped = bytearray(body)
    flipped[bit // 8] ^= 1 << (bit % 8)
    problem = refused(bytes(flipped), header)
    assert problem.status == 401
    protected, _, signature = header.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    sig_bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    raw[sig_bit // 8] ^= 1 << (sig_bit % 8)
    bad = protected + ".." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert refused(body, bad).status == 401
    header_bytes = bytearray(header.encode())
    at = data.draw(st.integers(0, len(header_bytes) - 1))
    header_bytes[at] ^= 1 << data.draw(st.integers(0, 6))
    assert refused(body, header_bytes.decode("latin-1")).status in (401,)


@settings(max_examples=30, deadline=None)
@given(body=messages(), signer=st.sampled_from(["concon", "stranger-known-kid", "stranger-own-kid"]))
def test_any_message_signed_by_another_key_is_refused(body: bytes, signer: str) -> None:
    key, kid = {
        "concon": (CONCON_KEY, "cc-1"),
        "stranger-known-kid": (STRANGER_KEY, "gc-2026-01"),
        "stranger-own-kid": (STRANGER_KEY, "x-1"),
    }[signer]
    assert refused(body, signed(body, key, kid)).status == 401


@settings(max_examples=30, deadline=None)
@given(body=messages(), late=st.integers(0, 7200))
def test_only_a_valid_fresh_first_message_passes(body: bytes, late: int) -> None:
    guard = InMemoryReplayGuard()
    header = signed(body)
    now = NOW + timedelta(seconds=late)
    if verified_expiry(body) <= now:
        assert refused(body, header, now=now, guard=guard).problem_type == "federation-expired"
        return
    verified = verify(body, header, AGREEMENT, now, guard)
    assert verified.message.expires > now
    assert refused(body, header, now=now, guard=guard).status == 409


def verified_expiry(body: bytes) -> datetime:
    return verify(
        body, signed(body), AGREEMENT, NOW - timedelta(minutes=4), InMemoryReplayGuard()
    ).message.expires


def test_public_jwk_of_a_kms_style_der_public_key_matches_the_key() -> None:
    der = GODOY_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_jwk(der, "gc-2026-01") == public_jwk(GODOY_KEY.public_key(), "gc-2026-01")
    assert "d" not in public_jwk(der, "gc-2026-01")


def test_every_single_bit_flip_of_the_signature_header_is_refused() -> None:
    # exhaustive, not sampled: base64url's last character has spare bits, and a flip there must not pass
    body = report()
    header = signed(body)
    guard = InMemoryReplayGuard()
    outcomes = set()
    for at in range(len(header)):
        for bit in range(7):
            flipped = bytearray(header.encode("ascii"))
            flipped[at] ^= 1 << bit
            outcomes.add(refused(body, flipped.decode("ascii"), guard=guard).status)
    assert outcomes == {401}


def test_a_report_of_a_type_the_agreement_does_not_exchange_is_refused() -> None:
    body = roaming_alert(
        Envelope("godoy-cruz-a2-report", "godoy-cruz", "penalolen", NOW, NOW + timedelta(minutes=10)),
        alert_id="a2",
        alert_type="domestic_violence",
        type_label="Violencia",
        lat=-33.47,
        lon=-70.56,
        accuracy_m=10.0,
        raised_at=NOW,
        callback_phone="+5492615550101",
        caller_name="Ana",
    )
    guard = InMemoryReplayGuard()
    problem = refused(body, signed(body), guard=guard)
    assert (problem.status, problem.problem_type) == (400, "federation-type-not-agreed")
    # and it left no replay mark: the same id, of an agreed type, still passes
    assert verify(
        report("godoy-cruz-a2-report"), signed(report("godoy-cruz-a2-report")), AGREEMENT, NOW, guard
    )


def test_the_envelope_knows_its_own_reference() -> None:
    envelope = Envelope("godoy-cruz-a1-report", "godoy-cruz", "penalolen", NOW, NOW + timedelta(minutes=10))
    body = report()
    assert (
        envelope.reference
        == verify(body, signed(body), AGREEMENT, NOW, InMemoryReplayGuard()).message.reference
    )


def test_a_refusal_reaches_the_partner_as_problem_json_naming_the_check_not_the_content() -> None:
    from vigia.api import problems

    body = report()
    status, headers, text = problems.from_error(refused(body, signed(body, STRANGER_KEY, "gc-2026-01")))
    answer = json.loads(text)
    assert (status, headers["Content-Type"]) == (401, "application/problem+json")
    assert answer["type"] == "https://vigia.city/problems/federation-bad-signature"
    assert answer["status"] == 401
    assert not [secret for secret in ("Ana", "+549", "-33.47") if secret in text]
