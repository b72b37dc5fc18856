"""What a query parameter, path segment or header may hold at the door: ASCII shapes and clean text.

Python's int(), str.isdigit() and date.fromisoformat() take full-width and other Unicode digits ("１０");
the OpenAPI document promises ASCII. Every query value a route reads is checked here against its shape
first, so a route's own range checks only ever see ASCII (one place, for every handler that reads queries
through vigia.handlers.routes.common).
"""

from __future__ import annotations

import re

from vigia.api.strict_json import excerpt, text_problem
from vigia.errors import FieldError, InvalidRequest

_TOKENS = r"[A-Za-z0-9_.,:-]{1,200}"  # codes, ids and comma lists of them
# Years 2000-2099: the API has no use for others, and date arithmetic past 9999 raises (a 500 once).
_DATE = r"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
# name -> (regular expression the whole value must match, what the problem says it expects)
QUERY_SHAPES: dict[str, tuple[str, str]] = {
    "limit": (r"[0-9]{1,6}", "a whole number written with the digits 0-9"),
    "peek": (r"[0-9]{1,6}", "a whole number written with the digits 0-9"),
    "date": (_DATE, "a date as YYYY-MM-DD (years 2000-2099)"),
    "from": (_DATE, "a date as YYYY-MM-DD (years 2000-2099)"),
    "to": (_DATE, "a date as YYYY-MM-DD (years 2000-2099)"),
    "since": (
        _DATE + r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:[0-9]{2})?",
        "an ISO-8601 time such as 2026-03-01T12:00:00Z",
    ),
    "cursor": (r"[A-Za-z0-9_=-]{1,2048}", "the next_cursor of an earlier page"),
    "alert_id": (r"[0-9A-Za-z_-]{1,64}", "an alert's id"),
}
DEFAULT_SHAPE = (_TOKENS, "letters, digits and _ . , : - (at most 200)")
MAX_SEGMENT_CHARS = 128  # no id or date in a path is longer; DynamoDB refuses keys past 2048 bytes
# header (lower case) -> most characters it may have
HEADER_LIMITS = {"idempotency-key": 128, "x-reason": 500}


def check_query(name: str, value: str) -> str:
    """`value` if it has the shape the OpenAPI document gives `name`; InvalidRequest naming it otherwise."""
    pattern, expected = QUERY_SHAPES.get(name, DEFAULT_SHAPE)
    if not re.fullmatch(pattern, value, flags=re.ASCII):
        raise InvalidRequest(
            f"The query parameter {name} must be {expected}, not {excerpt(value)!r}.",
            errors=[FieldError(f"/{excerpt(name, 40)}", f"expected {expected}")],
        )
    return value


def check_path(path: str) -> None:
    """Each segment of the request path is clean text of at most MAX_SEGMENT_CHARS characters."""
    for segment in path.split("/"):
        problem = text_problem(segment) or (
            f"longer than {MAX_SEGMENT_CHARS} characters" if len(segment) > MAX_SEGMENT_CHARS else None
        )
        if problem:
            raise InvalidRequest(
                f"A path segment {problem}: {excerpt(segment)!r}.",
                errors=[FieldError("/path", problem)],
            )


def check_headers(headers: dict[str, str]) -> None:
    """The headers the API reads are clean text within their length."""
    for name, limit in HEADER_LIMITS.items():
        value = headers.get(name)
        if value is None:
            continue
        problem = text_problem(value) or (f"longer than {limit} characters" if len(value) > limit else None)
        if problem:
            label = "-".join(part.capitalize() for part in name.split("-"))
            raise InvalidRequest(f"The {label} header {problem}.", errors=[FieldError(f"/{label}", problem)])
