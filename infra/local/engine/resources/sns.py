"""SNS topics and subscriptions in the emulator (a subscribed function is served by a pump instead)."""

from __future__ import annotations

import logging
from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, tags, text, uuid_from

log = logging.getLogger("local_stack.resources")

_TOPIC_ATTRIBUTES = (
    "DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication", "SignatureVersion",
    "TracingConfig", "ArchivePolicy",
)  # fmt: skip


@creator("AWS::SNS::Topic")
def _sns_topic(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    sns = env.client("sns")
    fifo = str(p.get("FifoTopic", "false")).lower() == "true"
    name = env.name(logical_id, p.get("TopicName"), max_len=251 if fifo else 256)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attributes = {k: text(p[k]) for k in _TOPIC_ATTRIBUTES if k in p}
    args: dict[str, Any] = {"Name": name, "Attributes": attributes}
    if p.get("Tags"):
        args["Tags"] = tags(p)
    arn = sns.create_topic(**args)["TopicArn"]
    for subscription in p.get("Subscription") or []:
        _subscribe(env, logical_id, arn, subscription["Protocol"], subscription["Endpoint"], {})
    return ResourceState("AWS::SNS::Topic", arn, {"TopicArn": arn, "TopicName": name})


_SUBSCRIPTION_ATTRIBUTES = (
    "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy",
    "SubscriptionRoleArn", "ReplayPolicy",
)  # fmt: skip


def _subscribe(
    env: Env, logical_id: str, topic_arn: str, protocol: str, endpoint: str, attributes: dict[str, str]
) -> str | None:
    if protocol in ("http", "https", "lambda", "application", "firehose"):
        # The emulator would try to call these itself; lambda subscriptions are pumped in-process instead.
        log.debug("%s: %s subscription not created in the emulator", logical_id, protocol)
        return None
    answer = env.client("sns").subscribe(
        TopicArn=topic_arn,
        Protocol=protocol,
        Endpoint=endpoint,
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return str(answer["SubscriptionArn"])


@creator("AWS::SNS::Subscription")
def _sns_subscription(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    attributes = {k: text(p[k]) for k in _SUBSCRIPTION_ATTRIBUTES if k in p}
    arn = _subscribe(env, logical_id, p["TopicArn"], p["Protocol"], p["Endpoint"], attributes)
    arn = arn or f"{p['TopicArn']}:{uuid_from(logical_id)}"
    return ResourceState("AWS::SNS::Subscription", arn, {"Arn": arn}, emulated=p["Protocol"] != "lambda")
