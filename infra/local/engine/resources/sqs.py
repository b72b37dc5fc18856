"""SQS queues and queue policies in the emulator."""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, tags, text


@creator("AWS::SQS::Queue")
def _sqs_queue(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    sqs = env.client("sqs")
    fifo = str(p.get("FifoQueue", "false")).lower() == "true"
    name = env.name(logical_id, p.get("QueueName"), max_len=75 if fifo else 80)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attributes = {k: text(v) for k, v in p.items() if k not in ("QueueName", "Tags")}
    args: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    if p.get("Tags"):
        args["tags"] = {t["Key"]: t["Value"] for t in tags(p)}
    url = sqs.create_queue(**args)["QueueUrl"]
    arn = env.arn("sqs", name)
    return ResourceState("AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


@creator("AWS::SQS::QueuePolicy", best_effort=True)
def _sqs_queue_policy(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    for url in p.get("Queues") or []:
        env.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": text(p["PolicyDocument"])})
    return ResourceState("AWS::SQS::QueuePolicy", env.name(logical_id), {"Id": env.name(logical_id)})
