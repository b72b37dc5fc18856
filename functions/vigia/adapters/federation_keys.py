"""The stack's federation signing key in KMS (FederationSigningKey): signs what it sends, publishes its JWKS.

The private key never leaves KMS. Sign runs in DIGEST mode over the SHA-256 of the JWS signing input,
computed here: KMS's RAW mode takes at most 4096 bytes and a signing input may reach ~87 KB. KMS answers
DER; vigia.federation.jws turns it into the raw r||s JWS wants. The kid is the RFC 7638 thumbprint of the
public key, read once per execution environment. During a rotation more keys are published beside the
signing one (FederationKeyIds); only their public halves are read.

Every signature is checked with the key's public half before it is used: a signature a partner would refuse
never leaves. The emulator (moto) does not implement DIGEST (it hashes the digest again), so when a DIGEST
signature does not verify and the input fits RAW's 4096 bytes, it is signed again in RAW mode; anything else
that does not verify is an error, never a message sent.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from vigia.adapters.aws import client
from vigia.federation.jws import public_jwk, public_key, thumbprint

SIGNING_ALGORITHM = "ECDSA_SHA_256"
RAW_LIMIT = 4096  # the most bytes KMS Sign takes with MessageType=RAW


class SigningFailed(RuntimeError):
    """KMS gave a signature the key's own public half does not verify: nothing is sent with it."""


@functools.cache
def _public_jwk(key_id: str) -> dict[str, str]:
    """The key's public JWK, its kid the thumbprint (one GetPublicKey per execution environment)."""
    der = client("kms").get_public_key(KeyId=key_id)["PublicKey"]
    jwk = public_jwk(bytes(der), "")
    return {**jwk, "kid": thumbprint(jwk)}


def public_jwks(*key_ids: str) -> dict[str, list[dict[str, str]]]:
    """This stack's JWK Set as partners put it in their federation.json (GET /v1/federation/keys): each key
    named, in order (the signing one first), a key named twice (its id and its ARN) once."""
    keys: dict[str, dict[str, str]] = {}
    for key_id in key_ids:
        jwk = _public_jwk(key_id)
        keys.setdefault(jwk["kid"], dict(jwk))
    return {"keys": list(keys.values())}


class KmsSigner:
    """vigia.federation.jws.Signer on a KMS ECC_NIST_P256 SIGN_VERIFY key."""

    def __init__(self, key_id: str) -> None:
        if not key_id:
            raise ValueError("no federation signing key configured (FEDERATION_KEY_ID)")
        self._key_id = key_id

    @property
    def kid(self) -> str:
        return _public_jwk(self._key_id)["kid"]

    def sign(self, message: bytes) -> bytes:
        """A DER ECDSA P-256 SHA-256 signature of `message`, checked with the public key."""
        digest = hashes.Hash(hashes.SHA256())
        digest.update(message)
        signature = self._kms_sign(digest.finalize(), "DIGEST")
        if not self._verifies(signature, message) and len(message) <= RAW_LIMIT:
            signature = self._kms_sign(message, "RAW")  # the emulator's DIGEST is not KMS's
        if not self._verifies(signature, message):
            raise SigningFailed(f"KMS key {self._key_id}: its signature does not verify with its public key")
        return signature

    def _kms_sign(self, message: bytes, message_type: str) -> bytes:
        answer: dict[str, Any] = client("kms").sign(
            KeyId=self._key_id, Message=message, MessageType=message_type, SigningAlgorithm=SIGNING_ALGORITHM
        )
        return bytes(answer["Signature"])  # DER

    def _verifies(self, signature: bytes, message: bytes) -> bool:
        try:
            public_key(_public_jwk(self._key_id)).verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True


def reset() -> None:
    """Forget the public key read (tests provision a new key per stack)."""
    _public_jwk.cache_clear()
