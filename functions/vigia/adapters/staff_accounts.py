"""Cognito's admin APIs for staff administration (identity.staff.Directory): list, create, regroup."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from vigia import clock, settings
from vigia.adapters.aws import client
from vigia.identity.staff import GROUP_ORDER, AccountExists, StaffAccount, ordered


def _attributes(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("Attributes") or user.get("UserAttributes") or []}


def _created(user: dict[str, Any]) -> str | None:
    created = user.get("UserCreateDate")
    return clock.iso(created) if isinstance(created, datetime) else None


def _account(user: dict[str, Any], groups: tuple[str, ...]) -> StaffAccount:
    attributes = _attributes(user)
    return StaffAccount(
        user_id=attributes.get("sub") or user["Username"],
        email=attributes.get("email") or user["Username"],
        full_name=attributes.get("name"),
        groups=groups,
        enabled=bool(user.get("Enabled", True)),
        status=str(user.get("UserStatus") or "UNKNOWN"),
        created_at=_created(user),
    )


class CognitoStaffAccounts:
    def __init__(self, user_pool_id: str | None = None) -> None:
        self.pool = user_pool_id or settings.get().user_pool_id

    def staff(self) -> list[StaffAccount]:
        """Every member of a staff group (ListUsersInGroup per group, 60 a page), by e-mail."""
        users: dict[str, dict[str, Any]] = {}
        groups: dict[str, set[str]] = {}
        pages = client("cognito-idp").get_paginator("list_users_in_group")
        for group in GROUP_ORDER:
            for page in pages.paginate(UserPoolId=self.pool, GroupName=group):
                for user in page.get("Users", []):
                    users.setdefault(user["Username"], user)
                    groups.setdefault(user["Username"], set()).add(group)
        accounts = [_account(users[name], ordered(groups[name])) for name in users]
        return sorted(accounts, key=lambda a: a.email)

    def find(self, user_id: str) -> tuple[StaffAccount, frozenset[str]] | None:
        idp = client("cognito-idp")
        quoted = user_id.replace("\\", "").replace('"', "")  # the door admits neither; never in a filter
        found = idp.list_users(UserPoolId=self.pool, Filter=f'sub = "{quoted}"', Limit=2).get("Users", [])
        if len(found) != 1:
            return None
        user = found[0]
        if _attributes(user).get("sub") != user_id:
            return None
        listed = idp.admin_list_groups_for_user(UserPoolId=self.pool, Username=user["Username"], Limit=60)
        groups = frozenset(g["GroupName"] for g in listed.get("Groups", []))
        return _account(user, ordered(groups)), groups

    def create(self, email: str, full_name: str | None, password: str) -> StaffAccount:
        idp = client("cognito-idp")
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if full_name:
            attributes.append({"Name": "name", "Value": full_name})
        try:
            created = idp.admin_create_user(
                UserPoolId=self.pool,
                Username=email,
                UserAttributes=attributes,
                TemporaryPassword=password,
                MessageAction="SUPPRESS",  # the admin hands the password over; Cognito sends nothing
            )
        except idp.exceptions.UsernameExistsException:
            raise AccountExists(email) from None
        return _account(created["User"], ())

    def delete(self, email: str) -> None:
        idp = client("cognito-idp")
        with contextlib.suppress(idp.exceptions.UserNotFoundException):
            idp.admin_delete_user(UserPoolId=self.pool, Username=email)

    def set_enabled(self, email: str, enabled: bool) -> None:
        idp = client("cognito-idp")
        if enabled:
            idp.admin_enable_user(UserPoolId=self.pool, Username=email)
        else:
            idp.admin_disable_user(UserPoolId=self.pool, Username=email)
            # revokes the refresh tokens: the session ends when its ID token expires (at most an hour)
            idp.admin_user_global_sign_out(UserPoolId=self.pool, Username=email)

    def add_to_group(self, email: str, group: str) -> None:
        client("cognito-idp").admin_add_user_to_group(UserPoolId=self.pool, Username=email, GroupName=group)

    def remove_from_group(self, email: str, group: str) -> None:
        client("cognito-idp").admin_remove_user_from_group(
            UserPoolId=self.pool, Username=email, GroupName=group
        )
