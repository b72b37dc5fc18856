"""KmsSigner: DIGEST-mode signatures KMS makes become JWS a partner verifies; a signature that does not verify
with the key's public half never leaves."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from vigia.adapters import federation_keys
from vigia.adapters.federation_keys import KmsSigner, SigningFailed, public_jwks
from vigia.federation.jws import public_key, sign_detached, thumbprint, verify_detached


class FakeKms:
    """KMS as documented: DIGEST signs the 32 bytes given as the hash; RAW hashes first (4096 bytes max)."""

    def __init__(self, *, signing_key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.signing_key = signing_key or self.key  # another key: a KMS answering with the wrong one
        self.calls: list[tuple[str, int]] = []

    def get_public_key(self, KeyId: str) -> dict[str, Any]:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"KeyId": KeyId, "PublicKey": der}

    def sign(self, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str) -> dict[str, Any]:
        assert SigningAlgorithm == "ECDSA_SHA_256"
        self.calls.append((MessageType, len(Message)))
        if MessageType == "DIGEST":
            assert len(Message) == 32
            signature = self.signing_key.sign(Message, ec.ECDSA(Prehashed(hashes.SHA256())))
        else:
            assert len(Message) <= 4096
            signature = self.signing_key.sign(Message, ec.ECDSA(hashes.SHA256()))
        return {"Signature": signature}


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> FakeKms:
    fake = FakeKms()
    monkeypatch.setattr(federation_keys, "client", lambda service: fake)
    federation_keys.reset()
    yield fake
    federation_keys.reset()


def test_a_large_message_is_signed_in_digest_mode_and_verifies_with_the_published_key(kms):
    body = b"<x>" + b"a" * 60_000 + b"</x>"  # a signing input far over RAW's 4096 bytes
    header = sign_detached(body, KmsSigner("key-1"))
    (jwk,) = public_jwks("key-1")["keys"]
    assert jwk["kid"] == thumbprint(jwk)
    assert verify_detached(body, header, {jwk["kid"]: public_key(jwk)}.get) == jwk["kid"]
    assert kms.calls == [("DIGEST", 32)]  # one Sign call, the digest only


def test_a_signature_kms_made_with_another_key_is_never_used(monkeypatch):
    fake = FakeKms(signing_key=ec.generate_private_key(ec.SECP256R1()))
    monkeypatch.setattr(federation_keys, "client", lambda service: fake)
    federation_keys.reset()
    with pytest.raises(SigningFailed):
        KmsSigner("key-1").sign(b"short")
    with pytest.raises(SigningFailed):
        KmsSigner("key-1").sign(b"x" * 10_000)
    federation_keys.reset()


def test_no_key_configured_is_an_error_not_an_unsigned_message():
    with pytest.raises(ValueError, match="FEDERATION_KEY_ID"):
        KmsSigner("")


def test_the_thumbprint_is_rfc_7638s():
    # RFC 7638's canonical form for an EC key: crv, kty, x, y in that order, no spaces (RFC 7638 §3.2)
    jwk = {"kty": "EC", "crv": "P-256", "x": "abc", "y": "def", "kid": "ignored", "use": "sig"}
    canonical = b'{"crv":"P-256","kty":"EC","x":"abc","y":"def"}'
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    assert thumbprint(jwk) == expected
    assert thumbprint({**jwk, "kid": "other"}) == expected


def test_a_rotation_publishes_every_key_named_in_order_each_once(monkeypatch):
    keys = {name: FakeKms() for name in ("new", "old")}

    class ByKeyId:
        @staticmethod
        def get_public_key(KeyId: str) -> dict[str, Any]:
            return keys[KeyId.rsplit("/", 1)[-1]].get_public_key(KeyId)

    monkeypatch.setattr(federation_keys, "client", lambda service: ByKeyId())
    federation_keys.reset()
    # the signing key first; the same key named again (say by its ARN) is published once
    published = public_jwks("new", "old", "arn:aws:kms:us-east-1:1:key/new")["keys"]
    federation_keys.reset()

    assert [k["kid"] for k in published] == [
        thumbprint(public_jwks_of(keys["new"])),
        thumbprint(public_jwks_of(keys["old"])),
    ]
    assert all(k["kid"] == thumbprint(k) for k in published)


def public_jwks_of(kms: FakeKms) -> dict[str, str]:
    from vigia.federation.jws import public_jwk

    return public_jwk(kms.key.public_key(), "")
