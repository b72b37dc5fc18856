"""RFC 9457 problem details: the one mapping from domain errors to HTTP answers."""

from __future__ import annotations

import json
from typing import Any

from vigia.errors import FieldError, TooManyAlerts, TooManyRegistrations, VigiaError

PROBLEM_TYPE_BASE = "https://vigia.city/problems/"
CONTENT_TYPE = "application/problem+json"


def problem_body(
    status: int, title: str, detail: str, slug: str, errors: list[FieldError] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"path": e.path, "message": e.message} for e in errors]
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def from_error(error: VigiaError) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) for a domain error."""
    headers = {"Content-Type": CONTENT_TYPE}
    if isinstance(error, TooManyAlerts | TooManyRegistrations):
        headers["Retry-After"] = str(error.retry_after_s)
    body = problem_body(error.status, error.title, error.detail, error.slug, error.errors, **error.extra)
    return error.status, headers, json.dumps(body, ensure_ascii=False)
