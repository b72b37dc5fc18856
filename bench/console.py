"""The console in Chromium against a local stack: the live queue with 10,000 open alerts (time to draw the
list, scroll smoothness, rows in the DOM), and the bytes the console costs on a first load and on a reload.

A local stack (no demo history) serves the console; Debian's chromium runs it headless through Playwright.
The 10,000-alert queue is the API's answer replaced by Playwright's route interception
(tests/support/synthetic_queue.py). Bytes come from the Chrome DevTools protocol (`encodedDataLength`, the
bytes on the wire with headers). Figures only: nothing here passes or fails on time.
"""

from __future__ import annotations

import re
import statistics
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
COUNT = 10_000
RUNS = 3
SCROLL_FRAMES = 120

# In the page: from the queue's answer arriving to the first frame painted with its rows.
_FIRST_PAINT = """async () => {
  const rows = () => document.querySelectorAll('[data-queue] tr[data-alert-id]').length;
  while (!rows()) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const painted = performance.now();
  const answers = performance.getEntriesByType('resource').filter((e) => /\\/v1\\/alerts\\?/.test(e.name));
  const answer = answers[0];  // the first answer: the one the list was first drawn from
  return { ms: painted - (answer ? answer.responseEnd : 0), rows: rows() };
}"""

# In the page: scroll the queue one screen per frame and time every frame.
_SCROLL = """async (frames) => {
  const el = document.querySelector('[data-queue-scroll]');
  const times = [];
  let last = performance.now();
  for (let i = 0; i < frames; i += 1) {
    el.scrollTop += el.clientHeight;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  return { times, rows: document.querySelectorAll('[data-queue] tr[data-alert-id]').length,
           scrolled: el.scrollTop, height: el.scrollHeight };
}"""


def _sign_in(page: Any, stack: Any) -> None:
    user = stack.demo_user("operator")
    page.get_by_label(re.compile("Correo|E-mail")).fill(user["username"])
    page.get_by_label(re.compile("Contraseña|Password")).fill(user["password"])
    page.locator("[data-sign-in] button[type=submit]").click()
    page.locator("body[data-state=ready]").wait_for(timeout=30_000)


class _Wire:
    """Bytes on the wire per request (DevTools protocol): the console's own files, and the rest."""

    def __init__(self, page: Any, console_url: str) -> None:
        self.console_url = console_url
        self.urls: dict[str, str] = {}
        self.status: dict[str, int] = {}
        self.bytes: dict[str, int] = {}
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.on(
            "Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"])
        )
        cdp.on("Network.responseReceived", self._response)
        cdp.on(
            "Network.loadingFinished",
            lambda e: self.bytes.__setitem__(e["requestId"], e["encodedDataLength"]),
        )

    def _response(self, event: dict[str, Any]) -> None:
        self.status[event["requestId"]] = int(event["response"]["status"])

    def reset(self) -> None:
        self.urls.clear()
        self.status.clear()
        self.bytes.clear()

    def summary(self) -> dict[str, int]:
        console = [r for r, url in self.urls.items() if url.startswith(self.console_url)]
        other = [r for r in self.urls if r not in console]
        return {
            "console_requests": len(console),
            "console_bytes": sum(self.bytes.get(r, 0) for r in console),
            "console_304": sum(1 for r in console if self.status.get(r) == 304),
            "console_from_cache": sum(1 for r in console if r not in self.bytes or self.bytes[r] == 0),
            "api_requests": len(other),
            "api_bytes": sum(self.bytes.get(r, 0) for r in other),
        }


def _bytes(browser: Any, stack: Any, console_url: str) -> tuple[dict[str, int], dict[str, int]]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="es-AR")
    page = context.new_page()
    wire = _Wire(page, console_url)
    page.goto(console_url)
    _sign_in(page, stack)
    page.locator("[data-map-panel][data-map=ready]").wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    first = wire.summary()
    wire.reset()
    page.reload()  # signs out (tokens live in memory): sign in again, as an operator would
    _sign_in(page, stack)
    page.locator("[data-map-panel][data-map=ready]").wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    again = wire.summary()
    context.close()
    return first, again


def _queue(browser: Any, stack: Any, console_url: str) -> tuple[list[float], list[float], int, int]:
    from tests.support.synthetic_queue import fulfil_with, is_open_queue

    paints: list[float] = []
    frames: list[float] = []
    rows = dom_rows = 0
    for _ in range(RUNS):
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="es-AR")
        page = context.new_page()
        page.route(is_open_queue, fulfil_with(COUNT))
        page.goto(console_url)
        _sign_in(page, stack)
        painted = page.evaluate(_FIRST_PAINT)
        paints.append(painted["ms"])
        rows = painted["rows"]
        scrolled = page.evaluate(_SCROLL, SCROLL_FRAMES)
        frames += scrolled["times"]
        dom_rows = max(dom_rows, scrolled["rows"])
        context.close()
    return paints, frames, rows, dom_rows


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run() -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import launch_local_stack

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make chromium` installs it; the console bench is skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        stack = launch_local_stack(Path(tmp) / "local", residents=50, env={"VIGIA_DEMO_HISTORY_DAYS": "0"})
        try:
            console_url = str(stack.outputs.get("ConsoleUrl") or f"{stack.api}/console/")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                paints, frames, rows, dom_rows = _queue(browser, stack, console_url)
                first, again = _bytes(browser, stack, console_url)
                browser.close()
        finally:
            stack.stop()
    slow = sum(1 for f in frames if f > 50)
    print(f"live queue of {COUNT:,} open alerts (virtual list), Chromium headless, {RUNS} runs:")
    print(
        f"  answer to first paint of the list  median {statistics.median(paints):.0f} ms"
        f"  (runs: {', '.join(f'{p:.0f}' for p in paints)}); {rows} rows in the DOM"
    )
    print(
        f"  scrolling one screen a frame       frame p50 {_pct(frames, 0.5):.1f} ms,"
        f" p95 {_pct(frames, 0.95):.1f} ms, max {max(frames):.1f} ms;"
        f" {slow} of {len(frames)} frames over 50 ms; at most {dom_rows} rows drawn"
    )
    print("console bytes on the wire (DevTools, headers included), sign-in to the queue with its map:")
    for name, f in (("first load", first), ("reload (cached)", again)):
        print(
            f"  {name:<16} console {f['console_bytes'] / 1024:8.1f} KiB in {f['console_requests']} requests"
            f" ({f['console_304']} answered 304, {f['console_from_cache']} from the browser's cache);"
            f" API and sign-in {f['api_bytes'] / 1024:.1f} KiB in {f['api_requests']}"
        )
