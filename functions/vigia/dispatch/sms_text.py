"""SMS parts: GSM-7 (160 septets, 153 a part when split) or UCS-2 (70, 67); keeping a text to one part."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# GSM 03.38: one septet each in the basic set, two (escape + char) in the extension table.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSize:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int


def is_gsm7(text: str) -> bool:
    """True when the text fits the GSM 7-bit alphabet (160 characters a part, not UCS-2's 70)."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def gsm7_length(text: str) -> int:
    """Septets the text takes in GSM-7; extension characters (such as € or [) take two."""
    return sum(_septets(ch) for ch in text)


def _septets(ch: str) -> int:
    return 2 if ch in _GSM7_EXTENSION else 1


def _utf16_width(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _utf16_units(text: str) -> int:
    # surrogatepass: a lone surrogate (a name stored before the door refused it) counts, never crashes
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _parts(text: str, units: int, single: int, part: int, width: Callable[[str], int]) -> int:
    """The parts a text of `units` costs: one up to `single`, else `part` units a part, counted part by part
    because a two-unit character (a GSM-7 escape pair, a UTF-16 surrogate pair) never straddles two parts."""
    if units <= single:
        return 1
    parts, used = 1, 0
    for ch in text:
        taken = width(ch)
        if used + taken > part:
            parts, used = parts + 1, 0
        used += taken
    return parts


def measure(text: str) -> SmsSize:
    """How many SMS parts a text costs, and in which encoding."""
    if is_gsm7(text):
        septets = gsm7_length(text)
        return SmsSize("GSM-7", septets, _parts(text, septets, GSM7_SINGLE, GSM7_PART, _septets))
    units = _utf16_units(text)
    return SmsSize("UCS-2", units, _parts(text, units, UCS2_SINGLE, UCS2_PART, _utf16_width))


# What a phone's keyboard or a pasted address puts in a name that GSM-7 lacks, and its plain form: one
# curly apostrophe (iOS types "O’Higgins") or a "N° 1234" would turn the whole message into UCS-2.
_GSM7_PLAIN = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f", " "),
    "\u00b0": "o",  # N° (número)
    "\u00ba": "o",  # Nº
    "\u00aa": "a",  # 1ª
    "\u2026": "...",
}


def fold_to_gsm7(text: str) -> str:
    """The text with accents GSM-7 lacks taken off (á → a, Í → I) and typographic punctuation made plain
    (’ → ', – → -, N° → No); ñ, é, ü and the like stay as they are, also when typed decomposed (n + ◌̃)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if is_gsm7(ch):
            out.append(ch)
            continue
        if ch in _GSM7_PLAIN:
            out.append(_GSM7_PLAIN[ch])
            continue
        if unicodedata.combining(ch):
            continue  # a mark left over after composing (a + ◌̃): the letter says enough
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        out.append(base if base and is_gsm7(base) else ch)
    return "".join(out)


def fit(text: str) -> str:
    """The text itself, or its GSM-7 fold when that costs fewer parts (one accent can triple the cost)."""
    size = measure(text)
    if size.encoding == "GSM-7" or size.parts == 1:
        return text
    folded = fold_to_gsm7(text)
    return folded if measure(folded).parts < size.parts else text
