"""The residents' app's words (app/strings.js) as the app resolves them: the city's Spanish over es-AR."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
BLOCK = re.compile(r"^  '?([a-zA-Z-]+)'?: \{\n(.*?)^  \},", re.MULTILINE | re.DOTALL)
ENTRY = re.compile(r"^    ([a-z][a-z0-9_]*): '((?:[^'\\]|\\.)*)',$", re.MULTILINE)


def catalogues() -> dict[str, dict[str, str]]:
    """Each catalogue of app/strings.js by its locale: es-AR and en whole, es-CL only what differs."""
    source = (APP / "strings.js").read_text(encoding="utf-8")
    return {name: dict(ENTRY.findall(body)) for name, body in BLOCK.findall(source)}


def app_words(locale: str) -> dict[str, str]:
    """What a resident of a city speaking `locale` reads: its catalogue over es-AR's (English: en's)."""
    found = catalogues()
    return {**found["es-AR"], **found.get(locale, {})}
