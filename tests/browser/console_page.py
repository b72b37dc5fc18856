"""The console as a test drives it: sign in, follow links, read `data-*` hooks, run axe-core, screenshots."""

from __future__ import annotations

import os
import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, LocalStackProcess

SHOTS_DIR = ROOT / "docs" / "console"


class Console:
    """The console in one page, driven as an operator would: `data-*` hooks, never CSS structure."""

    def __init__(self, page: Page, url: str, stack: LocalStackProcess) -> None:
        self.page = page
        self.url = url
        self.stack = stack
        self.csp_violations: list[str] = []
        self.errors: list[str] = []
        self.outside: list[str] = []  # requests to anything but this machine: the console needs no internet
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in (
            "127.0.0.1",
            "localhost",
        ):
            self.outside.append(request.url)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def open(self, path: str = "") -> Console:
        self.page.goto(self.url + path)
        return self

    def sign_in(self, role: str, *, expect_ready: bool = True) -> Console:
        user = self.stack.demo_user(role)
        self.open()
        self.page.get_by_label(re.compile("Correo|E-mail")).fill(user["username"])
        self.page.get_by_label(re.compile("Contraseña|Password")).fill(user["password"])
        self.page.locator("[data-sign-in] button[type=submit]").click()
        if expect_ready:
            expect(self.page.locator("body")).to_have_attribute("data-state", "ready", timeout=15_000)
        return self

    def go(self, route: str) -> None:
        """Follows an in-app link (no reload: the session lives in the page's memory)."""
        self.page.evaluate("route => { location.hash = route }", f"#/{route}")

    def arm_audio(self) -> None:
        self.page.locator("[data-audio]").click()
        expect(self.page.locator("[data-audio]")).to_have_attribute("aria-pressed", "true")

    def tones(self) -> int:
        return int(self.page.locator("[data-audio]").get_attribute("data-tones") or 0)

    def row(self, alert_id: str) -> Any:
        return self.page.locator(f"[data-queue] tr[data-alert-id='{alert_id}']")

    def serious_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        if not self.page.evaluate("() => Boolean(window.axe)"):
            # from the console's own origin: the page's CSP refuses inline script, as it should
            self.page.add_script_tag(url=self.url + "vendor/axe-core/axe.min.js")
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result
            if v["impact"] in ("serious", "critical")
        ]

    def screenshot(self, name: str) -> None:
        """docs/console/<name>.png with VIGIA_CONSOLE_SHOTS=1 (`make console-shots`); else none."""
        if os.environ.get("VIGIA_CONSOLE_SHOTS") == "1":
            SHOTS_DIR.mkdir(parents=True, exist_ok=True)
            self.page.wait_for_timeout(400)  # the map's last frame
            self.page.screenshot(path=str(SHOTS_DIR / f"{name}.png"))


def unit_base(unit_id: str) -> dict[str, float]:
    """Where the console places a unit (its quadrant's centre, from the generated city layers)."""
    from infra.tools.console_site import city_layers, load_pack

    for feature in city_layers(load_pack("godoy-cruz"))["features"]:
        if feature["properties"].get("unit_id") == unit_id:
            lon, lat = feature["geometry"]["coordinates"]
            return {"lat": lat, "lon": lon}
    raise KeyError(unit_id)


def wait_until(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.2)


def send_alert(session: Any, alert_type: str, location: dict[str, float]) -> str:
    answer = session.post("/v1/alerts", json={"type": alert_type, "location": location})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["alert_id"])
