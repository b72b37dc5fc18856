"""What every service's creators share: the registry of creators, physical names, and `provision`, which
creates the translated template's resources in dependency order (and names those it does not create)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.local.engine.intrinsics import (
    Pseudo,
    Resolver,
    ResourceState,
    TemplateError,
    Unresolvable,
    creation_order,
)

log = logging.getLogger("local_stack.resources")

# Resource types the local stack deliberately does not create in the emulator: functions run in-process,
# the HTTP API is served locally, event source mappings are pumps, and IAM is not enforced by moto.
NOT_EMULATED = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Events::Rule",  # a rule on S3 uploads is a pump (pumps/objects.py): the emulator has no bus
        "AWS::IAM::Role",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Route",  # a WebSocket API's routes and integrations: served by websocket_api
        "AWS::ApiGatewayV2::Integration",
    }
)


@dataclass
class Env:
    """What a creator needs: the resolver's pseudo values, boto3 clients and a way to name things."""

    pseudo: Pseudo
    client: Callable[[str], Any]
    aws_endpoint: str = "http://127.0.0.1:4566"
    api_endpoint: str = "http://127.0.0.1:3000"
    socket_endpoint: str = "ws://127.0.0.1:3001"  # the WebSocket APIs' server (websocket_api)

    @property
    def region(self) -> str:
        return self.pseudo.region

    @property
    def account(self) -> str:
        return self.pseudo.account_id

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        account = self.account if regional or service == "iam" else ""
        return f"arn:{self.pseudo.partition}:{service}:{region}:{account}:{resource}"

    def name(
        self, logical_id: str, given: Any = None, *, max_len: int = 255, lower: bool = False, sep: str = "-"
    ) -> str:
        """The physical name: the one the template gives, else one shaped like CloudFormation's
        (`<stack>-<LogicalId>-<SUFFIX>`), deterministic so two runs name things alike."""
        if given:
            return str(given)
        suffix = base64.b32encode(
            hashlib.sha1(f"{self.pseudo.stack_name}/{logical_id}".encode(), usedforsecurity=False).digest()
        )
        tail = suffix.decode()[:12]
        room = max_len - len(tail) - 2 * len(sep)
        stack, lid = self.pseudo.stack_name, logical_id
        if len(stack) + len(lid) > room:
            lid = lid[: max(room // 2, room - len(stack))]
            stack = stack[: max(room - len(lid), 0)]
        name = sep.join(p for p in (stack, lid, tail) if p)
        if sep == "_":
            name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        return name.lower() if lower else name


Creator = Callable[[Env, str, dict[str, Any]], ResourceState]
_CREATORS: dict[str, Creator] = {}
_BEST_EFFORT: set[str] = set()


def creator(resource_type: str, *, best_effort: bool = False) -> Callable[[Creator], Creator]:
    def register(fn: Creator) -> Creator:
        _CREATORS[resource_type] = fn
        if best_effort:
            _BEST_EFFORT.add(resource_type)
        return fn

    return register


def emulated_types() -> frozenset[str]:
    return frozenset(_CREATORS)


# ==================================================================== the stack
@dataclass
class ProvisionedStack:
    resources: dict[str, ResourceState] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> why

    def physical_ids(self) -> dict[str, str]:
        return {lid: state.ref for lid, state in self.resources.items()}


def provision(
    cfn: Mapping[str, Any],
    resolver: Resolver,
    env: Env,
    *,
    create: bool = True,
    known: Mapping[str, ResourceState] | None = None,
) -> ProvisionedStack:
    """Creates the translated template's resources in the emulator, in dependency order.

    With create=False nothing is created: every resource is only named (used to describe a stack
    that already runs, from its outputs.json, or to test the resolver). `known` gives states to reuse.
    """
    stack = ProvisionedStack()
    resolver.resources = stack.resources
    declared: Mapping[str, Any] = cfn.get("Resources") or {}
    for logical_id in creation_order(declared):
        resource = declared[logical_id]
        rtype = str(resource.get("Type"))
        if rtype not in _CREATORS and rtype not in NOT_EMULATED:
            # Support follows template.yaml: a new type needs its creator (or a reason to leave it out).
            raise TemplateError(
                f"{logical_id}: the local stack does not support {rtype}; it builds only the types "
                f"template.yaml uses ({', '.join(sorted(emulated_types() | NOT_EMULATED))})"
            )
        if not resolver.included(resource):
            stack.skipped[logical_id] = f"condition {resource.get('Condition')} is false"
            continue
        if known is not None and logical_id in known:
            stack.resources[logical_id] = known[logical_id]
            continue
        make = _CREATORS.get(rtype) if create else None
        if make is None:
            stack.resources[logical_id] = describe(env, resolver, logical_id, resource)
            continue
        try:
            props = resolver.resolve(resource.get("Properties") or {})
        except TemplateError as error:
            raise TemplateError(f"{logical_id}: {error}") from error
        try:
            stack.resources[logical_id] = make(env, logical_id, props)
        except Exception as error:
            if rtype not in _BEST_EFFORT:
                raise TemplateError(
                    f"creating {logical_id} ({rtype}) in the emulator failed: {error}"
                ) from error
            log.warning("%s (%s): not created in the emulator (%s); named only", logical_id, rtype, error)
            stack.resources[logical_id] = describe(env, resolver, logical_id, resource)
    return stack


# ==================================================================== naming without creating
_NAME_PROPERTIES: dict[str, tuple[str, int]] = {
    "AWS::Lambda::Function": ("FunctionName", 64),
    "AWS::IAM::Role": ("RoleName", 64),
    "AWS::DynamoDB::Table": ("TableName", 255),
    "AWS::SQS::Queue": ("QueueName", 80),
    "AWS::SNS::Topic": ("TopicName", 256),
    "AWS::S3::Bucket": ("BucketName", 63),
    "AWS::Logs::LogGroup": ("LogGroupName", 512),
    "AWS::CloudWatch::Alarm": ("AlarmName", 255),
    "AWS::Scheduler::Schedule": ("Name", 64),
    "AWS::SecretsManager::Secret": ("Name", 512),
    "AWS::Cognito::UserPoolGroup": ("GroupName", 128),
    "AWS::ApiGatewayV2::Stage": ("StageName", 128),
}


def describe(env: Env, resolver: Resolver, logical_id: str, resource: Mapping[str, Any]) -> ResourceState:
    """A resource's Ref and attributes without creating it: from its name property, or a generated name."""
    rtype = str(resource.get("Type"))
    props = resource.get("Properties") or {}
    name_prop, max_len = _NAME_PROPERTIES.get(rtype, ("", 255))
    given = None
    if name_prop and name_prop in props:
        try:
            given = resolver.resolve(props[name_prop])
        except Unresolvable:
            given = None
    if rtype == "AWS::S3::Bucket":
        name = env.name(logical_id, given, max_len=max_len, lower=True)
    else:
        name = env.name(logical_id, given, max_len=max_len)
    ref, attributes = _reference(env, rtype, logical_id, name)
    if rtype == "AWS::ApiGatewayV2::Api" and props.get("ProtocolType") == "WEBSOCKET":
        attributes = {**attributes, "ApiEndpoint": env.socket_endpoint}
    return ResourceState(rtype, ref, attributes, emulated=False)


def _reference(env: Env, rtype: str, logical_id: str, name: str) -> tuple[str, dict[str, Any]]:
    """Ref value and attributes of a resource that is not (or could not be) created."""
    a = env.arn
    if rtype == "AWS::Lambda::Function":
        return name, {"Arn": a("lambda", f"function:{name}")}
    if rtype == "AWS::IAM::Role":
        return name, {"Arn": a("iam", f"role/{name}", regional=False), "RoleId": f"AROA{_token(name, 17)}"}
    if rtype == "AWS::ApiGatewayV2::Api":
        api_id = _token(name, 10).lower()
        return api_id, {"ApiEndpoint": env.api_endpoint, "ApiId": api_id}
    if rtype == "AWS::Lambda::EventSourceMapping":
        return uuid_from(name), {"Id": uuid_from(name)}
    if rtype == "AWS::DynamoDB::Table":
        return name, {"Arn": a("dynamodb", f"table/{name}")}
    if rtype == "AWS::SQS::Queue":
        url = f"{env.aws_endpoint}/{env.account}/{name}"
        return url, {"Arn": a("sqs", name), "QueueName": name, "QueueUrl": url}
    if rtype == "AWS::SNS::Topic":
        arn = a("sns", name)
        return arn, {"TopicArn": arn, "TopicName": name}
    if rtype == "AWS::Logs::LogGroup":
        return name, {"Arn": a("logs", f"log-group:{name}:*")}
    if rtype == "AWS::CloudWatch::Alarm":
        return name, {"Arn": a("cloudwatch", f"alarm:{name}")}
    if rtype == "AWS::Scheduler::Schedule":
        return name, {"Arn": a("scheduler", f"schedule/default/{name}")}
    if rtype == "AWS::S3::Bucket":
        return name, bucket_attributes(env, name)
    service = rtype.split("::")[1].lower() if rtype.count("::") == 2 else "local"
    kind = rtype.split("::")[-1].lower()
    return name, {"Arn": a(service, f"{kind}/{name}")}


def _token(seed: str, length: int) -> str:
    return base64.b32encode(hashlib.sha1(seed.encode(), usedforsecurity=False).digest()).decode()[:length]


def uuid_from(seed: str) -> str:
    h = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# ==================================================================== helpers for the service modules
def integer(value: Any) -> int:
    return int(str(value))


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def tags(props: Mapping[str, Any]) -> list[dict[str, str]]:
    given = props.get("Tags") or []
    if isinstance(given, dict):
        return [{"Key": str(k), "Value": str(v)} for k, v in given.items()]
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in given]


def pick(props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: props[k] for k in keys if k in props}


def bucket_attributes(env: Env, name: str) -> dict[str, Any]:
    return {
        "Arn": f"arn:{env.pseudo.partition}:s3:::{name}",
        "DomainName": f"{name}.s3.{env.pseudo.url_suffix}",
        "RegionalDomainName": f"{name}.s3.{env.region}.{env.pseudo.url_suffix}",
        "DualStackDomainName": f"{name}.s3.dualstack.{env.region}.{env.pseudo.url_suffix}",
        "WebsiteURL": f"http://{name}.s3-website-{env.region}.{env.pseudo.url_suffix}",
    }
