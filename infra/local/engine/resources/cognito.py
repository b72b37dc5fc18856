"""Cognito user pools, app clients and groups in the emulator; usernames case-insensitive as configured."""

from __future__ import annotations

import logging
from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator, integer, pick

log = logging.getLogger("local_stack.resources")

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
    if getattr(exact, "local_case_insensitive", False):
        return

    def _get_user(pool: Any, username: str) -> Any:
        user = exact(pool, username)
        sensitive = (pool.extended_config.get("UsernameConfiguration") or {}).get("CaseSensitive", True)
        if user is None and str(sensitive).lower() == "false":
            lowered = username.lower()
            user = next((u for name, u in pool.users.items() if name.lower() == lowered), None)
        return user

    _get_user.local_case_insensitive = True  # type: ignore[attr-defined]
    CognitoIdpUserPool._get_user = _get_user  # type: ignore[method-assign,assignment]


@creator("AWS::Cognito::UserPool")
def _user_pool(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    name = env.name(logical_id, p.get("UserPoolName"), max_len=128)
    _case_insensitive_usernames()
    args = pick(p, *_USER_POOL_KEYS)
    if "AdminCreateUserConfig" in p:
        args["AdminCreateUserConfig"] = pick(
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
    args = pick(p, *_CLIENT_KEYS)
    for key in ("RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "AuthSessionValidity"):
        if key in args:
            args[key] = integer(args[key])
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
    args = pick(p, "Description", "RoleArn")
    if "Precedence" in p:
        args["Precedence"] = integer(p["Precedence"])
    env.client("cognito-idp").create_group(UserPoolId=p["UserPoolId"], GroupName=name, **args)
    return ResourceState("AWS::Cognito::UserPoolGroup", name, {})
