"""The console may ask for the phone's position, and only its police pages do (docs/console.md)."""

from __future__ import annotations

import re
from pathlib import Path

from infra.tools.console_site import ConsoleSite, city_layers, config, load_pack

ROOT = Path(__file__).resolve().parents[2]
# the check-in of "My shift" sends where the car is; no other page has a reason to know it
POLICE_PAGES = {"pages/shift.js"}


def test_only_the_police_shift_page_asks_for_the_position() -> None:
    scripts = sorted((ROOT / "console" / "js").rglob("*.js"))
    asking = {
        str(path.relative_to(ROOT / "console" / "js"))
        for path in scripts
        if re.search(
            r"navigator\s*\.\s*geolocation|\bgeolocation\s*\.\s*(getCurrentPosition|watchPosition)",
            path.read_text(),
        )
    }
    assert asking == POLICE_PAGES


def test_the_console_lets_its_own_pages_ask_for_the_position_locally_and_in_the_cloud() -> None:
    pack = load_pack("godoy-cruz")
    site = ConsoleSite(config({"ApiUrl": "http://127.0.0.1:3000"}, pack), city_layers(pack))
    local = dict(site.headers)["Permissions-Policy"]
    # its own origin only: a frame or another origin gets nothing (and the CSP forbids framing anyway)
    assert local == "geolocation=(self), camera=(), microphone=()"
    template = (ROOT / "template.yaml").read_text()
    policy = template[template.index("ConsoleHeadersPolicy:") :]
    found = re.search(r"Header: Permissions-Policy, Value: \"([^\"]+)\"", policy)
    assert found, "template.yaml's ConsoleHeadersPolicy has no Permissions-Policy"
    assert found.group(1) == local
