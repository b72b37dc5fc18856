"""Key rotation, our side: with two KMS keys in FederationKeyIds, GET /v1/federation/keys publishes both
(kid = each one's RFC 7638 thumbprint), the signing one first, and a partner whose agreement lists both
verifies a message signed with either — never one signed with a key it was not given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from vigia import runtime
from vigia.adapters.federation_keys import KmsSigner
from vigia.federation import messages
from vigia.federation.agreement import Agreement, Partner
from vigia.federation.jws import KeySigner, public_jwk, sign_detached, thumbprint
from vigia.federation.verifier import FederationRefused, InMemoryReplayGuard, verify

HOME, PARTNER = "godoy-cruz", "penalolen"  # this stack signs as Godoy Cruz; Peñalolén verifies
SQUARE = [[[-69.0, -33.0], [-68.7, -33.0], [-68.7, -32.8], [-69.0, -32.8], [-69.0, -33.0]]]
MADE: list[str] = []  # the two keys' ARNs, in FederationKeyIds order (the first signs)


@pytest.fixture
def template_parameters() -> Callable[[], dict[str, str]]:
    """Two keys made in the emulator's KMS, as a city does in step 1 of a rotation, then FederationKeyIds."""

    def two_keys() -> dict[str, str]:
        kms = boto3.client("kms", region_name="us-east-1")
        MADE[:] = [
            kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
            for _ in range(2)
        ]
        return {"FederationKeyIds": ",".join(MADE)}

    return two_keys


def published(api) -> list[dict[str, Any]]:
    answer = api("GET", "/v1/federation/keys")
    assert answer.status == 200, answer.body
    return list(answer.json["keys"])


def partner_agreement(keys: list[dict[str, Any]]) -> Agreement:
    """Peñalolén's federation.json after step 2: Godoy Cruz with every key it publishes."""
    return Agreement(
        city_id=PARTNER,
        partners=(
            Partner.of(
                partner_id=HOME,
                name="Godoy Cruz",
                endpoint="https://godoy-cruz.example/v1/federation/messages",
                keys=keys,
                jurisdiction=[SQUARE],
                alert_types=["robbery"],
            ),
        ),
    )


def a_cancel(distribution_id: str) -> bytes:
    sent = datetime.now(UTC).replace(microsecond=0)
    envelope = messages.Envelope(distribution_id, HOME, PARTNER, sent, sent + timedelta(minutes=10))
    report = f"{HOME},{HOME}-R1-report,{sent.isoformat().replace('+00:00', '-00:00')}"
    return messages.cancel(envelope, references=report)


def kms_kid(arn: str) -> str:
    der = boto3.client("kms", region_name="us-east-1").get_public_key(KeyId=arn)["PublicKey"]
    return thumbprint(public_jwk(bytes(der), ""))


def test_both_keys_are_published_the_signing_one_first(api, stack):
    keys = published(api)

    assert [k["kid"] for k in keys] == [kms_kid(arn) for arn in MADE]  # in order, each its thumbprint
    assert all(k["kid"] == thumbprint(k) for k in keys)
    assert keys[0]["kid"] == runtime.federation_signer().kid  # the first signs
    assert {k["kid"] for k in keys}.isdisjoint({kms_kid(stack.resources["FederationSigningKey"])})
    assert all(not set(k) & {"d", "p", "q"} for k in keys)


def test_a_message_signed_with_either_key_verifies_for_a_partner_listing_both(api, stack):
    agreement = partner_agreement(published(api))
    now = datetime.now(UTC)
    for n, arn in enumerate(MADE):
        signer = KmsSigner(arn)
        body = a_cancel(f"{HOME}-R1-cancel-{n}")
        verified = verify(body, sign_detached(body, signer), agreement, now, InMemoryReplayGuard())
        assert (verified.partner.partner_id, verified.kid) == (HOME, kms_kid(arn))


def test_an_attackers_key_not_listed_is_refused(api, stack):
    agreement = partner_agreement(published(api))
    now = datetime.now(UTC)
    body = a_cancel(f"{HOME}-R1-cancel")
    attacker = ec.generate_private_key(ec.SECP256R1())
    own_kid = thumbprint(public_jwk(attacker.public_key(), ""))
    unlisted_kms = boto3.client("kms", region_name="us-east-1").create_key(
        KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY"
    )["KeyMetadata"]["Arn"]
    forged = {
        "its own kid": (KeySigner(attacker, own_kid), 401, "federation-unknown-key"),
        "a listed kid": (KeySigner(attacker, kms_kid(MADE[1])), 401, "federation-bad-signature"),
        "a KMS key of ours not listed": (KmsSigner(unlisted_kms), 401, "federation-unknown-key"),
        # the stack's own FederationSigningKey, left out of FederationKeyIds: retired, so refused
        "a retired key": (KmsSigner(stack.resources["FederationSigningKey"]), 401, "federation-unknown-key"),
    }
    for why, (signer, status, problem) in forged.items():
        with pytest.raises(FederationRefused) as refused:
            verify(body, sign_detached(body, signer), agreement, now, InMemoryReplayGuard())
        assert (refused.value.status, refused.value.problem_type) == (status, problem), why


def test_the_hosts_ack_is_signed_with_the_first_key(api, stack, monkeypatch, tmp_path):
    """What the stack itself signs (its Ack to a partner) verifies with the first published key."""
    from tests.integration.test_federation_receiving import checked_ack, post, report, write_agreement

    found = write_agreement(tmp_path / "federation.json")
    monkeypatch.setenv("FEDERATION_AGREEMENT_PATH", str(tmp_path / "federation.json"))
    runtime.reset()
    body, signature = report(found[PARTNER])
    answer = post(api, body, signature)
    checked_ack(api, answer, body)
    assert answer.headers["Vigia-Signature"]
    assert _kid_of(answer.headers["Vigia-Signature"]) == kms_kid(MADE[0])


def _kid_of(signature: str) -> str:
    from vigia.federation.jws import protected_kid

    return protected_kid(signature)[0]
