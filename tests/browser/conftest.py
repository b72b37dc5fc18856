"""The console in a real Chromium (Debian's, through pytest-playwright, set up in tests/conftest.py) against
the session's local stack.

One browser and one stack for the whole session; each test gets a fresh page (a new browser context, so
nothing signed in carries over: tokens live in the page's memory only).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.console_page import Console
from tests.e2e.conftest import LocalStackProcess, local_stack  # noqa: F401  (the session's one stack)


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
