"""The residents' web app's site (/app/): app/ served like the console, with its own config.json.

It reuses the console's server (`ConsoleSite`: the same headers, caching and refusals) over the app/ folder;
the app imports the console's sign-in, API and DOM modules from ../console/js/ (one origin, so the CSP's
'self' covers them). One difference: config.json adds what only the app needs (the cancel window, the silent
gesture).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from infra.tools.console_site import ROOT, ConsoleMount, ConsoleSite, _city, city_layers, config, load_pack
from vigia.city.model import CityPack

APP_DIR = ROOT / "app"
# The silent alarm's discreet gesture: a long press on the city's name (docs/app.md)
SILENT_GESTURE = {"gesture": "long_press_city_name", "hold_ms": 1500}


def app_config(console_config: Mapping[str, Any], pack: CityPack) -> dict[str, Any]:
    """The console's config.json plus the app's settings from the city pack."""
    settings = dict(pack.raw.get("settings") or {})
    silent_types = [code for code, kind in (pack.raw.get("alert_types") or {}).items() if kind.get("silent")]
    gesture = {**SILENT_GESTURE, **dict(settings.get("app_silent_gesture") or {})}
    return {
        **console_config,
        "cancel_window_s": int(settings.get("cancel_window_s", 120)),
        "silent_alarm": {**gesture, "type": silent_types[0] if silent_types else ""},
        "report_types": report_types(pack),
    }


def report_types(pack: CityPack) -> list[dict[str, Any]]:
    """The pack's report types as the app's form offers them: labels per locale, whether it marks an unsafe
    place, and its department's name per locale (the departments' contacts stay out: staff's, not hers)."""
    departments = pack.raw.get("departments") or {}
    return [
        {
            "code": code,
            "labels": dict(kind.get("labels") or {}),
            "unsafe_place": bool(kind.get("unsafe_place")),
            "department": kind.get("department", ""),
            "department_names": dict((departments.get(kind.get("department")) or {}).get("name") or {}),
        }
        for code, kind in (pack.raw.get("report_types") or {}).items()
    ]


class AppSite(ConsoleSite):
    """ConsoleSite over app/, with the console's headers (in the cloud, the console's headers policy serves
    both); the Permissions-Policy lets both sites' own pages ask for the position."""

    def __init__(self, site_config: Mapping[str, Any], pack: CityPack, *, root: Path = APP_DIR) -> None:
        super().__init__(app_config(site_config, pack), city_layers(pack), root=root)


class AppMount(ConsoleMount):
    """The app under /app of the local API's server, built on its first request like the console's."""

    def __init__(self, outputs: Callable[[], Mapping[str, Any]], prefix: str = "/app") -> None:
        super().__init__(outputs, prefix)

    @property
    def site(self) -> ConsoleSite:
        if self._site is None:
            outputs = self.outputs()
            pack = load_pack(_city(outputs))
            self._site = AppSite(config(outputs, pack), pack)
        return self._site
