"""The emulated JWT authorizer: what API Gateway accepts from Cognito, and what it refuses (with why)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from infra.local.engine.jwt_auth import (
    Forbidden,
    JwksCache,
    JwtAuthorizer,
    JwtConfiguration,
    Unauthorized,
    cognito_jwks_url,
    render_claims,
)

POOL = "us-east-1_abc"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
CLIENT = "client-1"
NOW = 1_700_000_000
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})


class CountingFetch:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> dict[str, Any]:
        self.urls.append(url)
        return KeySet([KEY]).as_dict(private=False)


def authorizer(fetch: CountingFetch | None = None) -> JwtAuthorizer:
    config = JwtConfiguration("CognitoJwt", ISSUER, (CLIENT,))
    return JwtAuthorizer(
        config, cognito_jwks_url("http://127.0.0.1:4566"), JwksCache(fetch or CountingFetch())
    )


def token(key: RSAKey = KEY, kid: str = "k1", **changes: Any) -> str:
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": CLIENT, "sub": "u-1", "token_use": "id", "exp": NOW + 600, "iat": NOW - 10,
        "cognito:groups": ["operator", "police"],
    }  # fmt: skip
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": kid}, claims, key)


def authorize(value: str, scopes: tuple[str, ...] = ()) -> Any:
    return authorizer().authorize({"authorization": value}, scopes, now=NOW)


def test_a_valid_id_token_gives_the_claims_as_strings() -> None:
    result = authorize(f"Bearer {token()}")

    assert result.claims["sub"] == "u-1"
    assert result.claims["cognito:groups"] == "[operator police]"
    assert result.claims["exp"] == str(NOW + 600)
    assert result.scopes is None


def test_a_bare_token_and_an_access_token_by_client_id_are_accepted() -> None:
    access = token(aud=None, client_id=CLIENT, token_use="access", scope="openid vigia/read")

    result = authorize(access)

    assert result.scopes == ["openid", "vigia/read"]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "missing"),
        ("Bearer ", "missing"),
        ("Bearer not.a.jwt", "malformed"),
        (f"Bearer {token(key=RSAKey.generate_key(2048))}", "bad signature"),
        (f"Bearer {token(kid='unknown')}", "bad signature"),
        (f"Bearer {token(exp=NOW - 1)}", "expired"),
        (f"Bearer {token(nbf=NOW + 60)}", "not valid yet"),
        (f"Bearer {token(aud='another-client')}", "wrong audience"),
        (f"Bearer {token(aud=None)}", "wrong audience"),
        (f"Bearer {token(iss='https://cognito-idp.us-east-1.amazonaws.com/other')}", "wrong issuer"),
    ],
    ids=["empty", "bearer-only", "malformed", "other-key", "unknown-kid", "expired", "nbf", "aud", "no-aud",
         "iss"],
)  # fmt: skip
def test_tokens_api_gateway_refuses_are_unauthorized_with_the_reason(header: str, reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        authorize(header)


def test_an_hs256_token_is_refused() -> None:
    from joserfc.jwk import OctKey

    forged = jwt.encode({"alg": "HS256", "kid": "k1"}, {"iss": ISSUER}, OctKey.generate_key(256))

    with pytest.raises(Unauthorized, match="algorithm"):
        authorize(forged)


def test_a_route_scope_the_token_lacks_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        authorize(token(scope="openid"), scopes=("vigia/admin",))


def test_the_jwks_comes_from_the_emulator_once() -> None:
    fetch = CountingFetch()
    guard = authorizer(fetch)

    for _ in range(3):
        guard.authorize({"authorization": token()}, (), now=NOW)

    assert fetch.urls == [f"http://127.0.0.1:4566/{POOL}/.well-known/jwks.json"]


def test_claims_render_like_an_http_api() -> None:
    rendered = render_claims({"n": 1.0, "b": False, "l": ["a", 1], "m": {"y": 2, "x": "1"}, "z": None})

    assert rendered == {"n": "1", "b": "false", "l": "[a 1]", "m": "map[x:1 y:2]", "z": ""}


def test_real_time_is_used_when_now_is_not_given() -> None:
    fresh = token(exp=int(time.time()) + 60, iat=int(time.time()))

    assert authorizer().authorize({"authorization": fresh}).claims["sub"] == "u-1"
