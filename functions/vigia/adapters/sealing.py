"""KMS envelope encryption of a silent alert's identity: a fresh data key per alert, AES-256-GCM.

seal: one GenerateDataKey (SealKey, with the alert's encryption context) → AES-GCM under the plaintext
key, the alert's context as associated data → a compact token holding the *encrypted* data key,
nonce and ciphertext. unseal: one Decrypt of the data key (KMS checks the same context and logs it
in CloudTrail) → AES-GCM open. SealKey's key policy lets only the response-team paths (ApiFunction's
response_team branch, SilentRouterFunction) use it; the token alone opens nothing.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from vigia.adapters.aws import client

TOKEN_VERSION = 1
NONCE_BYTES = 12


class SealBroken(ValueError):
    """The token is malformed, or was made for another alert (context mismatch), or was tampered with."""


def _aad(context: Mapping[str, str]) -> bytes:
    return json.dumps(dict(sorted(context.items())), separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _aes_gcm(key: bytes) -> Any:
    # Imported on use: only silent alerts pay for it, not every cold start of the API.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


class KmsSealer:
    """vigia.alerts.submission.Sealer on AWS KMS."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def seal(self, plaintext: bytes, context: dict[str, str]) -> str:
        if not self.key_id:
            raise RuntimeError("SEAL_KEY_ID is not set: silent alerts cannot be sealed")
        answer = client("kms").generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=context
        )
        encrypted_key: bytes = answer["CiphertextBlob"]
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = _aes_gcm(answer["Plaintext"]).encrypt(nonce, plaintext, _aad(context))
        del answer  # the plaintext data key goes no further than this call
        token = {"v": TOKEN_VERSION, "ek": _b64(encrypted_key), "n": _b64(nonce), "ct": _b64(ciphertext)}
        return json.dumps(token, separators=(",", ":"))

    def unseal(self, token: str, context: dict[str, str]) -> bytes:
        try:
            parts = json.loads(token)
            if parts.get("v") != TOKEN_VERSION:
                raise SealBroken("unknown seal version")
            encrypted_key = base64.b64decode(parts["ek"])
            nonce, ciphertext = base64.b64decode(parts["n"]), base64.b64decode(parts["ct"])
        except (ValueError, KeyError, TypeError) as error:
            raise SealBroken("malformed seal") from error
        kms = client("kms")
        try:
            key = kms.decrypt(CiphertextBlob=encrypted_key, EncryptionContext=context)["Plaintext"]
        except kms.exceptions.InvalidCiphertextException as error:
            raise SealBroken("the seal belongs to another alert") from error
        try:
            return _aes_gcm(key).decrypt(nonce, ciphertext, _aad(context))
        except Exception as error:  # cryptography's InvalidTag: tampered with
            raise SealBroken("the sealed identity was tampered with") from error
