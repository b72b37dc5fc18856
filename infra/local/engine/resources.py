"""Creates, in the emulator, every resource the translated template declares (and names the rest)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import string
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
        "AWS::IAM::Role",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
    }
)


@dataclass
class Env:
    """What a creator needs: the resolver's pseudo values, boto3 clients and a way to name things."""

    pseudo: Pseudo
    client: Callable[[str], Any]
    aws_endpoint: str = "http://127.0.0.1:4566"
    api_endpoint: str = "http://127.0.0.1:3000"

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
    return ResourceState(rtype, *_reference(env, rtype, logical_id, name), emulated=False)


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
        return _uuid(name), {"Id": _uuid(name)}
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
        return name, _bucket_attrs(env, name)
    service = rtype.split("::")[1].lower() if rtype.count("::") == 2 else "local"
    kind = rtype.split("::")[-1].lower()
    return name, {"Arn": a(service, f"{kind}/{name}")}


def _token(seed: str, length: int) -> str:
    return base64.b32encode(hashlib.sha1(seed.encode(), usedforsecurity=False).digest()).decode()[:length]


def _uuid(seed: str) -> str:
    h = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# ==================================================================== helpers
def _int(value: Any) -> int:
    return int(str(value))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _tags(props: Mapping[str, Any]) -> list[dict[str, str]]:
    tags = props.get("Tags") or []
    if isinstance(tags, dict):
        return [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in tags]


def _pick(props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: props[k] for k in keys if k in props}


# ==================================================================== KMS
@creator("AWS::KMS::Key")
def _kms_key(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    kms = env.client("kms")
    args: dict[str, Any] = _pick(p, "Description", "KeyUsage", "KeySpec", "MultiRegion")
    if "KeyPolicy" in p:
        args["Policy"] = _text(p["KeyPolicy"])
    if p.get("Tags"):
        args["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in _tags(p)]
    key_id = kms.create_key(**args)["KeyMetadata"]["KeyId"]
    if str(p.get("EnableKeyRotation", "false")).lower() == "true":
        kms.enable_key_rotation(KeyId=key_id)
    if str(p.get("Enabled", "true")).lower() == "false":
        kms.disable_key(KeyId=key_id)
    return ResourceState("AWS::KMS::Key", key_id, {"Arn": env.arn("kms", f"key/{key_id}"), "KeyId": key_id})


# ==================================================================== Cognito
_USER_POOL_KEYS = (
    "Policies", "DeletionProtection", "AutoVerifiedAttributes", "AliasAttributes", "UsernameAttributes",
    "SmsVerificationMessage", "EmailVerificationMessage", "EmailVerificationSubject",
    "VerificationMessageTemplate", "SmsAuthenticationMessage", "MfaConfiguration",
    "UserAttributeUpdateSettings", "DeviceConfiguration", "EmailConfiguration", "SmsConfiguration",
    "UserPoolTags", "Schema", "UserPoolAddOns", "UsernameConfiguration", "AccountRecoverySetting",
)  # fmt: skip


def _case_insensitive_usernames() -> None:
    """moto ignores UsernameConfiguration.CaseSensitive: false; Cognito then finds a username in any case."""
    from moto.cognitoidp.models import CognitoIdpUserPool

    exact = CognitoIdpUserPool._get_user
    if getattr(exact, "vigia_case_insensitive", False):
        return

    def _get_user(pool: Any, username: str) -> Any:
        user = exact(pool, username)
        sensitive = (pool.extended_config.get("UsernameConfiguration") or {}).get("CaseSensitive", True)
        if user is None and str(sensitive).lower() == "false":
            lowered = username.lower()
            user = next((u for name, u in pool.users.items() if name.lower() == lowered), None)
        return user

    _get_user.vigia_case_insensitive = True  # type: ignore[attr-defined]
    CognitoIdpUserPool._get_user = _get_user  # type: ignore[method-assign,assignment]


@creator("AWS::Cognito::UserPool")
def _user_pool(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("UserPoolName"), max_len=128)
    _case_insensitive_usernames()
    args = _pick(p, *_USER_POOL_KEYS)
    if "AdminCreateUserConfig" in p:
        args["AdminCreateUserConfig"] = _pick(
            p["AdminCreateUserConfig"], "AllowAdminCreateUserOnly", "InviteMessageTemplate"
        )
    if p.get("LambdaConfig"):
        log.warning("%s: Cognito Lambda triggers are not emulated locally", logical_id)
    pool_id = env.client("cognito-idp").create_user_pool(PoolName=name, **args)["UserPool"]["Id"]
    provider = f"cognito-idp.{env.region}.{env.pseudo.url_suffix}/{pool_id}"
    return ResourceState(
        "AWS::Cognito::UserPool",
        pool_id,
        {
            "Arn": env.arn("cognito-idp", f"userpool/{pool_id}"),
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": pool_id,
        },
    )


_CLIENT_KEYS = (
    "GenerateSecret", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "TokenValidityUnits",
    "ReadAttributes", "WriteAttributes", "ExplicitAuthFlows", "SupportedIdentityProviders", "CallbackURLs",
    "LogoutURLs", "DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient", "PreventUserExistenceErrors", "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData", "AuthSessionValidity",
)  # fmt: skip


@creator("AWS::Cognito::UserPoolClient")
def _user_pool_client(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("ClientName"), max_len=128)
    args = _pick(p, *_CLIENT_KEYS)
    for key in ("RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "AuthSessionValidity"):
        if key in args:
            args[key] = _int(args[key])
    made = env.client("cognito-idp").create_user_pool_client(
        UserPoolId=p["UserPoolId"], ClientName=name, **args
    )
    client = made["UserPoolClient"]
    return ResourceState(
        "AWS::Cognito::UserPoolClient",
        client["ClientId"],
        {"ClientId": client["ClientId"], "ClientSecret": client.get("ClientSecret", ""), "Name": name},
    )


@creator("AWS::Cognito::UserPoolGroup")
def _user_pool_group(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("GroupName"), max_len=128)
    args = _pick(p, "Description", "RoleArn")
    if "Precedence" in p:
        args["Precedence"] = _int(p["Precedence"])
    env.client("cognito-idp").create_group(UserPoolId=p["UserPoolId"], GroupName=name, **args)
    return ResourceState("AWS::Cognito::UserPoolGroup", name, {})


# ==================================================================== DynamoDB
def _index(spec: Mapping[str, Any], provisioned: bool) -> dict[str, Any]:
    index = _pick(spec, "IndexName", "KeySchema", "Projection")
    if provisioned:
        throughput = spec.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        index["ProvisionedThroughput"] = {k: _int(v) for k, v in throughput.items()}
    return index


@creator("AWS::DynamoDB::Table")
def _dynamodb_table(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    ddb = env.client("dynamodb")
    name = env.name(logical_id, p.get("TableName"), max_len=255)
    provisioned = p.get("BillingMode", "PROVISIONED") == "PROVISIONED"
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": p["AttributeDefinitions"],
        "KeySchema": p["KeySchema"],
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
    }
    if provisioned:
        throughput = p.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        args["ProvisionedThroughput"] = {k: _int(v) for k, v in throughput.items()}
    if p.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = [_index(i, provisioned) for i in p["GlobalSecondaryIndexes"]]
    if p.get("LocalSecondaryIndexes"):
        args["LocalSecondaryIndexes"] = [_index(i, False) for i in p["LocalSecondaryIndexes"]]
    stream = p.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if p.get("Tags"):
        args["Tags"] = _tags(p)
    if "DeletionProtectionEnabled" in p:
        args["DeletionProtectionEnabled"] = str(p["DeletionProtectionEnabled"]).lower() == "true"
    sse = p.get("SSESpecification") or {}
    if str(sse.get("SSEEnabled", "false")).lower() == "true":
        args["SSESpecification"] = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
        if sse.get("KMSMasterKeyId"):
            args["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    try:
        table = ddb.create_table(**args)["TableDescription"]
    except Exception as error:
        if "SSESpecification" not in args:
            raise
        log.debug("%s: the emulator refused SSESpecification (%s); created without it", logical_id, error)
        del args["SSESpecification"]
        table = ddb.create_table(**args)["TableDescription"]
    ttl = p.get("TimeToLiveSpecification") or {}
    if str(ttl.get("Enabled", "false")).lower() == "true":
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    attrs = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attrs["StreamArn"] = table["LatestStreamArn"]
    if table.get("TableId"):
        attrs["TableId"] = table["TableId"]
    return ResourceState("AWS::DynamoDB::Table", name, attrs)


# ==================================================================== SNS / SQS
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
    attributes = {k: _text(p[k]) for k in _TOPIC_ATTRIBUTES if k in p}
    args: dict[str, Any] = {"Name": name, "Attributes": attributes}
    if p.get("Tags"):
        args["Tags"] = _tags(p)
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
    attributes = {k: _text(p[k]) for k in _SUBSCRIPTION_ATTRIBUTES if k in p}
    arn = _subscribe(env, logical_id, p["TopicArn"], p["Protocol"], p["Endpoint"], attributes)
    arn = arn or f"{p['TopicArn']}:{_uuid(logical_id)}"
    return ResourceState("AWS::SNS::Subscription", arn, {"Arn": arn}, emulated=p["Protocol"] != "lambda")


@creator("AWS::SQS::Queue")
def _sqs_queue(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    sqs = env.client("sqs")
    fifo = str(p.get("FifoQueue", "false")).lower() == "true"
    name = env.name(logical_id, p.get("QueueName"), max_len=75 if fifo else 80)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attributes = {k: _text(v) for k, v in p.items() if k not in ("QueueName", "Tags")}
    args: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    if p.get("Tags"):
        args["tags"] = {t["Key"]: t["Value"] for t in _tags(p)}
    url = sqs.create_queue(**args)["QueueUrl"]
    arn = env.arn("sqs", name)
    return ResourceState("AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


@creator("AWS::SQS::QueuePolicy", best_effort=True)
def _sqs_queue_policy(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    for url in p.get("Queues") or []:
        env.client("sqs").set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": _text(p["PolicyDocument"])}
        )
    return ResourceState("AWS::SQS::QueuePolicy", env.name(logical_id), {"Id": env.name(logical_id)})


# ==================================================================== S3
def _bucket_attrs(env: Env, name: str) -> dict[str, Any]:
    return {
        "Arn": f"arn:{env.pseudo.partition}:s3:::{name}",
        "DomainName": f"{name}.s3.{env.pseudo.url_suffix}",
        "RegionalDomainName": f"{name}.s3.{env.region}.{env.pseudo.url_suffix}",
        "DualStackDomainName": f"{name}.s3.dualstack.{env.region}.{env.pseudo.url_suffix}",
        "WebsiteURL": f"http://{name}.s3-website-{env.region}.{env.pseudo.url_suffix}",
    }


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
        extras.append(("tags", lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(p)})))
    if p.get("NotificationConfiguration"):
        log.warning("%s: S3 event notifications are not emulated locally", logical_id)
    for what, call in extras:  # best effort: the bucket itself is what handlers need
        try:
            call()
        except Exception as error:
            log.debug("%s: bucket %s not set in the emulator (%s)", logical_id, what, error)
    return ResourceState("AWS::S3::Bucket", name, _bucket_attrs(env, name))


# ==================================================================== Secrets Manager
def _generated_secret(spec: Mapping[str, Any]) -> str:
    alphabet = ""
    if str(spec.get("ExcludeLowercase", "false")).lower() != "true":
        alphabet += string.ascii_lowercase
    if str(spec.get("ExcludeUppercase", "false")).lower() != "true":
        alphabet += string.ascii_uppercase
    if str(spec.get("ExcludeNumbers", "false")).lower() != "true":
        alphabet += string.digits
    if str(spec.get("ExcludePunctuation", "false")).lower() != "true":
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    if str(spec.get("IncludeSpace", "false")).lower() == "true":
        alphabet += " "
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    alphabet = "".join(c for c in alphabet if c not in excluded) or string.ascii_letters
    secret = "".join(secrets.choice(alphabet) for _ in range(_int(spec.get("PasswordLength", 32))))
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if template and key:
        document = json.loads(template)
        document[key] = secret
        return json.dumps(document)
    return secret


@creator("AWS::SecretsManager::Secret")
def _secret(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("Name"), max_len=512)
    args: dict[str, Any] = {"Name": name, **_pick(p, "Description", "KmsKeyId")}
    if "SecretString" in p:
        args["SecretString"] = str(p["SecretString"])
    else:
        args["SecretString"] = _generated_secret(p.get("GenerateSecretString") or {})
    if p.get("Tags"):
        args["Tags"] = _tags(p)
    arn = env.client("secretsmanager").create_secret(**args)["ARN"]
    return ResourceState("AWS::SecretsManager::Secret", arn, {"Id": arn})


# ==================================================================== logs, alarms, schedules
@creator("AWS::Logs::LogGroup", best_effort=True)
def _log_group(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    logs = env.client("logs")
    name = env.name(logical_id, p.get("LogGroupName"), max_len=512)
    logs.create_log_group(logGroupName=name, **({"kmsKeyId": p["KmsKeyId"]} if "KmsKeyId" in p else {}))
    if "RetentionInDays" in p:
        logs.put_retention_policy(logGroupName=name, retentionInDays=_int(p["RetentionInDays"]))
    return ResourceState("AWS::Logs::LogGroup", name, {"Arn": env.arn("logs", f"log-group:{name}:*")})


_ALARM_KEYS = (
    "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
    "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Unit", "TreatMissingData",
    "ComparisonOperator", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId",
)  # fmt: skip


@creator("AWS::CloudWatch::Alarm", best_effort=True)
def _alarm(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("AlarmName"), max_len=255)
    args = _pick(p, *_ALARM_KEYS)
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in p:
            args[key] = _int(p[key])
    if "Threshold" in p:
        args["Threshold"] = float(p["Threshold"])
    if "ActionsEnabled" in args:
        args["ActionsEnabled"] = str(args["ActionsEnabled"]).lower() == "true"
    env.client("cloudwatch").put_metric_alarm(AlarmName=name, **args)
    return ResourceState("AWS::CloudWatch::Alarm", name, {"Arn": env.arn("cloudwatch", f"alarm:{name}")})


@creator("AWS::Scheduler::Schedule", best_effort=True)
def _schedule(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    """Recorded in the emulator for tools that list schedules; the local scheduler pump runs it."""
    name = env.name(logical_id, p.get("Name"), max_len=64)
    args = _pick(p, "GroupName", "ScheduleExpression", "ScheduleExpressionTimezone", "Description", "State")
    target = dict(p["Target"])
    args["Target"] = _pick(target, "Arn", "RoleArn", "Input")
    args["FlexibleTimeWindow"] = p.get("FlexibleTimeWindow") or {"Mode": "OFF"}
    made = env.client("scheduler").create_schedule(Name=name, **args)
    return ResourceState("AWS::Scheduler::Schedule", name, {"Arn": made["ScheduleArn"]})


__all__ = [
    "NOT_EMULATED",
    "Env",
    "ProvisionedStack",
    "ResourceState",
    "TemplateError",
    "describe",
    "emulated_types",
    "provision",
]
