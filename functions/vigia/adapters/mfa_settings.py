"""A user's enabled MFA methods, from Cognito (AdminGetUser's UserMFASettingList)."""

from __future__ import annotations

from vigia.adapters.aws import client


def enabled_mfa(user_pool_id: str, username: str) -> frozenset[str]:
    answer = client("cognito-idp").admin_get_user(UserPoolId=user_pool_id, Username=username)
    return frozenset(answer.get("UserMFASettingList") or [])
