"""Fields a city has not decided yet: values the pack builder writes as "TODO: ..." until replaced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vigia.city.model import GEOGRAPHY_FILE

# The mark the builder (infra/tools/city_builder.py) starts each undecided value with. A text of the city's
# own never starts with it: "Todo" is Spanish, but not in capitals followed by a colon.
UNDECIDED_MARK = "TODO:"


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if value.lstrip().startswith(UNDECIDED_MARK):
            yield path or "(root)", value.strip()
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.startswith(UNDECIDED_MARK):
                yield f"{path}.{key}" if path else key, key
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def undecided_fields(raw: Any, geography: Any) -> list[tuple[str, str]]:
    """(path, what to decide) of every value of city.json, then geography.geojson, still marked TODO."""
    return [*_walk(raw, ""), *((f"{GEOGRAPHY_FILE} {p}", t) for p, t in _walk(geography, ""))]


def undecided_problems(raw: Any, geography: Any) -> list[str]:
    """One problem per undecided field, naming it: a pack with any is refused before its other checks
    (a TODO where a number belongs would otherwise read as a type error)."""
    return [f"{path}: not decided yet ({text})" for path, text in undecided_fields(raw, geography)]
