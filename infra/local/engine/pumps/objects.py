"""S3's "Object Created" events through EventBridge, locally: a pump per rule that matches them, watching the
rule's bucket (and key prefix) and invoking the rule's function asynchronously for each new or rewritten
object, with the event EventBridge would deliver. The emulator keeps no event bus, so the pump lists the
bucket instead (once a second at most while the stack runs; every round when drained)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from infra.local.engine.functions import LocalFunction
from infra.local.engine.pumps.base import Pump
from infra.local.engine.pumps.senders import AsyncInvoker

log = logging.getLogger("local_stack.pumps")

LIST_EVERY_S = 1.0


def s3_object_rule(pattern: Mapping[str, Any]) -> tuple[list[str], str] | None:
    """(bucket names, key prefix) of a rule pattern matching S3's Object Created events; None otherwise."""
    if list(pattern.get("source") or []) != ["aws.s3"] or "Object Created" not in (
        pattern.get("detail-type") or []
    ):
        return None
    detail = pattern.get("detail") or {}
    buckets = [str(b) for b in ((detail.get("bucket") or {}).get("name") or [])]
    prefix = ""
    for condition in (detail.get("object") or {}).get("key") or []:
        if isinstance(condition, Mapping) and "prefix" in condition:
            prefix = str(condition["prefix"])
    return (buckets, prefix) if buckets else None


class S3ObjectPump(Pump):
    """Invokes `function` once per object created (or replaced: a new ETag) under `prefix` in `bucket`."""

    def __init__(
        self,
        logical_id: str,
        function: LocalFunction,
        s3: Any,
        bucket: str,
        prefix: str,
        *,
        region: str,
        account: str,
        invoker: AsyncInvoker,
        stop: threading.Event,
    ) -> None:
        self.name = f"s3:{logical_id}:{bucket}"
        super().__init__(stop)
        self.function, self.s3, self.bucket, self.prefix = function, s3, bucket, prefix
        self.region, self.account, self.invoker = region, account, invoker
        self._seen: dict[str, str] = {}
        self._listed_at = 0.0

    def prime(self) -> None:
        """What is already in the bucket when the stack starts was created before it: no event."""
        self._seen = {o["Key"]: o.get("ETag", "") for o in self._objects()}

    def _objects(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            found += page.get("Contents") or []
        return found

    def poll_once(self) -> bool:
        now = time.monotonic()
        if not self._draining and now - self._listed_at < LIST_EVERY_S:
            return False
        self._listed_at = now
        created = []
        for item in self._objects():
            etag = item.get("ETag", "")
            if self._seen.get(item["Key"]) != etag:
                self._seen[item["Key"]] = etag
                created.append(item)
        for item in created:
            self.invoker.invoke(self.function, self._event(item))
            self.delivered.add(1, 0)
        return bool(created)

    def _event(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": self.account,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:s3:::{self.bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": self.bucket},
                "object": {
                    "key": item["Key"],
                    "size": int(item.get("Size", 0)),
                    "etag": item.get("ETag", "").strip('"'),
                },
                "request-id": uuid.uuid4().hex[:16].upper(),
                "reason": "PutObject",
            },
        }
