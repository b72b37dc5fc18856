"""The residents' app speaks each city's Spanish: es-AR and English have every key the app uses, es-CL
overrides only keys es-AR has, and what a Chilean resident reads (es-CL over es-AR) has no Rioplatense
voseo and asks for her RUT, not a DNI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.app_strings import app_words, catalogues

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
USED = re.compile(r"\bt\('([a-z][a-z0-9_]*)'")
# Rioplatense forms: the stressed voseo ending (probá, podés, permití) and the unaccented reflexive
# imperative (registrate, comunicate); tuteo writes prueba, puedes, permite, regístrate, comunícate.
VOSEO_STRESSED = re.compile(r"\b\w+(?:á|é|í)s?\b")
VOSEO_REFLEXIVE = re.compile(
    r"\b(?:registrate|comunicate|fijate|acordate|asegurate|quedate|anotate|conectate)\b", re.IGNORECASE
)
NOT_VOSEO = {"más", "está", "estás", "aquí", "ahí", "sí", "qué", "tú", "él", "cómo", "menú"}


def voseo(texts: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for key, text in texts.items():
        words = [w for w in VOSEO_STRESSED.findall(text) if w.lower() not in NOT_VOSEO]
        words += VOSEO_REFLEXIVE.findall(text)
        if words:
            found[key] = words
    return found


def test_the_three_catalogues_are_read() -> None:
    assert set(catalogues()) == {"es-AR", "es-CL", "en"}
    assert len(catalogues()["es-AR"]) > 40


def test_rioplatense_and_english_have_the_same_keys_and_every_key_the_app_uses() -> None:
    found = catalogues()
    assert set(found["es-AR"]) == set(found["en"])
    used = set(USED.findall((APP / "app.js").read_text(encoding="utf-8")))
    assert used - set(found["en"]) == set()


def test_chilean_spanish_overrides_only_what_exists() -> None:
    found = catalogues()
    assert set(found["es-CL"]) - set(found["es-AR"]) == set()


def test_the_voseo_check_finds_the_rioplatense_texts() -> None:
    # (so the next test can fail: es-AR itself is full of voseo)
    found = voseo(catalogues()["es-AR"])
    assert {"Probá", "Registrate", "Permití", "Tocá", "Podés", "Comunicate"} <= {
        w for words in found.values() for w in words
    }


def test_a_chilean_resident_reads_no_voseo() -> None:
    assert voseo(app_words("es-CL")) == {}


@pytest.mark.parametrize(
    ("locale", "label", "keyboard"),
    [("es-AR", "DNI", "numeric"), ("es-CL", "RUT", "text"), ("en", "National ID", "text")],
)
def test_the_national_id_is_named_and_typed_as_the_country_does(
    locale: str, label: str, keyboard: str
) -> None:
    texts = app_words(locale)
    # a RUT's check digit may be K: a numeric keypad could not type it
    assert (texts["national_id"], texts["national_id_keyboard"]) == (label, keyboard)
    assert texts["national_id_hint"]
