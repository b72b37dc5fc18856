"""LakeBucket's side of the datasets: the presigned PUT an analyst uploads a file to (uploads/<dataset_id>/…),
the upload read back as a stream, and a dataset's month files in lake/dataset_records/ (put through
adapters.lake.LakeWriter; deleted here by their exact keys when a newer version replaces them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from vigia import settings
from vigia.adapters import aws
from vigia.adapters.lake import LakeWriter


class S3DatasetFiles:
    def __init__(self, bucket: str | None = None) -> None:
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        return self._bucket or settings.get().lake_bucket

    def upload_url(self, key: str, expires_s: int) -> str:
        """A presigned PUT of exactly `key` (SigV4, the expiry in the link); it makes no call."""
        return str(
            aws.presigner().generate_presigned_url(
                "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s
            )
        )

    def size(self, key: str) -> int:
        return int(aws.client("s3").head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def open(self, key: str) -> IO[bytes]:
        """The upload's body, read as it streams from S3 (never loaded whole)."""
        body: Any = aws.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"]
        return body  # type: ignore[no-any-return]

    def put_partition(self, key: str, path: Any) -> None:
        LakeWriter(self.bucket).put(key, path)

    def delete(self, keys: Iterable[str]) -> int:
        """Deletes these exact objects (a replaced version's month files), 1000 a call."""
        s3, wanted, deleted = aws.client("s3"), list(keys), 0
        for start in range(0, len(wanted), 1000):
            chunk = [{"Key": k} for k in wanted[start : start + 1000]]
            s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})
            deleted += len(chunk)
        return deleted
