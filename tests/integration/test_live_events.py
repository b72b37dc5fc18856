"""Live events on the emulator: who may open the console's socket, and what each role's socket and
GET /v1/events receive — a silent alert reaches the response team and no one else, not even as an id."""

from __future__ import annotations

import base64
import gzip
import json
import time
from importlib import resources
from typing import Any

import pytest

from tests.integration.conftest import NEAR_CENTRE
from tests.integration.silent_support import register_victim, silent_body
from tests.support import FakeContext
from tests.support.template_pumps import stream_pump
from vigia.adapters import live_sockets

STAFF = ("operator", "police", "response_team", "analyst", "admin")
PASSWORD = "Consola-2026x"


def _moto_keys() -> dict[str, dict[str, Any]]:
    """The JWKS moto signs every pool's tokens with (the cloud reads the pool's own over HTTPS)."""
    raw = resources.files("moto.cognitoidp").joinpath("resources/jwks-public.json.gz").read_bytes()
    return {k["kid"]: k for k in json.loads(gzip.decompress(raw))["keys"]}


@pytest.fixture
def sockets(stack, monkeypatch):
    """What each connection was posted (connection id → messages), with the pool's keys in place."""
    monkeypatch.setattr(live_sockets, "user_pool_keys", _moto_keys)
    posted: dict[str, list[dict[str, Any]]] = {}
    gone: set[str] = set()

    def post(connection_id: str, data: bytes) -> bool:
        if connection_id in gone:
            return False
        posted.setdefault(connection_id, []).append(json.loads(data))
        return True

    monkeypatch.setattr(live_sockets, "post", post)
    posted_gone = (posted, gone)
    return posted_gone


def _user(stack, name: str, group: str | None) -> str:
    """A pool user (in `group`, or none) signed in: their ID token."""
    idp = stack.client("cognito-idp")
    pool = stack.resources["UserPool"]
    username = f"{name}@live.example"
    idp.admin_create_user(
        UserPoolId=pool,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": username}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=PASSWORD, Permanent=True)
    if group:
        idp.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
    return stack.sign_in(username, PASSWORD)["IdToken"]


def _connect(connection_id: str, token: str | None) -> int:
    from vigia.handlers.live_connections import lambda_handler

    event: dict[str, Any] = {"requestContext": {"eventType": "CONNECT", "connectionId": connection_id}}
    if token is not None:
        event["queryStringParameters"] = {"token": token}
    return int(lambda_handler(event, FakeContext("LiveConnectionsFunction"))["statusCode"])


def _connections(stack) -> dict[str, set[str]]:
    items = stack.table("ConnectionsTable").scan()["Items"]
    return {i["connection_id"]: set(i["roles"]) for i in items}


def _publish(*pumps) -> None:
    for pump in pumps:
        pump.drain()


def _send(api, claims, type_="robbery") -> str:
    body = {"type": type_, "location": {"lat": NEAR_CENTRE[0], "lon": NEAR_CENTRE[1]}}
    answer = api("POST", "/v1/alerts", body, claims=claims)
    assert answer.status == 202, answer.body
    return str(answer.json["alert_id"])


def _tamper(token: str) -> str:
    head, claims, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    body["cognito:groups"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{signature}"


def test_only_staff_with_a_valid_token_of_this_pool_open_the_socket(stack, sockets):
    # Given a member of each staff role, a resident, an account still pending (no group) and a token of
    # another app client
    tokens = {role: _user(stack, role, role) for role in STAFF}
    citizen = _user(stack, "vecina", "citizen")
    pending = _user(stack, "pendiente", None)
    other_client = stack.client("cognito-idp").create_user_pool_client(
        UserPoolId=stack.resources["UserPool"],
        ClientName="someone-else",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    foreign = stack.client("cognito-idp").initiate_auth(
        ClientId=other_client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "operator@live.example", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]

    # When each opens the socket
    staff_answers = {role: _connect(f"c-{role}", token) for role, token in tokens.items()}
    refused = {
        "citizen": _connect("c-citizen", citizen),
        "pending": _connect("c-pending", pending),
        "no token": _connect("c-none", None),
        "garbage": _connect("c-garbage", "not.a.token"),
        "forged groups": _connect("c-forged", _tamper(citizen)),
        "another client": _connect("c-foreign", foreign),
    }

    # Then staff are admitted with their roles, everyone else refused and not stored
    assert staff_answers == dict.fromkeys(STAFF, 200)
    assert refused == {
        "citizen": 403,
        "pending": 403,
        "no token": 401,
        "garbage": 401,
        "forged groups": 401,
        "another client": 401,
    }
    assert _connections(stack) == {f"c-{role}": {role} for role in STAFF}


def test_an_expired_token_is_refused(stack, sockets, monkeypatch):
    # Given an operator's token, When the socket opens after it expired
    token = _user(stack, "late", "operator")
    monkeypatch.setattr(time, "time", lambda: 4_102_444_800.0)  # 2100-01-01
    # Then it is refused
    assert _connect("c-late", token) == 401
    assert _connections(stack) == {}


def test_a_silent_alert_reaches_only_the_response_team_socket(api, stack, sockets, citizen, staff_claims):
    posted, _ = sockets
    # Given one socket per staff role (a resident's was refused), and the publisher reading the streams
    for role in STAFF:
        assert _connect(f"c-{role}", _user(stack, role, role)) == 200
    alerts = stream_pump(stack, "AlertsTable", "LivePublisherFunction")
    units = stream_pump(stack, "UnitsTable", "LivePublisherFunction")
    victim = register_victim(api, staff_claims)

    # When a victim sends a silent alert
    silent = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims)
    assert silent.status == 202, silent.body
    silent_id = silent.json["alert_id"]
    _publish(alerts, units)

    # Then only the response team's socket hears of it, and no other socket receives anything at all
    assert [m["kind"] for m in posted.get("c-response_team", [])] == ["silent_alert"]
    assert posted["c-response_team"][0]["alert_id"] == silent_id
    for role in ("operator", "police", "analyst", "admin"):
        assert posted.get(f"c-{role}", []) == [], role
    assert silent_id not in json.dumps({k: v for k, v in posted.items() if k != "c-response_team"}), (
        "the silent alert's id reached another socket"
    )

    # And when a public alert follows, operators, admins and police hear of it; analysts and the response
    # team do not
    public_id = _send(api, citizen.claims)
    _publish(alerts, units)
    heard = {role: [m.get("alert_id") for m in posted.get(f"c-{role}", [])] for role in STAFF}
    assert heard["operator"] == heard["admin"] == heard["police"] == [public_id]
    assert heard["analyst"] == []
    assert heard["response_team"] == [silent_id]


def test_events_hold_no_personal_data_and_name_only_what_changed(api, stack, sockets, citizen, staff_claims):
    posted, _ = sockets
    assert _connect("c-operator", _user(stack, "operator", "operator")) == 200
    alerts = stream_pump(stack, "AlertsTable", "LivePublisherFunction")
    units = stream_pump(stack, "UnitsTable", "LivePublisherFunction")
    operator = staff_claims("operator")
    api("PUT", "/v1/units/GC-01/crew", {"user_ids": ["officer-1"]}, claims=operator)
    _publish(alerts, units)
    posted.clear()

    # When an alert arrives and the operator assigns GC-01 to it
    alert_id = _send(api, citizen.claims)
    _publish(alerts, units)
    for action in ({"action": "acknowledge"}, {"action": "assign", "unit_id": "GC-01"}):
        answer = api("POST", f"/v1/alerts/{alert_id}/actions", action, claims=operator)
        assert answer.status == 200, answer.body
    _publish(alerts, units)

    # Then the socket heard of the alert and of the unit, each event only {event_id, kind, id, at}
    messages = posted["c-operator"]
    assert {(m["kind"], m.get("alert_id") or m.get("unit_id")) for m in messages} == {
        ("alert", alert_id),
        ("unit", "GC-01"),
    }
    for m in messages:
        assert set(m) in ({"event_id", "kind", "alert_id", "at"}, {"event_id", "kind", "unit_id", "at"})
    text = json.dumps(messages)
    for secret in (
        citizen.user_id,
        citizen.email,
        f"{NEAR_CENTRE[0]:.4f}",
        f"{NEAR_CENTRE[1]:.4f}",
        "robbery",
    ):
        assert secret not in text


def test_a_gone_connection_is_forgotten(api, stack, sockets, citizen):
    posted, gone = sockets
    for name in ("c-here", "c-left"):
        assert _connect(name, _user(stack, name, "operator")) == 200
    alerts = stream_pump(stack, "AlertsTable", "LivePublisherFunction")
    gone.add("c-left")  # the console left without a $disconnect: API Gateway answers 410

    _send(api, citizen.claims)
    _publish(alerts)

    assert [m["kind"] for m in posted["c-here"]] == ["alert"]
    assert set(_connections(stack)) == {"c-here"}


def test_get_events_returns_after_a_cursor_only_what_the_callers_roles_may_see(
    api, stack, sockets, citizen, staff_claims
):
    # Given a public alert, then a silent one, published
    alerts = stream_pump(stack, "AlertsTable", "LivePublisherFunction")
    first = _send(api, citizen.claims)
    _publish(alerts)
    victim = register_victim(api, staff_claims)
    silent = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims).json["alert_id"]
    second = _send(api, citizen.claims)
    _publish(alerts)

    def events(role: str, **query: str) -> Any:
        answer = api("GET", "/v1/events", query=query, claims=staff_claims(role))
        assert answer.status == 200, answer.body
        return answer.json

    # Then each role reads its own events, the silent one only by the response team
    operator = events("operator")
    assert [e["alert_id"] for e in operator["items"]] == [first, second]
    for role in ("operator", "police", "admin", "analyst"):
        assert silent not in json.dumps(events(role)), role
    assert events("analyst")["items"] == []
    team = events("response_team")
    assert [(e["kind"], e["alert_id"]) for e in team["items"]] == [("silent_alert", silent)]

    # And from a cursor, only what came after it, a page at a time
    page = events("operator", limit="1")
    assert ([e["alert_id"] for e in page["items"]], page["more"]) == ([first], True)
    rest = events("operator", after=page["cursor"])
    assert ([e["alert_id"] for e in rest["items"]], rest["more"]) == ([second], False)
    assert events("operator", after=rest["cursor"]) == {"items": [], "cursor": rest["cursor"], "more": False}


def test_get_events_refuses_residents_and_a_malformed_cursor(api, stack, citizen, staff_claims):
    assert api("GET", "/v1/events", claims=citizen.claims).status == 403
    assert api("GET", "/v1/events").status == 401
    bad = api("GET", "/v1/events", query={"after": "'; DROP"}, claims=staff_claims("operator"))
    assert bad.status == 400
    assert "after" in json.dumps(bad.json)


def test_a_dead_letter_is_told_to_operators_and_admins_once(stack, sockets):
    from vigia.handlers.live_publisher import lambda_handler

    posted, _ = sockets
    for role in ("operator", "admin", "police", "response_team"):
        assert _connect(f"c-{role}", _user(stack, role, role)) == 200

    def look() -> None:
        lambda_handler({"check": "dead_letters"}, FakeContext("LivePublisherFunction"))

    look()  # every DLQ empty, as when the publisher last looked: nothing to tell
    assert posted == {}

    # When an SMS task lands in the SMS DLQ
    stack.client("sqs").send_message(QueueUrl=stack.resources["SmsDLQ"], MessageBody='{"alert_id": "a-1"}')
    look()
    # Then operators and admins hear which queue, and nothing else; police and the response team nothing
    for role in ("operator", "admin"):
        assert [(m["kind"], m["queue"]) for m in posted[f"c-{role}"]] == [("dlq", "sms")]
        assert set(posted[f"c-{role}"][0]) == {"event_id", "kind", "queue", "at"}
    assert "c-police" not in posted
    assert "c-response_team" not in posted
    # And a look with nothing changed tells no one again
    look()
    assert len(posted["c-operator"]) == 1
