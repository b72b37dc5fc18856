"""Pagination cursors: an opaque, URL-safe token for the key a listing resumes after."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from vigia.errors import FieldError, Unprocessable


def encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str, path: str = "/cursor") -> Any:
    """The cursor's data; a 422 naming `path` for a token this API did not give out (it has the shape the
    OpenAPI document gives a cursor, so the request is well formed; no page of this API starts there)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Unprocessable(
            "The cursor is not one this API gave out; start again without it.",
            errors=[FieldError(path, "malformed cursor")],
        ) from None


def foreign(message: str, reason: str, path: str = "/cursor") -> Unprocessable:
    """The 422 for a well-formed cursor of another listing."""
    return Unprocessable(message, errors=[FieldError(path, reason)])
