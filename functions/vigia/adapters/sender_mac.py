"""The keyed MAC of a silent alert's sender-derived values: HMAC-SHA256 with SilentMacSecret."""

from __future__ import annotations

import hashlib
import hmac

from vigia.adapters import secrets


def _key(secret_id: str) -> bytes:
    """The secret, read once per execution environment (one GetSecretValue on a cold start's first use)."""
    if not secret_id:
        raise RuntimeError("no SilentMacSecret configured: a silent alert's claim cannot be keyed")
    return secrets.read(secret_id).encode()


class SecretsManagerMac:
    """submission.SenderMac: without the secret, a stored MAC cannot be tested against residents or keys."""

    def __init__(self, secret_id: str) -> None:
        self._secret_id = secret_id

    def mac(self, purpose: str, *parts: str) -> str:
        # unit separators between the parts: ("a#b", "c") and ("a", "b#c") never collide
        message = "\x1f".join((purpose, *parts)).encode("utf-8")
        return hmac.new(_key(self._secret_id), message, hashlib.sha256).hexdigest()
