"""The console's live events in Chromium over the stack's WebSocket: a new alert arrives on the socket and in
the queue, a silent one never reaches the operator's socket, and when the socket is dropped from the
server's side the console says so, reconnects, catches up with GET /v1/events?after= and shows what it
missed — without a reload."""

from __future__ import annotations

import json
from typing import Any

import requests
from playwright.sync_api import expect

from tests.browser.console_page import Console, send_alert, unit_base, wait_until


def _connections(stack: Any) -> set[str]:
    table = stack.outputs["Resources"]["ConnectionsTable"]
    return {i["connection_id"]["S"] for i in stack.aws("dynamodb").scan(TableName=table)["Items"]}


def _heard(frames: list[str]) -> list[dict]:
    return [json.loads(f) for f in frames if f.startswith("{")]


def test_the_socket_drops_and_the_console_catches_up_without_reload(console: Console) -> None:
    stack, page = console.stack, console.page
    # residents of this test's own (each may send 3 alerts in 10 minutes; the session's are for the others)
    resident, victim = stack.new_citizen(), stack.new_citizen()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(str(frame))))
    before = _connections(stack)

    # Given an operator on the queue, live over the stack's WebSocket
    console.sign_in("operator")
    expect(page.locator("body")).to_have_attribute("data-live-transport", "socket")
    expect(page.locator(".live")).to_have_attribute("data-live-state", "live")
    [connection_id] = wait_until(lambda: _connections(stack) - before)
    page.evaluate("() => { window.__sameDocument = true }")

    # When a resident sends an alert, Then the socket brings it and it joins the queue
    first = send_alert(resident, "robbery", unit_base("GC-01"))
    expect(console.row(first)).to_be_visible()
    assert any(first in f for f in frames)

    # When a silent alert is sent, Then nothing of it reaches the operator's socket or screen
    silent = send_alert(victim, "domestic_violence", unit_base("GC-02"))
    marker = send_alert(
        resident, "robbery", unit_base("GC-02")
    )  # sent after it: once this is here, so is all
    expect(console.row(marker)).to_be_visible()
    assert not [f for f in frames if silent in f or "silent_alert" in f]
    expect(console.row(silent)).to_have_count(0)

    # When the socket is dropped from the server's side (API Gateway's DeleteConnection)
    management = stack.outputs["WebSocketUrl"].replace("ws://", "http://")
    asked: list[str] = []  # every catch-up the console asks for (it also asks now and then while live)
    page.on("request", lambda r: asked.append(r.url) if "/v1/events?after=" in r.url else None)
    heard_before = max(e["event_id"] for e in _heard(frames))
    mark = len(asked)
    assert requests.delete(f"{management}/@connections/{connection_id}", timeout=10).status_code == 204
    # Then the header says it is reconnecting, while an alert arrives that the socket cannot bring
    expect(page.locator(".live")).to_have_attribute("data-live-state", "reconnecting", timeout=5_000)
    missed = send_alert(resident, "robbery", unit_base("GC-03"))
    expect(console.row(missed)).to_be_visible(timeout=20_000)

    # And once reconnected the console asked for what it missed, after the last event it had heard (the
    # row may come first, from a catch-up asked while live: on a loaded machine the reconnection's is later)
    def caught_up() -> bool:
        heard = {e["event_id"] for e in _heard(frames)}
        afters = [url.split("after=", 1)[1].split("&", 1)[0] for url in asked[mark:]]
        return any(a in heard and a >= heard_before for a in afters)

    for _ in range(100):  # Playwright hears requests only while it is called: wait in the page, not sleep
        if caught_up():
            break
        page.wait_for_timeout(200)
    assert caught_up(), (heard_before, asked[mark:])
    # And shows it, live again, on the same document (no reload)
    expect(console.row(missed)).to_be_visible()
    expect(page.locator(".live")).to_have_attribute("data-live-state", "live")
    expect(page.locator("body")).to_have_attribute("data-live-transport", "socket")
    assert page.evaluate("() => window.__sameDocument === true")
    assert wait_until(lambda: connection_id not in _connections(stack))
