"""The residents' app's site: its config.json and headers (docs/app.md)."""

from __future__ import annotations

import json

from infra.tools.app_site import AppSite
from infra.tools.console_site import ConsoleSite, city_layers, config, load_pack


def sites() -> tuple[AppSite, ConsoleSite]:
    pack = load_pack("godoy-cruz")
    console_config = config({"ApiUrl": "http://127.0.0.1:3000"}, pack)
    return AppSite(console_config, pack), ConsoleSite(console_config, city_layers(pack))


def test_the_app_is_served_with_the_consoles_headers_which_let_their_own_pages_ask_for_the_position() -> None:
    app, console = sites()
    # in the cloud the app is behind the console's distribution and its one headers policy
    # (ConsoleHeadersPolicy, kept equal to the console's local policy by test_console_geolocation.py)
    assert app.headers == console.headers
    # the app's alert buttons and the police check-in send the phone's position (only they ask for it)
    assert dict(app.headers)["Permissions-Policy"].startswith("geolocation=(self)")


def test_the_app_config_names_the_cancel_window_and_the_silent_gesture_of_the_pack() -> None:
    app, _ = sites()
    status, kind, body = app.file("config.json")
    assert (status, kind) == (200, "application/json")
    site = json.loads(body)
    assert site["cancel_window_s"] == 120
    assert site["silent_alarm"] == {
        "gesture": "long_press_city_name",
        "hold_ms": 1500,
        "type": "domestic_violence",
    }


def test_the_app_config_offers_the_packs_report_types_without_the_departments_contacts() -> None:
    app, _ = sites()
    site = json.loads(app.file("config.json")[2])
    types = {t["code"]: t for t in site["report_types"]}
    assert set(types) == {"broken_lighting", "dark_spot", "unsafe_place", "trash", "abandoned_vehicle"}
    assert types["unsafe_place"]["labels"]["en"] == "Here I feel unsafe"
    assert [code for code, t in types.items() if t["unsafe_place"]] == ["unsafe_place", "dark_spot"]
    assert types["trash"]["department_names"]["es-AR"] == "Higiene urbana"
    # the departments' e-mail and phone are the staff's: not in a file any visitor can read
    offered = json.dumps(site["report_types"])
    assert "@" not in offered
    assert "contact" not in offered


def test_the_app_serves_its_shell_and_nothing_outside_app() -> None:
    app, _ = sites()
    assert app.file("")[0] == 200
    assert app.file("sw.js")[:2] == (200, "text/javascript; charset=utf-8")
    assert app.file("manifest.webmanifest")[0] == 200
    for path in ("../console/js/auth.js", "..%2Fconsole/index.html", ".git/config", "node_modules/x"):
        assert app.file(path)[0] == 404, path
