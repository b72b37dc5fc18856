"""The console in a real Chromium (Debian's, through pytest-playwright) against the session's local stack.

One browser and one stack for the whole session; each test gets a fresh page (a new browser context, so
nothing signed in carries over: tokens live in the page's memory only).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.console_page import Console
from tests.e2e.conftest import ROOT, LocalStackProcess, local_stack  # noqa: F401  (the session's one stack)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VENDOR = ROOT / "console" / "vendor"
# the console polls every 3 s: what a test waits for on screen gets a few cycles
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium: Playwright's own browser download cannot be reached from these machines."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs it (make test does)")
    if not (VENDOR / "maplibre-gl" / "maplibre-gl.mjs").exists():
        pytest.fail("console/vendor/ is empty: `make console` installs the console's libraries")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "es-AR"}


@pytest.fixture(scope="session")
def console_url(local_stack: LocalStackProcess) -> str:  # noqa: F811
    """The console as `make run` serves it: /console/ on the local API's own port."""
    return str(local_stack.outputs.get("ConsoleUrl") or f"{local_stack.api}/console/")


@pytest.fixture
def console(page: Page, console_url: str, local_stack: LocalStackProcess) -> Iterator[Console]:  # noqa: F811
    page.set_default_timeout(15_000)
    screen = Console(page, console_url, local_stack)
    yield screen
    assert not screen.csp_violations, f"the console broke its own CSP: {screen.csp_violations}"
    assert not screen.errors, f"uncaught errors in the page: {screen.errors}"
    assert not screen.outside, f"the console reached outside this machine: {screen.outside}"


@pytest.fixture
def resident(local_stack: LocalStackProcess) -> Any:  # noqa: F811
    """A freshly registered, approved resident for each test: each has her own alert limit (3 in 10
    minutes), so tests on a shared stack never spend each other's (a session-wide one ran out: 429)."""
    return local_stack.new_citizen()
