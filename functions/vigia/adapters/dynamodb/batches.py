"""Batch reads across tables (one BatchGetItem), resending unprocessed keys with backoff."""

from __future__ import annotations

import time
from typing import Any

from pynamodb.models import Model

from vigia.adapters.aws import client
from vigia.adapters.dynamodb.binding import table_name

ATTEMPTS = 6


def batch_get(
    keys: list[tuple[type[Model], list[dict[str, Any]]]], *, consistent: bool = True
) -> dict[type[Model], list[Any]]:
    """The items of every model's keys in one BatchGetItem (several only when DynamoDB leaves keys
    unprocessed), as model instances. pynamodb's own batch_get reads one table a call; a step that reads an
    alert and its units reads both at once, so this one speaks to boto3."""
    by_table = {table_name(model): model for model, _ in keys}
    pending: dict[str, Any] = {
        table_name(model): {"Keys": wanted, "ConsistentRead": consistent} for model, wanted in keys if wanted
    }
    found: dict[type[Model], list[Any]] = {model: [] for model, _ in keys}
    for attempt in range(ATTEMPTS):
        if not pending:
            return found
        if attempt:
            time.sleep(min(0.05 * 2**attempt, 1.0))  # throttled: back off, then ask for what is left
        answer = client("dynamodb").batch_get_item(RequestItems=pending)
        for table, items in answer.get("Responses", {}).items():
            model = by_table[table]
            found[model].extend(model.from_raw_data(item) for item in items)
        pending = answer.get("UnprocessedKeys") or {}
    if pending:
        raise RuntimeError(f"DynamoDB left keys unprocessed {ATTEMPTS} times")
    return found
