"""Request bodies checked against schemas/*.json (JSON Schema 2020-12); violations become 400 with paths.

Bodies are read by vigia.api.strict_json first; a message quotes at most an excerpt of the value.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from vigia import settings
from vigia.api.strict_json import EXCERPT_CHARS, excerpt, read_json
from vigia.errors import FieldError, InvalidRequest

MAX_ERRORS = 10  # a body of 30,000 wrong items names the first ten, not 30,000


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    path: Path = settings.get().schemas_dir / name
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _registry() -> Any:
    """Every schema under schemas/, by its $id, so relative $refs resolve offline."""
    from referencing import Registry, Resource

    root = settings.get().schemas_dir
    resources = []
    for path in sorted(root.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "$id" in document:
            resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


@functools.cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker  # lazy: keeps cold start low

    return Draft202012Validator(load_schema(name), registry=_registry(), format_checker=FormatChecker())


def _path(error: Any) -> str:
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    if error.validator == "additionalProperties" and "'" in error.message:
        parts.append(error.message.split("'")[1])
    if error.validator == "dependentRequired" and "'" in error.message:  # "'to' is a dependency of 'from'"
        parts.append(error.message.split("'")[1])
    schema_path = list(error.absolute_schema_path)
    if "dependentSchemas" in schema_path:  # the property whose presence rules the others out
        parts.append(schema_path[schema_path.index("dependentSchemas") + 1])
    return "/" + "/".join(str(p) for p in parts) if parts else "/"


def parse_json_body(
    raw: str | None, *, is_base64: bool = False, content_type: str | None = "application/json"
) -> Any:
    """The body's JSON document, read strictly (vigia.api.strict_json): 400, 413 or 415 otherwise."""
    return read_json(raw, is_base64=is_base64, content_type=content_type)


def _message(error: Any) -> str:
    """jsonschema's message with the offending value cut to an excerpt (it quotes the whole value)."""
    message: str = error.message
    schema_path = list(error.absolute_schema_path)
    if error.validator == "not" and error.validator_value == {} and isinstance(error.schema, dict):
        return str(error.schema.get("description") or "not allowed here")  # a property another one rules out
    if error.validator == "not" and "dependentSchemas" in schema_path:
        ruled_out = schema_path[schema_path.index("dependentSchemas") + 1]
        return f"give {ruled_out} alone, or its alternatives without it"
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "pattern" and schema.get("title"):  # common.json's line and text say what they want
        return excerpt(
            f"{excerpt(repr(instance))} is not {schema['title']}: {schema.get('description', '')}", 300
        )
    if isinstance(instance, str | list | dict) and len(quoted := repr(instance)) > EXCERPT_CHARS:
        message = message.replace(quoted, excerpt(quoted))
    return excerpt(message, 300)


def validate(name: str, document: Any) -> dict[str, Any]:
    """The document if it satisfies schemas/<name>; otherwise InvalidRequest listing every violation."""
    # by place; where a property rules others out (dependentSchemas), that is named first
    errors = sorted(
        _validator(name).iter_errors(document),
        key=lambda e: (list(e.absolute_path), "dependentSchemas" not in e.absolute_schema_path),
    )
    if errors:
        field_errors = [FieldError(excerpt(_path(e), 200), _message(e)) for e in errors[:MAX_ERRORS]]
        raise InvalidRequest(
            f"The request does not match the schema: {field_errors[0].path}: {field_errors[0].message}",
            errors=field_errors,
        )
    assert isinstance(document, dict)
    return document
