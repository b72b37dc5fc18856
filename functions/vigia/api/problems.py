"""RFC 9457 problem details: the one mapping from domain errors to HTTP answers."""

from __future__ import annotations

import json
from typing import Any

from vigia.api.strict_json import excerpt
from vigia.errors import FieldError, TooManyAlerts, TooManyRegistrations, VigiaError

PROBLEM_TYPE_BASE = "https://vigia.city/problems/"
CONTENT_TYPE = "application/problem+json"
# A problem quotes what was sent only as an excerpt: these bound every text it carries, whatever the route
# put in it (a 10 MB note once came back twice in a 20 MB answer).
MAX_DETAIL_CHARS, MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_ERRORS = 400, 300, 200, 10


def problem_body(
    status: int, title: str, detail: str, slug: str, errors: list[FieldError] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": excerpt(detail, MAX_DETAIL_CHARS),
    }
    if errors:
        body["errors"] = [
            {"path": excerpt(e.path, MAX_PATH_CHARS), "message": excerpt(e.message, MAX_MESSAGE_CHARS)}
            for e in errors[:MAX_ERRORS]
        ]
    body.update(
        {
            k: excerpt(v, MAX_MESSAGE_CHARS) if isinstance(v, str) else v
            for k, v in extra.items()
            if v is not None
        }
    )
    return body


def from_error(error: VigiaError) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) for a domain error."""
    headers = {"Content-Type": CONTENT_TYPE}
    if isinstance(error, TooManyAlerts | TooManyRegistrations):
        headers["Retry-After"] = str(error.retry_after_s)
    body = problem_body(error.status, error.title, error.detail, error.slug, error.errors, **error.extra)
    return error.status, headers, json.dumps(body, ensure_ascii=False)
