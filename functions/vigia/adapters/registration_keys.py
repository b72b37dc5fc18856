"""The registration keys from RegistrationSecret: HMAC-SHA256 per purpose, AES-GCM for the password
in waiting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from vigia import settings
from vigia.adapters import secrets


class SecretKeys:
    """signup.Keys from RegistrationSecret: HMAC-SHA256 per purpose, AES-GCM for the password in waiting."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _subkey(self, purpose: str) -> bytes:
        return hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()

    def mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._subkey(purpose), value.encode(), hashlib.sha256).hexdigest()

    def seal(self, plaintext: str, *, context: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self._subkey("password-seal")).encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, *, context: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        raw = base64.b64decode(sealed)
        return AESGCM(self._subkey("password-seal")).decrypt(raw[:12], raw[12:], context.encode()).decode()


def keys() -> SecretKeys:
    """The registration keys (one Secrets Manager read per execution environment)."""
    return SecretKeys(secrets.read(settings.get().registration_secret_id))
