"""S3 buckets and bucket policies in the emulator; versioning, encryption, CORS, tags best effort."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, bucket_attributes, creator, tags

log = logging.getLogger("local_stack.resources")


@creator("AWS::S3::Bucket")
def _s3_bucket(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    s3 = env.client("s3")
    name = env.name(logical_id, p.get("BucketName"), max_len=63, lower=True)
    if env.region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": env.region})
    extras: list[tuple[str, Callable[[], Any]]] = []
    if "VersioningConfiguration" in p:
        status = p["VersioningConfiguration"]["Status"]
        extras.append(
            (
                "versioning",
                lambda: s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status}),
            )
        )
    if "BucketEncryption" in p:
        rules = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        extras.append(
            (
                "encryption",
                lambda: s3.put_bucket_encryption(
                    Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules}
                ),
            )
        )
    if "PublicAccessBlockConfiguration" in p:
        block = p["PublicAccessBlockConfiguration"]
        extras.append(
            (
                "public access block",
                lambda: s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block),
            )
        )
    if "CorsConfiguration" in p:
        rules = [
            {
                "ExposeHeaders"
                if k == "ExposedHeaders"
                else "MaxAgeSeconds"
                if k == "MaxAge"
                else "ID"
                if k == "Id"
                else k: v
                for k, v in rule.items()
            }
            for rule in p["CorsConfiguration"]["CorsRules"]
        ]
        extras.append(
            ("cors", lambda: s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules}))
        )
    if p.get("Tags"):
        extras.append(("tags", lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(p)})))
    notifications = dict(p.get("NotificationConfiguration") or {})
    notifications.pop("EventBridgeConfiguration", None)  # its rules are pumps (pumps/objects.py)
    if notifications:
        log.warning("%s: S3 event notifications are not emulated locally", logical_id)
    for what, call in extras:  # best effort: the bucket itself is what handlers need
        try:
            call()
        except Exception as error:
            log.debug("%s: bucket %s not set in the emulator (%s)", logical_id, what, error)
    return ResourceState("AWS::S3::Bucket", name, bucket_attributes(env, name))


@creator("AWS::S3::BucketPolicy", best_effort=True)
def _s3_bucket_policy(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    # moto stores the policy but does not enforce it; kept so the bucket answers GetBucketPolicy as in AWS
    bucket = str(p["Bucket"])
    env.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(p["PolicyDocument"]))
    return ResourceState("AWS::S3::BucketPolicy", bucket, {})
