"""What a query parameter, path segment or header may hold at the door: ASCII shapes and clean text.

Python's int(), str.isdigit() and date.fromisoformat() take full-width and other Unicode digits ("１０");
the OpenAPI document promises ASCII. Every query value a route reads is checked here against its shape
first, so a route's own range checks only ever see ASCII (one place, for every handler that reads queries
through vigia.handlers.routes.common).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vigia.api.routes import Header, Param
from vigia.api.strict_json import excerpt, text_problem
from vigia.errors import FieldError, InvalidRequest

MAX_SEGMENT_CHARS = 128  # no id or date in a path is longer; DynamoDB refuses keys past 2048 bytes
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}", flags=re.ASCII)


def _refuse(name: str, value: str, expected: str) -> InvalidRequest:
    return InvalidRequest(
        f"The query parameter {name} must be {expected}, not {excerpt(value)!r}.",
        errors=[FieldError(f"/{excerpt(name, 40)}", f"expected {expected}")],
    )


def check_query(param: Param, value: str) -> Any:
    """`value` read as `param`'s schema says (an int for an integer), if it has the documented shape;
    InvalidRequest naming the parameter otherwise."""
    schema = param.schema
    expected = param.description
    if schema.get("type") == "integer":
        if not _WHOLE_NUMBER.fullmatch(value):
            raise _refuse(param.name, value, f"a whole number written with the digits 0-9 ({expected})")
        number = int(value)
        if not schema.get("minimum", number) <= number <= schema.get("maximum", number):
            raise _refuse(param.name, value, expected)
        return number
    if "enum" in schema and value not in schema["enum"]:
        raise _refuse(param.name, value, "one of " + ", ".join(schema["enum"]))
    if "pattern" in schema and not re.fullmatch(schema["pattern"], value, flags=re.ASCII):
        raise _refuse(param.name, value, expected)
    return value


def read_query(params: tuple[Param, ...], raw: Mapping[str, str] | None) -> dict[str, Any]:
    """Every declared query parameter, checked and read (its default when absent or empty); 400 when a
    required one is missing. Parameters a route does not declare are not read."""
    given = raw or {}
    values: dict[str, Any] = {}
    for param in params:
        value = given.get(param.name)
        if value in (None, ""):
            if param.required:
                raise InvalidRequest(
                    f"The query parameter {param.name} is required: {param.description}.",
                    errors=[FieldError(f"/{param.name}", "required")],
                )
            values[param.name] = param.schema.get("default")
        else:
            values[param.name] = check_query(param, value)
    return values


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


def check_headers(declared: tuple[Header, ...], headers: Mapping[str, str]) -> dict[str, str]:
    """The declared headers, clean text within their length (400 naming the header otherwise)."""
    values: dict[str, str] = {}
    for header in declared:
        value = headers.get(header.name.lower())
        if value in (None, ""):
            if header.required:
                raise InvalidRequest(
                    f"The {header.name} header is required: {header.description}.",
                    errors=[FieldError(f"/{header.name}", "required")],
                )
            continue
        assert value is not None
        limit = header.max_length
        problem = text_problem(value) or (f"longer than {limit} characters" if len(value) > limit else None)
        if problem:
            raise InvalidRequest(
                f"The {header.name} header {problem}.", errors=[FieldError(f"/{header.name}", problem)]
            )
        values[header.name.lower()] = value
    return values
