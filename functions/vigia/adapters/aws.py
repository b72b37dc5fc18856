"""boto3 clients, created once per execution environment, pointed at the emulator when one is set."""

from __future__ import annotations

import functools
import threading
from typing import Any

from vigia import settings

_creating = threading.Lock()  # a boto3 Session is not thread-safe; the clients it makes are


@functools.cache
def session() -> Any:
    """One boto3 Session per execution environment: it loads the endpoint data and each service's model once
    for every client made from it (a Session per client loaded them again each time: ~0.1 s a client)."""
    import boto3  # lazy: only the paths that call AWS pay its import

    return boto3.session.Session()


def new_client(service: str, **options: Any) -> Any:
    """A client of `service` made from the shared Session, one at a time."""
    from vigia.adapters import faults

    with _creating:
        made = session().client(service, **options)
    faults.instrument(made.meta.events)  # nothing unless a local chaos run turned faults on
    return made


@functools.cache
def client(service: str) -> Any:
    from botocore.config import Config

    s = settings.get()
    return new_client(
        service,
        region_name=s.region,
        endpoint_url=s.aws_endpoint_url,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10),
    )


@functools.cache
def client_at(service: str, endpoint_url: str) -> Any:
    """A client of `service` at its own endpoint (a local stand-in for a service the emulator lacks)."""
    from botocore.config import Config

    s = settings.get()
    return new_client(
        service,
        region_name=s.region,
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10),
    )


@functools.cache
def presigner() -> Any:
    """An S3 client that signs links with SigV4 (expiry in the link, X-Amz-Expires); it makes no call."""
    from botocore.config import Config

    s = settings.get()
    return new_client(
        "s3", region_name=s.region, endpoint_url=s.aws_endpoint_url, config=Config(signature_version="s3v4")
    )


def reset() -> None:
    """Forgets the clients: the next call builds them on the settings (endpoint, region) of that moment."""
    client.cache_clear()
    client_at.cache_clear()
    presigner.cache_clear()
