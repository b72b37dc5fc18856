"""The pieces of live events that need no network: the $connect token check (signature, issuer, audience,
use, time), who each kind of event reaches, and how the local engine reads a template's WebSocket API."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from infra.local.engine.template import translate
from infra.local.engine.websocket_api import socket_apis
from vigia.adapters.live_sockets import management_endpoint
from vigia.identity.tokens import InvalidToken, groups, verify_id_token
from vigia.live import events as live

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
NOW = 1_800_000_000.0
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()

    def whole(n: int) -> str:
        return _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    return {
        "kty": "RSA",
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
        "n": whole(numbers.n),
        "e": whole(numbers.e),
    }


KEYS = {"k1": _jwk(KEY, "k1")}


def _token(
    claims: dict[str, Any], *, key: rsa.RSAPrivateKey = KEY, kid: str = "k1", alg: str = "RS256"
) -> str:
    header = _b64(json.dumps({"alg": alg, "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{_b64(signature)}"


def _claims(**changes: Any) -> dict[str, Any]:
    base = {
        "sub": "u-1",
        "iss": ISSUER,
        "aud": "client-1",
        "token_use": "id",
        "exp": NOW + 3600,
        "iat": NOW - 10,
        "cognito:groups": ["operator"],
    }
    return {**base, **changes}


def _verify(token: str) -> dict[str, Any]:
    return verify_id_token(token, keys=KEYS, issuer=ISSUER, audience="client-1", now=NOW)


def test_a_valid_id_token_of_the_pool_and_client_passes_with_its_groups():
    claims = _verify(_token(_claims()))
    assert claims["sub"] == "u-1"
    assert groups(claims) == {"operator"}


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (_token(_claims(), key=OTHER_KEY), "bad signature"),
        (_token(_claims(), kid="unknown"), "unknown signing key"),
        (_token(_claims(), alg="HS256"), "not an RS256 token"),
        (_token(_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/other")), "wrong issuer"),
        (_token(_claims(aud="another-client")), "wrong audience"),
        (_token(_claims(token_use="access")), "not an ID token"),
        (_token(_claims(exp=NOW - 120)), "expired"),
        (_token(_claims(nbf=NOW + 120)), "not yet valid"),
        ("not-a-jwt", "not a JWT"),
    ],
)
def test_a_token_that_is_not_this_pools_valid_id_token_is_refused(token: str, why: str):
    with pytest.raises(InvalidToken, match=why):
        _verify(token)


def test_claims_changed_after_signing_are_refused():
    # a resident raises herself to admin by editing the token's body
    head, _, signature = _token(_claims(**{"cognito:groups": ["citizen"]})).split(".")
    forged = _b64(json.dumps(_claims(**{"cognito:groups": ["admin"]})).encode())
    with pytest.raises(InvalidToken, match="bad signature"):
        _verify(f"{head}.{forged}.{signature}")


def test_a_silent_alert_is_an_event_for_the_response_team_alone_whatever_marks_it():
    at = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    marks: list[dict[str, Any]] = [
        {"silent": True},
        {"type": "silent"},
        {"sealed": "x"},
        {"type": "domestic_violence"},
    ]
    for mark in marks:
        image = {"pk": "a-1", "sk": "ALERT", "type": "robbery", **mark}
        for new, old in ((image, None), ({"pk": "a-1", "sk": "ALERT", "type": "robbery"}, image)):
            event = live.alert_changed(new, old, silent_types={"domestic_violence"}, at=at)
            assert event is not None
            assert event.kind == live.SILENT_ALERT
            for role in ("operator", "police", "analyst", "admin", "citizen"):
                assert not event.visible_to({role}), (mark, role)
            assert event.visible_to({"response_team"})
    # and a delivery of a silent alert, or of an alert not found, tells no one
    assert live.delivery_changed("a-1", silent=True, at=at) is None
    assert live.delivery_changed("a-1", silent=None, at=at) is None


def test_event_ids_sort_by_time_and_match_the_routes_cursor():
    import re

    from vigia.api.routes.live import EVENT_ID

    earlier = live.event_id(datetime(2026, 11, 30, 14, 5, 0, 999, tzinfo=UTC))
    later = live.event_id(datetime(2026, 11, 30, 14, 5, 1, 0, tzinfo=UTC))
    assert earlier < later
    assert re.fullmatch(EVENT_ID["pattern"], earlier)


def test_the_management_endpoint_is_the_stage_urls_https_twin():
    assert management_endpoint("wss://abc.execute-api.sa-east-1.amazonaws.com/live") == (
        "https://abc.execute-api.sa-east-1.amazonaws.com/live"
    )
    assert management_endpoint("ws://127.0.0.1:3001/live/") == "http://127.0.0.1:3001/live"
    with pytest.raises(ValueError, match="LIVE_SOCKET_URL"):
        management_endpoint("")


def test_the_engine_finds_the_templates_websocket_api_its_stage_and_the_function_of_each_route():
    cfn = translate()

    def resolve(value: Any) -> Any:  # enough of the resolver for these properties
        if isinstance(value, dict) and "Ref" in value:
            return f"ref:{value['Ref']}"
        if isinstance(value, dict) and "Fn::Sub" in value:
            text = value["Fn::Sub"]
            text = text.replace("${LiveConnectionsIntegration}", "ref:LiveConnectionsIntegration")
            return text.replace(
                "${LiveConnectionsFunction.Arn}", "arn:aws:lambda:r:1:function:live-connections"
            )
        return value

    [api] = socket_apis(
        cfn,
        resolve,
        lambda lid: f"ref:{lid}",
        lambda arn: "LiveConnectionsFunction" if arn.endswith(":function:live-connections") else None,
    )
    assert (api.logical_id, api.stage) == ("LiveSocketApi", "live")
    assert api.routes == {"$connect": "LiveConnectionsFunction", "$disconnect": "LiveConnectionsFunction"}
