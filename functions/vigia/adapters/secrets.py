"""Secrets Manager: each secret (the CAD's HMAC secret, SilentMacSecret, RegistrationSecret) read once per
execution environment, on first use."""

from __future__ import annotations

import functools

from vigia.adapters.aws import client


@functools.cache
def read(secret_id: str) -> str:
    return str(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])


def reset() -> None:
    """Forgets the secrets read (a new stack, other secrets)."""
    read.cache_clear()
