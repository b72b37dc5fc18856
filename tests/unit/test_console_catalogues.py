"""The console's string catalogues: every key the pages use exists in English and in es-AR, and es-CL
overrides only keys es-AR has (what it does not override falls back to es-AR)."""

from __future__ import annotations

import re

from infra.tools.console_site import CONSOLE_DIR

KEY = re.compile(r"^\s+([a-z][a-z0-9_]*):\s", re.MULTILINE)
# t('key'), and keys the pages build from a prefix (status_…, action_…, unit_…, resident_…, legend_…)
USED = re.compile(r"\bt\(\s*'([a-z][a-z0-9_]*)'")
BUILT = re.compile(r"\bt\(\s*`([a-z_]+)\$\{")


def catalogue(locale: str) -> set[str]:
    return set(KEY.findall((CONSOLE_DIR / "i18n" / f"{locale}.js").read_text()))


def sources() -> str:
    return "\n".join(p.read_text() for p in sorted((CONSOLE_DIR / "js").rglob("*.js")))


def test_english_and_rioplatense_spanish_have_the_same_keys() -> None:
    english, spanish = catalogue("en"), catalogue("es-AR")
    assert english - spanish == set(), "missing in es-AR"
    assert spanish - english == set(), "missing in en"


def test_chilean_spanish_overrides_only_what_exists() -> None:
    assert catalogue("es-CL") - catalogue("es-AR") == set()


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    used = set(USED.findall(sources()))
    assert used - catalogue("en") == set()


def test_every_status_and_action_the_api_names_has_words() -> None:
    from vigia.incidents.lifecycle import ACTIONS, STATUSES

    english = catalogue("en")
    assert {f"status_{s}" for s in STATUSES} - english == set()
    assert {f"action_{a}" for a in ACTIONS} - english == set()
    for prefix in set(BUILT.findall(sources())):
        assert any(key.startswith(prefix) for key in english), prefix
