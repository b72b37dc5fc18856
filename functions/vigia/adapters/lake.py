"""LakeBucket (S3): puts the lake's Parquet files and clears a prefix (the only S3 caller for the lake)."""

from __future__ import annotations

from pathlib import Path

from vigia import settings
from vigia.adapters import aws

PARQUET = "application/vnd.apache.parquet"


class LakeWriter:
    """Writes under the stack's LakeBucket (or `bucket`, for a tool that names it)."""

    def __init__(self, bucket: str | None = None) -> None:
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        return self._bucket or settings.get().lake_bucket

    def put(self, key: str, local_path_or_bytes: bytes | str | Path) -> None:
        """One object, replaced whole if it exists (S3 PUT is atomic per object: a reader sees old or new)."""
        body = (
            local_path_or_bytes
            if isinstance(local_path_or_bytes, bytes)
            else Path(local_path_or_bytes).read_bytes()
        )
        aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=PARQUET)

    def delete_prefix(self, prefix: str) -> int:
        """Deletes every object under `prefix` (a partition folder, ending in '/'); returns how many."""
        if not prefix.endswith("/"):
            raise ValueError(f"a prefix to delete ends in '/': {prefix!r}")
        s3 = aws.client("s3")
        deleted = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
        return deleted
