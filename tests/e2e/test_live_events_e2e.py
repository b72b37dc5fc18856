"""The console's live events on the local stack, with a real WebSocket client: the socket the template
declares, opened with an ID token, hears of a public alert as an operator and of nothing silent; the response
team hears of the silent one; the management API (@connections) closes a socket from the server's side."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import requests
import simple_websocket

pytestmark = pytest.mark.e2e
STAFF = ("operator", "police", "response_team", "analyst", "admin")


def open_socket(stack: Any, role: str) -> simple_websocket.Client:
    user = stack.demo_user(role)
    token = stack.sign_in(user["username"], user["password"])
    return simple_websocket.Client.connect(f"{stack.outputs['WebSocketUrl']}?token={token}")


def heard(socket: simple_websocket.Client, until: Any = None, timeout: float = 10) -> list[dict[str, Any]]:
    """What the socket receives until `until(message)` holds (or, without it, for `timeout` seconds)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = socket.receive(timeout=max(0.05, deadline - time.monotonic()))
        if data is None:
            continue
        got.append(json.loads(data))
        if until is not None and until(got[-1]):
            return got
    return got


_CITIZENS: dict[int, Any] = {}


def send_alert(stack: Any, type_: str) -> str:
    """An alert from a resident of this module's own (the session's demo citizen may have spent her
    3-in-10-minutes limit in other files' tests on the same stack)."""
    if id(stack) not in _CITIZENS:
        _CITIZENS[id(stack)] = stack.new_citizen()
    citizen = _CITIZENS[id(stack)]
    home = citizen.get(f"{stack.api}/v1/me").json()["home_location"]
    sent = citizen.post(
        f"{stack.api}/v1/alerts",
        json={"type": type_, "location": {"lat": home["lat"], "lon": home["lon"]}},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert sent.status_code == 202, sent.text
    return str(sent.json()["alert_id"])


def test_the_operators_socket_hears_a_public_alert_and_nothing_of_a_silent_one(local_stack):
    # Given a console socket open for every staff role, and the config.json the console reads naming it
    sockets = {role: open_socket(local_stack, role) for role in STAFF}
    config = requests.get(f"{local_stack.api}/console/config.json", timeout=10).json()
    assert config["ws_url"] == local_stack.outputs["WebSocketUrl"]
    try:
        # When a resident sends a silent alert, then a public one
        silent_id = send_alert(local_stack, "domestic_violence")
        public_id = send_alert(local_stack, "robbery")

        # Then the operator's socket hears of the public alert, and nothing of the silent one
        operator = heard(sockets["operator"], until=lambda m: m.get("alert_id") == public_id)
        assert {"kind": "alert", "alert_id": public_id} in [
            {"kind": m["kind"], "alert_id": m.get("alert_id")} for m in operator
        ]
        # And the response team hears of the silent alert
        team = heard(sockets["response_team"], until=lambda m: m.get("alert_id") == silent_id)
        assert [m["kind"] for m in team if m.get("alert_id") == silent_id] == ["silent_alert"]
        # And, a moment later, no socket but the response team's has received the silent alert's id
        others = {
            role: heard(sockets[role], timeout=1.5) for role in ("operator", "police", "analyst", "admin")
        }
        others["operator"] += operator
        for role, messages in others.items():
            assert silent_id not in json.dumps(messages), role
            assert "silent_alert" not in json.dumps(messages), role
    finally:
        for socket in sockets.values():
            socket.close()


def test_a_resident_or_a_bad_token_cannot_open_the_socket(local_stack):
    url = local_stack.outputs["WebSocketUrl"]
    for token_of in ("citizen", None, "garbage"):
        if token_of == "citizen":
            user = local_stack.demo_user("citizen")
            citizen_token = local_stack.sign_in(user["username"], user["password"])
            query = "?token=" + citizen_token
        else:
            query = "" if token_of is None else "?token=a.b.c"
        with pytest.raises(simple_websocket.ConnectionError) as refused:
            simple_websocket.Client.connect(url + query)
        assert refused.value.status_code == (403 if token_of == "citizen" else 401)
    # and the stack's log never holds a token from a socket's query string
    local_stack.wait_for(lambda: "refused by $connect" in local_stack.log(tail=100_000))
    assert citizen_token.split(".")[2] not in local_stack.log(tail=100_000)


def test_a_socket_closed_by_the_server_is_forgotten_and_a_new_one_hears_again(local_stack):
    # Given an operator's socket, known in the connections table
    table = local_stack.outputs["Resources"]["ConnectionsTable"]
    dynamodb = local_stack.aws("dynamodb")

    def connections() -> set[str]:
        return {i["connection_id"]["S"] for i in dynamodb.scan(TableName=table)["Items"]}

    before = connections()
    socket = open_socket(local_stack, "operator")
    [connection_id] = local_stack.wait_for(lambda: connections() - before)
    management = local_stack.outputs["WebSocketUrl"].replace("ws://", "http://")

    # When the management API deletes the connection (API Gateway's DeleteConnection)
    deleted = requests.delete(f"{management}/@connections/{connection_id}", timeout=10)
    assert deleted.status_code == 204

    # Then the client sees its socket closed, $disconnect forgets it, and posting to it answers 410 Gone
    def read_until_closed() -> None:
        for _ in range(50):
            socket.receive(timeout=0.2)

    with pytest.raises(simple_websocket.ConnectionClosed):
        read_until_closed()
    local_stack.wait_for(lambda: connection_id not in connections())
    gone = requests.post(f"{management}/@connections/{connection_id}", data=b"{}", timeout=10)
    assert gone.status_code == 410
    # And a new socket hears the next alert
    again = open_socket(local_stack, "operator")
    try:
        alert_id = send_alert(local_stack, "robbery")
        assert any(
            m.get("alert_id") == alert_id for m in heard(again, until=lambda m: m.get("alert_id") == alert_id)
        )
    finally:
        again.close()
