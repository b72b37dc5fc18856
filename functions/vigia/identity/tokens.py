"""A Cognito ID token checked where no API Gateway authorizer stands in front (the WebSocket's $connect).

Browsers cannot set headers on a WebSocket, so the console sends its ID token as the `token` query parameter
and the $connect function checks what the HTTP API's JWT authorizer checks: the RS256 signature against the
user pool's JWKS, the issuer, the audience (the app client), `token_use` id, expiry and not-before.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

LEEWAY_S = 30  # clocks of the pool and of Lambda may differ a little


class InvalidToken(Exception):
    """The token is not a valid ID token of this pool and client; the message says why (for the log)."""


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _int(part: str) -> int:
    return int.from_bytes(_b64(part), "big")


def unverified_kid(token: str) -> str:
    try:
        header = json.loads(_b64(token.split(".")[0]))
    except (ValueError, IndexError) as error:
        raise InvalidToken("not a JWT") from error
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise InvalidToken("not an RS256 token")
    return str(header.get("kid", ""))


def verify_id_token(
    token: str, *, keys: Mapping[str, Mapping[str, Any]], issuer: str, audience: str, now: float
) -> dict[str, Any]:
    """The token's claims if it is a valid ID token; InvalidToken otherwise. `keys`: the JWKS by kid."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT")
    key = keys.get(unverified_kid(token))
    if key is None or key.get("kty") != "RSA":
        raise InvalidToken("unknown signing key")
    public = rsa.RSAPublicNumbers(_int(str(key["e"])), _int(str(key["n"]))).public_key()
    try:
        public.verify(_b64(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as error:
        raise InvalidToken("bad signature") from error
    try:
        claims = json.loads(_b64(parts[1]))
    except ValueError as error:
        raise InvalidToken("unreadable claims") from error
    if not isinstance(claims, dict):
        raise InvalidToken("unreadable claims")
    if claims.get("iss") != issuer:
        raise InvalidToken("wrong issuer")
    if claims.get("aud") != audience:
        raise InvalidToken("wrong audience")
    if claims.get("token_use", "id") != "id":
        raise InvalidToken("not an ID token")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + LEEWAY_S < now:
        raise InvalidToken("expired")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] - LEEWAY_S > now:
        raise InvalidToken("not yet valid")
    return claims


def groups(claims: Mapping[str, Any]) -> frozenset[str]:
    raw = claims.get("cognito:groups") or []
    return frozenset(str(g) for g in raw) if isinstance(raw, list) else frozenset(str(raw).split())
