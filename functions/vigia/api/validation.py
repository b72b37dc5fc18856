"""Request bodies checked against schemas/*.json (JSON Schema 2020-12); violations become 400 with paths."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from vigia import settings
from vigia.errors import FieldError, InvalidRequest


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
    return "/" + "/".join(str(p) for p in parts) if parts else "/"


def parse_json_body(raw: str | None) -> Any:
    if raw is None or raw == "":
        raise InvalidRequest(
            "The request body is empty; a JSON object is expected.",
            errors=[FieldError("/", "body is required")],
        )
    try:
        return json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(
            "The request body is not valid JSON.", errors=[FieldError("/", f"malformed JSON: {exc}")]
        ) from None


def validate(name: str, document: Any) -> dict[str, Any]:
    """The document if it satisfies schemas/<name>; otherwise InvalidRequest listing every violation."""
    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        field_errors = [FieldError(_path(e), e.message) for e in errors]
        raise InvalidRequest(
            f"The request does not match the schema: {field_errors[0].path}: {field_errors[0].message}",
            errors=field_errors,
        )
    assert isinstance(document, dict)
    return document
