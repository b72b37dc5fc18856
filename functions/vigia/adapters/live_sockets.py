"""Posting to the consoles' WebSockets: API Gateway's management API (@connections), and the pool's JWKS."""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.request import urlopen

from vigia import settings


def management_endpoint(socket_url: str) -> str:
    """The @connections endpoint of a WebSocket stage: https://{api}.execute-api.{region}.amazonaws.com/{stage}
    for wss://… (locally http:// for ws://)."""
    if socket_url.startswith("wss://"):
        return "https://" + socket_url.removeprefix("wss://").rstrip("/")
    if socket_url.startswith("ws://"):
        return "http://" + socket_url.removeprefix("ws://").rstrip("/")
    raise ValueError(f"LIVE_SOCKET_URL must be a ws:// or wss:// URL, not {socket_url!r}")


@functools.cache
def _client(endpoint: str, region: str) -> Any:
    from botocore.config import Config

    from vigia.adapters.aws import new_client

    return new_client(
        "apigatewaymanagementapi",
        region_name=region,
        endpoint_url=endpoint,
        config=Config(
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=2,
            read_timeout=5,
            max_pool_connections=32,  # the publisher posts to many at once (vigia.live.publishing)
        ),
    )


def post(connection_id: str, data: bytes) -> bool:
    """PostToConnection; False when the connection is gone (410), so the caller forgets it."""
    s = settings.get()
    client = _client(management_endpoint(s.live_socket_url), s.region)
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    except client.exceptions.GoneException:
        return False
    return True


def user_pool_keys() -> dict[str, dict[str, Any]]:
    """The user pool's JWKS by kid (read once per execution environment; again when asked for a new kid)."""
    s = settings.get()
    if s.aws_endpoint_url:  # the emulator serves each pool's JWKS under its own path
        url = f"{s.aws_endpoint_url.rstrip('/')}/{s.user_pool_id}/.well-known/jwks.json"
    else:
        url = f"{issuer()}/.well-known/jwks.json"
    return _keys(url)


def forget_keys() -> None:
    _keys.cache_clear()


@functools.cache
def _keys(url: str) -> dict[str, dict[str, Any]]:
    with urlopen(url, timeout=3) as answer:  # noqa: S310 - the URL is the pool's, https in the cloud
        document = json.load(answer)
    return {str(k.get("kid", "")): k for k in document.get("keys", [])}


def issuer() -> str:
    s = settings.get()
    return f"https://cognito-idp.{s.region}.amazonaws.com/{s.user_pool_id}"


def reset() -> None:
    _client.cache_clear()
    _keys.cache_clear()
