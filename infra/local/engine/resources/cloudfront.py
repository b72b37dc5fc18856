"""CloudFront (a distribution, its origin access control, response-headers policy and function): named only.

The local stack serves the console itself, under /console of the local API (docs/console.md), so nothing
stands in for CloudFront; these creators give each resource the identifiers and attributes CloudFormation
would (`Ref`, `Id`, `DomainName`, `FunctionARN`), so what refers to them (the console bucket's policy, the
outputs) resolves as in the cloud.
"""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, uuid_from


def _id(env: Env, logical_id: str, prefix: str = "E") -> str:
    """An identifier shaped like CloudFront's (E + 13 upper-case letters and digits), stable across runs."""
    seed = uuid_from(f"{env.pseudo.stack_name}/{logical_id}").replace("-", "").upper()
    return (prefix + seed)[:14]


@creator("AWS::CloudFront::Distribution")
def _distribution(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    distribution_id = _id(env, logical_id)
    return ResourceState(
        "AWS::CloudFront::Distribution",
        distribution_id,
        {"Id": distribution_id, "DomainName": f"d{distribution_id[1:].lower()}.cloudfront.net"},
        emulated=False,
    )


@creator("AWS::CloudFront::OriginAccessControl")
def _origin_access_control(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    oac_id = _id(env, logical_id)
    return ResourceState("AWS::CloudFront::OriginAccessControl", oac_id, {"Id": oac_id}, emulated=False)


@creator("AWS::CloudFront::ResponseHeadersPolicy")
def _response_headers_policy(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    policy_id = uuid_from(f"{env.pseudo.stack_name}/{logical_id}")
    return ResourceState(
        "AWS::CloudFront::ResponseHeadersPolicy",
        policy_id,
        {"Id": policy_id, "LastModifiedTime": "1970-01-01T00:00:00Z"},
        emulated=False,
    )


@creator("AWS::CloudFront::Function")
def _function(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("Name"), max_len=64)
    arn = f"arn:{env.pseudo.partition}:cloudfront::{env.account}:function/{name}"
    stage = "LIVE" if p.get("AutoPublish") in (True, "true") else "DEVELOPMENT"
    return ResourceState(
        "AWS::CloudFront::Function", arn, {"FunctionARN": arn, "Stage": stage}, emulated=False
    )
