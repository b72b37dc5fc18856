"""Request bodies read strictly, for every handler: size cap, content type, UTF-8, and JSON without surprises.

Python's json.loads takes `NaN`, `Infinity`, `1e999` (as inf), duplicate keys (the last wins: a body with
"type" twice became a silent alert), lone surrogates ("\\ud800") and nesting deep enough to exhaust the
stack. Here each is a 400 naming the problem and, where there is one, the field's JSON pointer; a body past
MAX_BODY_BYTES is a 413 and a body that is not `application/json` a 415. Strings must also be clean text
(text_problem): what reaches CAP XML, SMS or CSV later cannot carry control characters from the door.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from vigia.errors import FieldError, InvalidRequest, PayloadTooLarge, UnsupportedMediaType

# 64 KiB: the largest body the API has a use for is a patrol schedule with 200 units and 6 shifts each
# (about 40 KB); every free-text field is at most 500 characters. API Gateway's own cap is 10 MB.
MAX_BODY_BYTES = 64 * 1024
# 16 levels: the deepest request schema nests 4 (patrol-schedule: units[].shifts[].start); 16 leaves room
# for new schemas and is far below what exhausts Python's stack.
MAX_DEPTH = 16
EXCERPT_CHARS = 64

_NON_FINITE = "not a finite number (JSON has no NaN or Infinity)"
# Characters no field may carry: C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates;
# Unicode noncharacters. (XML 1.0 forbids C0, surrogates, U+FFFE and U+FFFF; SMS and CSV readers choke on
# the rest.) Single-line fields also refuse tab, LF and CR, through the schemas' `line` definition.
_BAD_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0010fffe\U0010ffff]"
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of a value, with "…" when cut: what an answer may quote of the input.

    Characters no text may hold become U+FFFD, so an answer quoting a lone surrogate is still UTF-8.
    """
    text = _BAD_TEXT.sub("\ufffd", value if isinstance(value, str) else repr(value))
    return text if len(text) <= limit else text[:limit] + "…"


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored (a control character, a lone surrogate, a noncharacter), or None."""
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    char = found.group()
    kind = (
        "a lone surrogate (invalid Unicode)"
        if "\ud800" <= char <= "\udfff"
        else "a Unicode noncharacter"
        if ord(char) >= 0xFDD0
        else "a control character"
    )
    return f"contains {kind} U+{ord(char):04X} at position {found.start()}"


class _NonFinite:
    """Stands for NaN, Infinity or an overflowing number until the walk reports where it was."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers the keys it had more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return obj


def _float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else _NonFinite(text)


def _pointer(path: tuple[str, ...]) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path) if path else "/"


def _invalid(path: tuple[str, ...], message: str) -> InvalidRequest:
    pointer = excerpt(_pointer(path), 200)
    return InvalidRequest(f"{pointer}: {message}", errors=[FieldError(pointer, message)])


def _clean(node: Any, path: tuple[str, ...] = ()) -> Any:
    """The document as plain dicts and lists, or InvalidRequest at the first field that is not clean."""
    if isinstance(node, _NonFinite):
        raise _invalid(path, f"{excerpt(node.text)} is {_NON_FINITE}")
    if isinstance(node, str):
        problem = text_problem(node)
        if problem:
            raise _invalid(path, problem)
        return node
    if isinstance(node, list):
        return [_clean(item, (*path, str(i))) for i, item in enumerate(node)]
    if isinstance(node, dict):
        for key in getattr(node, "duplicates", ()):
            raise _invalid((*path, key), f"the key {excerpt(key)!r} appears more than once")
        out = {}
        for key, value in node.items():
            problem = text_problem(key)
            if problem:
                raise _invalid(path, f"a key {problem}")
            out[key] = _clean(value, (*path, key))
        return out
    return node


def _depth(text: str) -> int:
    """How deep brackets nest outside strings (a scan: a deep body never reaches the recursive parser)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def is_json_media_type(content_type: str | None) -> bool:
    """application/json, with no parameter but charset=utf-8 (any case)."""
    if not content_type:
        return False
    media, *params = [part.strip().lower() for part in content_type.split(";")]
    if media != "application/json":
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() != "charset" or value.strip().strip('"') not in ("utf-8", "utf8"):
            return False
    return True


def body_bytes(body: str | None, *, is_base64: bool) -> bytes:
    """The body as sent: API Gateway passes a body that is not UTF-8 text base64-encoded."""
    if body is None:
        return b""
    if is_base64:
        if len(body) > (MAX_BODY_BYTES * 4) // 3 + 4:
            raise PayloadTooLarge(
                f"The request body is larger than {MAX_BODY_BYTES} bytes.", max_bytes=MAX_BODY_BYTES
            )
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest(
                "The request body is not valid base64.", errors=[FieldError("/", "invalid base64")]
            ) from None
    # A str from the event may hold lone surrogates (an event's "\ud800" escape): keep them to refuse below.
    return body.encode("utf-8", "surrogatepass")


def read_json(body: str | None, *, is_base64: bool = False, content_type: str | None = None) -> Any:
    """The body's JSON document, read strictly (see the module docstring); raises 400, 413 or 415."""
    raw = body_bytes(body, is_base64=is_base64)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"The request body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted.",
            max_bytes=MAX_BODY_BYTES,
        )
    if raw.strip() == b"":
        raise InvalidRequest(
            "The request body is empty; a JSON object is expected.",
            errors=[FieldError("/", "body is required")],
        )
    if not is_json_media_type(content_type):
        raise UnsupportedMediaType(
            f"The request body must be application/json, not {excerpt(content_type or 'no Content-Type')}.",
            errors=[FieldError("/Content-Type", "application/json expected")],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRequest(
            f"The request body is not valid UTF-8 (byte {error.start}).",
            errors=[FieldError("/", f"invalid UTF-8 at byte {error.start}")],
        ) from None
    if _depth(text) > MAX_DEPTH:
        raise InvalidRequest(
            f"The request body nests deeper than {MAX_DEPTH} levels.",
            errors=[FieldError("/", f"nested deeper than {MAX_DEPTH} levels")],
        )
    try:
        document = json.loads(text, object_pairs_hook=_pairs, parse_constant=_NonFinite, parse_float=_float)
    except RecursionError:  # pragma: no cover - _depth stops these first
        raise InvalidRequest(
            "The request body nests too deeply.", errors=[FieldError("/", "nested too deeply")]
        ) from None
    except ValueError as error:
        raise InvalidRequest(
            "The request body is not valid JSON.",
            errors=[FieldError("/", f"malformed JSON: {excerpt(str(error), 120)}")],
        ) from None
    return _clean(document)
