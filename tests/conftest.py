"""Session fixtures every test layer shares: the city pack, loaded once; Chromium for the pages (the console's
and the app's in tests/browser, each city's app in tests/e2e/test_city_journeys.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import godoy_cruz_pack
from vigia.city import CityPack

ROOT = Path(__file__).resolve().parents[1]
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
def city_pack() -> CityPack:
    """Godoy Cruz's pack as the functions load it (the same object `godoy_cruz_pack()` returns)."""
    return godoy_cruz_pack()
