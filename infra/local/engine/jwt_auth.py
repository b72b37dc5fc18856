"""API Gateway's JWT authorizer, emulated: Cognito tokens checked against the emulator's JWKS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import requests
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, DecodeError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

ALGORITHMS = ["RS256"]  # what Cognito signs with, and what API Gateway accepts from it


class Unauthorized(Exception):
    """401: the request has no valid token. The message says why (API Gateway itself does not)."""


class Forbidden(Exception):
    """403: a valid token without the scopes the route asks for."""


@dataclass(frozen=True)
class JwtConfiguration:
    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_source: str = "$request.header.Authorization"

    @property
    def header(self) -> str:
        prefix = "$request.header."
        if not self.identity_source.startswith(prefix):
            raise ValueError(
                f"authorizer {self.name}: identity source {self.identity_source} is not emulated"
            )
        return self.identity_source[len(prefix) :].lower()


@dataclass(frozen=True)
class Authorized:
    claims: dict[str, str]
    scopes: list[str] | None


def cognito_jwks_url(aws_endpoint: str) -> Callable[[str], str]:
    """Maps a Cognito issuer to the emulator's JWKS document for that pool."""

    def url(issuer: str) -> str:
        parsed = urlparse(issuer)
        host = parsed.hostname or ""
        if host.startswith("cognito-idp.") or host in ("127.0.0.1", "localhost"):
            pool_id = parsed.path.strip("/").split("/")[-1]
            return f"{aws_endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"
        raise ValueError(f"issuer {issuer} is neither Cognito nor local: its JWKS cannot be reached offline")

    return url


class JwksCache:
    """Key sets by URL, fetched once; fetched again (at most once a second) when a kid is unknown."""

    def __init__(self, fetch: Callable[[str], Mapping[str, Any]] | None = None) -> None:
        self._fetch = fetch or _http_json
        self._sets: dict[str, tuple[KeySet, float]] = {}
        self._lock = threading.Lock()

    def key_set(self, url: str, kid: str | None) -> KeySet:
        with self._lock:
            cached = self._sets.get(url)
            if cached is not None:
                key_set, fetched_at = cached
                known = kid is None or any(k.kid == kid for k in key_set.keys)
                if known or time.monotonic() - fetched_at < 1.0:
                    return key_set
            key_set = KeySet.import_key_set(dict(self._fetch(url)))  # type: ignore[arg-type]
            self._sets[url] = (key_set, time.monotonic())
            return key_set


def _http_json(url: str) -> Mapping[str, Any]:
    response = requests.get(url, timeout=5)
    response.raise_for_status()
    return dict(response.json())


class JwtAuthorizer:
    def __init__(self, config: JwtConfiguration, jwks_url: Callable[[str], str], cache: JwksCache) -> None:
        self.config = config
        self._jwks_url = jwks_url(config.issuer)
        self._cache = cache

    def authorize(
        self, headers: Mapping[str, str], required_scopes: Sequence[str] = (), now: float | None = None
    ) -> Authorized:
        """Claims and scopes of the request's token, or Unauthorized / Forbidden."""
        parts = (headers.get(self.config.header) or "").split(None, 1)
        if parts and parts[0].lower() == "bearer":  # "Bearer <token>", or the bare token
            parts = parts[1:]
        token = parts[0].strip() if parts else ""
        if not token:
            raise Unauthorized(f"missing token: no {self.config.header} header with a token")
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError) as error:
            raise Unauthorized(f"malformed token: {error}") from error
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized(f"unsupported signing algorithm {header.get('alg')!r}; expected RS256")
        kid = header.get("kid")
        if not kid:
            raise Unauthorized("malformed token: no kid in its header")
        try:
            key_set = self._cache.key_set(self._jwks_url, kid)
        except (requests.RequestException, ValueError) as error:
            raise Unauthorized(f"the issuer's JWKS could not be read: {error}") from error
        try:
            claims = dict(jwt.decode(token, key_set, algorithms=ALGORITHMS).claims)
        except InvalidKeyIdError as error:
            raise Unauthorized(f"bad signature: no key {kid!r} in the issuer's JWKS") from error
        except BadSignatureError as error:
            raise Unauthorized("bad signature: the token was not signed by the issuer's key") from error
        except (DecodeError, JoseError, ValueError) as error:
            raise Unauthorized(f"malformed token: {error}") from error
        _check_claims(claims, self.config, time.time() if now is None else now)
        scopes = str(claims["scope"]).split() if claims.get("scope") else None
        if required_scopes and not set(required_scopes) & set(scopes or ()):
            raise Forbidden(f"the token has none of the scopes this route requires: {list(required_scopes)}")
        return Authorized(claims=render_claims(claims), scopes=scopes)


def _check_claims(claims: Mapping[str, Any], config: JwtConfiguration, now: float) -> None:
    if claims.get("iss") != config.issuer:
        raise Unauthorized(f"wrong issuer: {claims.get('iss')!r} is not {config.issuer!r}")
    audiences = claims.get("aud", claims.get("client_id"))
    if audiences is None:
        raise Unauthorized("wrong audience: the token has neither aud nor client_id")
    if not isinstance(audiences, list):
        audiences = [audiences]
    if not set(map(str, audiences)) & set(config.audience):
        raise Unauthorized(f"wrong audience: {audiences} is not one of {list(config.audience)}")
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise Unauthorized("malformed token: no exp claim")
    if exp <= now:
        raise Unauthorized(f"expired token: it expired {int(now - exp)} s ago")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf > now:
        raise Unauthorized("token not valid yet (nbf is in the future)")


def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as HTTP APIs hand them to the function: every value a string; arrays as "[a b]"
    (so `cognito:groups` arrives as "[operator police]"), objects as "map[k:v]"."""
    return {str(k): _render(v) for k, v in claims.items()}


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_render(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return str(value) if not isinstance(value, bytes) else json.dumps(value.decode())
