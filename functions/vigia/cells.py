"""Text a spreadsheet will show, never run: CSV cells neutralised against formula injection (OWASP).

A cell that starts with = + - @ (or tab or carriage return) is a formula to Excel, LibreOffice and Google
Sheets, and a formula can fetch URLs or run commands (DDE). Such a cell gets a leading apostrophe, which
spreadsheets display as text, unless it is a plain number ("-32.930000" stays a number).
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", re.ASCII)


def spreadsheet_safe(text: str) -> str:
    """`text` as a CSV cell no spreadsheet evaluates."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
