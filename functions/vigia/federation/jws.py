"""Detached JWS (RFC 7515) ES256 signatures over a message's exact bytes; public keys as JWK (RFC 7517)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ALGORITHM = "ES256"
SIGNATURE_HEADER = "Vigia-Signature"
TYPE = "vigia-federation+xml"  # the protected header's `typ`: what the signed bytes are
_COORDINATE_BYTES = 32  # P-256
_MAX_HEADER_CHARS = 2048  # a protected header of ours is ~80 characters; anything long is not ours
_ALLOWED_HEADER = frozenset({"alg", "kid", "typ"})
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class Signer(Protocol):
    """Signs with the stack's private key, wherever it lives (KMS in the cloud, memory in tests)."""

    @property
    def kid(self) -> str:
        """The key id partners find in their agreement's JWK Set."""
        ...

    def sign(self, message: bytes) -> bytes:
        """An ECDSA P-256 SHA-256 signature of `message`: DER (as KMS returns it) or raw r||s (64 bytes)."""
        ...


class KeySigner:
    """A Signer over a `cryptography` private key: tests and the local pair (never a committed key)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, kid: str) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("ES256 needs a P-256 key")
        self._key = private_key
        self._kid = kid

    @property
    def kid(self) -> str:
        return self._kid

    def sign(self, message: bytes) -> bytes:
        # DER, like KMS's Sign: the same conversion path runs in tests as in the cloud
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))


class SignatureRefused(Exception):
    """The signature header is missing, not ours, or does not verify. `reason` is a short slug."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: any other character or a non-canonical tail is refused."""
    if not text or any(c not in _B64URL for c in text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(data) != text:  # unused trailing bits set: another spelling of the same bytes
        raise ValueError("not canonical base64url")
    return data


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def raw_signature(signature: bytes) -> bytes:
    """JWS ES256 wants r||s, 32 bytes each; KMS and `cryptography` give DER. Either goes in, raw comes out."""
    if len(signature) == 2 * _COORDINATE_BYTES:
        return signature
    r, s = decode_dss_signature(signature)
    return r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")


def sign_detached(body: bytes, signer: Signer) -> str:
    """The `Vigia-Signature` header for `body`: `<protected>..<signature>`, the payload left out."""
    header = {"alg": ALGORITHM, "kid": signer.kid, "typ": TYPE}
    protected = b64url(json.dumps(header, separators=(",", ":"), sort_keys=True).encode("ascii"))
    signing_input = f"{protected}.{b64url(body)}".encode("ascii")
    return f"{protected}..{b64url(raw_signature(signer.sign(signing_input)))}"


def public_jwk(key: ec.EllipticCurvePublicKey | bytes, kid: str) -> dict[str, str]:
    """The public JWK of a P-256 key: a `cryptography` key, or DER SubjectPublicKeyInfo (KMS GetPublicKey)."""
    if isinstance(key, bytes):
        loaded = serialization.load_der_public_key(key)
        if not isinstance(loaded, ec.EllipticCurvePublicKey):
            raise ValueError("not an elliptic-curve public key")
        key = loaded
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("ES256 needs a P-256 key")
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
    }


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 JWK thumbprint (base64url SHA-256 of the required members, sorted, no spaces): a kid
    computed from the public key itself, so there is nothing to configure and it changes with the key."""
    required = {name: str(jwk[name]) for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode("ascii")
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical)
    return b64url(digest.finalize())


def public_key(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """The key a public JWK names; ValueError if it is not a P-256 point (or carries a private member)."""
    if PRIVATE_MEMBERS & set(jwk):
        raise ValueError("a JWK with private members is not a public key")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("not an EC P-256 key")
    x, y = b64url_decode(str(jwk.get("x", ""))), b64url_decode(str(jwk.get("y", "")))
    if len(x) != _COORDINATE_BYTES or len(y) != _COORDINATE_BYTES:
        raise ValueError("coordinates of P-256 are 32 bytes")
    return ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    ).public_key()  # raises ValueError when the point is not on the curve


def protected_kid(signature_header: str | None) -> tuple[str, str, bytes]:
    """(kid, protected part, raw signature) of a `Vigia-Signature`; SignatureRefused if it is not ours.

    Only what this module itself writes is accepted: alg ES256 (never `none`, never HMAC), a string kid,
    nothing critical, nothing that changes how the payload is read (`b64`).
    """
    if not signature_header:
        raise SignatureRefused("unsigned", f"the {SIGNATURE_HEADER} header is missing")
    if len(signature_header) > _MAX_HEADER_CHARS or not signature_header.isascii():
        raise SignatureRefused("unsigned", f"the {SIGNATURE_HEADER} header is not a detached JWS")
    parts = signature_header.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise SignatureRefused("unsigned", f"the {SIGNATURE_HEADER} header is not a detached compact JWS")
    protected, _, signature = parts
    try:
        header = json.loads(b64url_decode(protected))
        raw = b64url_decode(signature)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise SignatureRefused("unsigned", "the signature's header or value is not base64url JSON") from None
    if not isinstance(header, dict) or set(header) - _ALLOWED_HEADER:
        raise SignatureRefused("unsigned", "the signature's header has members this federation does not use")
    if header.get("alg") != ALGORITHM:
        raise SignatureRefused("unsigned", "the signature's alg is not ES256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SignatureRefused("unsigned", "the signature names no kid")
    if "typ" in header and header["typ"] != TYPE:
        raise SignatureRefused("unsigned", f"the signature's typ is not {TYPE}")
    if len(raw) != 2 * _COORDINATE_BYTES:
        raise SignatureRefused("unsigned", "an ES256 signature is 64 bytes")
    return kid, protected, raw


def verify_detached(
    body: bytes,
    signature_header: str | None,
    key_for: Callable[[str], ec.EllipticCurvePublicKey | None],
) -> str:
    """The kid that signed `body`, after checking the signature; SignatureRefused otherwise."""
    kid, protected, raw = protected_kid(signature_header)
    key = key_for(kid)
    if key is None:
        raise SignatureRefused("unknown-key", "the signature's kid is no partner's key")
    r = int.from_bytes(raw[:_COORDINATE_BYTES], "big")
    s = int.from_bytes(raw[_COORDINATE_BYTES:], "big")
    signing_input = f"{protected}.{b64url(body)}".encode("ascii")
    try:
        key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        raise SignatureRefused(
            "bad-signature", "the signature does not verify with the partner's key"
        ) from None
    return kid
