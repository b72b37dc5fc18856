"""boto3 clients, created once per execution environment, pointed at the emulator when one is set."""

from __future__ import annotations

import functools
from typing import Any

from vigia import settings


@functools.cache
def client(service: str) -> Any:
    import boto3  # lazy: only the paths that call AWS pay its import
    from botocore.config import Config

    s = settings.get()
    return boto3.session.Session().client(
        service,
        region_name=s.region,
        endpoint_url=s.aws_endpoint_url,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10),
    )


@functools.cache
def client_at(service: str, endpoint_url: str) -> Any:
    """A client of `service` at its own endpoint (a local stand-in for a service the emulator lacks)."""
    import boto3
    from botocore.config import Config

    s = settings.get()
    return boto3.session.Session().client(
        service,
        region_name=s.region,
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10),
    )


@functools.cache
def presigner() -> Any:
    """An S3 client that signs links with SigV4 (expiry in the link, X-Amz-Expires); it makes no call."""
    import boto3
    from botocore.config import Config

    s = settings.get()
    return boto3.session.Session().client(
        "s3", region_name=s.region, endpoint_url=s.aws_endpoint_url, config=Config(signature_version="s3v4")
    )


def reset() -> None:
    """Forgets the clients: the next call builds them on the settings (endpoint, region) of that moment."""
    client.cache_clear()
    client_at.cache_clear()
    presigner.cache_clear()
