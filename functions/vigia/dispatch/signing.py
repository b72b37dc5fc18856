"""HMAC-SHA256 over a webhook body, sent as `X-Vigia-Signature: sha256=<hex>` with a timestamp header."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Vigia-Signature"
TIMESTAMP_HEADER = "X-Vigia-Timestamp"


def sign(secret: str, body: bytes, timestamp: str) -> str:
    """The signature of `timestamp.body`: binding the time lets the receiver refuse replays."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def cad_key(secret: str, cad_id: str | None) -> str:
    """The HMAC key of one CAD: the provincial CAD (None) keeps the stack's secret as it is; every other CAD
    gets HMAC-SHA256(secret, "cad:" + id), so the key one agency holds cannot sign for another."""
    if cad_id is None:
        return secret
    return hmac.new(secret.encode("utf-8"), f"cad:{cad_id}".encode(), hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, timestamp: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body, timestamp), signature)
