"""The residents' app in Chromium on a phone-sized screen against a local stack: the bytes and time of its
first load (and a reload), and tap → 202 (p50/p95): from the tap on an alert button to the sent screen, and
the POST /v1/alerts alone (the browser's resource timing). Each resident may send 3 alerts in 10 minutes, so
the taps come from several freshly registered and approved residents. Figures only: nothing passes or fails.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.console import ARGS, CHROMIUM, _pct, _Wire

RESIDENTS = 8
TAPS_EACH = 3  # the pack's limit per resident and window
TYPES = ("robbery", "suspicious_activity", "fire")

_POST_MS = """() => {
  const posts = performance.getEntriesByType('resource').filter((e) => /\\/v1\\/alerts$/.test(e.name));
  const last = posts[posts.length - 1];
  return last ? last.responseEnd - last.startTime : null;
}"""


def _context(browser: Any) -> Any:
    from tests.browser.console_page import unit_base

    home = unit_base("GC-01")
    return browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="es-AR",
        geolocation={"latitude": home["lat"], "longitude": home["lon"], "accuracy": 15},
        permissions=["geolocation"],
    )


def _first_load(browser: Any, app_url: str, origin: str) -> tuple[dict[str, int], dict[str, int], float]:
    context = _context(browser)
    page = context.new_page()
    wire = _Wire(page, origin + "/")
    started = time.perf_counter()
    page.goto(app_url)
    page.locator("body[data-state=ready]").wait_for(timeout=30_000)
    ready_ms = (time.perf_counter() - started) * 1000
    page.wait_for_load_state("networkidle")
    first = wire.summary()
    wire.reset()
    page.reload()
    page.locator("body[data-state=ready]").wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    again = wire.summary()
    context.close()
    return first, again, ready_ms


def _taps(browser: Any, stack: Any, app_url: str) -> tuple[list[float], list[float]]:
    from tests.browser.test_resident_app import approved_resident

    screen: list[float] = []
    posts: list[float] = []
    for _ in range(RESIDENTS):
        email = approved_resident(stack)
        context = _context(browser)
        page = context.new_page()
        page.goto(app_url)
        page.get_by_label("Correo electrónico").fill(email)
        page.get_by_label("Contraseña").fill("Segura-2026x")
        page.locator("[data-sign-in] button[type=submit]").click()
        for code in TYPES[:TAPS_EACH]:
            button = page.locator(f"[data-alert-type='{code}']")
            button.wait_for(timeout=30_000)
            started = time.perf_counter()
            button.click()
            page.locator("[data-sent]").wait_for(timeout=30_000)
            screen.append((time.perf_counter() - started) * 1000)
            post = page.evaluate(_POST_MS)
            if post is not None:
                posts.append(float(post))
            page.locator("[data-new-alert]").click()
        context.close()
    return screen, posts


def run() -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import launch_local_stack

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make chromium` installs it; the resident app bench is skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        stack = launch_local_stack(Path(tmp) / "local", residents=50, env={"VIGIA_DEMO_HISTORY_DAYS": "0"})
        try:
            app_url = f"{stack.api}/app/"
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                first, again, ready_ms = _first_load(browser, app_url, stack.api)
                screen, posts = _taps(browser, stack, app_url)
                browser.close()
        finally:
            stack.stop()
    print("resident app on a 360×740 phone screen, Chromium headless, local stack:")
    # a reload goes through the app's service worker: its own fetches are not the page's, so 0 bytes here
    for name, f in (("first load", first), ("reload (sw)", again)):
        print(
            f"  {name:<11} {f['console_bytes'] / 1024:6.1f} KiB in {f['console_requests']} requests"
            f" ({f['console_304']} answered 304); others {f['api_requests']}"
        )
    print(f"  first load to ready (config read, sign-in form drawn): {ready_ms:.0f} ms")
    print(
        f"  tap → sent screen ({len(screen)} taps, {RESIDENTS} residents):"
        f" p50 {statistics.median(screen):.0f} ms,"
        f" p95 {_pct(screen, 0.95):.0f} ms"
    )
    if posts:
        print(
            f"  POST /v1/alerts → 202 alone: p50 {statistics.median(posts):.0f} ms,"
            f" p95 {_pct(posts, 0.95):.0f} ms"
        )
