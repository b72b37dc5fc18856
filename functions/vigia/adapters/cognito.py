"""Cognito user pool: the residents' and staff's sign-in identities and their groups (roles)."""

from __future__ import annotations

import contextlib

from vigia import settings
from vigia.adapters.aws import client
from vigia.errors import FieldError, InvalidRequest
from vigia.residents.registration import DuplicateValue
from vigia.residents.signup import Holder, normalise_email


class CognitoIdentity:
    def __init__(self, user_pool_id: str | None = None) -> None:
        self.pool = user_pool_id or settings.get().user_pool_id

    def create_user(self, email: str, password: str, phone: str) -> str:
        """The username is the e-mail in lower case (the pool compares usernames case-insensitively too)."""
        email = normalise_email(email)
        idp = client("cognito-idp")
        try:
            created = idp.admin_create_user(
                UserPoolId=self.pool,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "phone_number", "Value": phone},
                ],
                MessageAction="SUPPRESS",
            )
        except idp.exceptions.UsernameExistsException:
            raise DuplicateValue("email") from None
        try:
            idp.admin_set_user_password(
                UserPoolId=self.pool, Username=email, Password=password, Permanent=True
            )
        except idp.exceptions.InvalidPasswordException as error:
            self.delete_user(email)
            raise InvalidRequest(
                "The password does not meet the city's password policy.",
                errors=[FieldError("/password", str(error.response["Error"].get("Message", "too weak")))],
            ) from None
        attributes = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}
        return attributes["sub"]

    def holder(self, email: str) -> Holder | None:
        """signup.StaffDirectory: whoever signs in with this e-mail (resident or staff), with their phone."""
        idp = client("cognito-idp")
        try:
            user = idp.admin_get_user(UserPoolId=self.pool, Username=normalise_email(email))
        except idp.exceptions.UserNotFoundException:
            return None
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return Holder(attributes.get("sub") or user["Username"], attributes.get("phone_number"), None)

    def members(self, group: str) -> frozenset[str]:
        """incidents.crew.Directory: the subs of the group's members (ListUsersInGroup, 60 a page)."""
        pages = client("cognito-idp").get_paginator("list_users_in_group")
        return frozenset(
            attribute["Value"]
            for page in pages.paginate(UserPoolId=self.pool, GroupName=group)
            for user in page.get("Users", [])
            for attribute in user.get("Attributes", [])
            if attribute["Name"] == "sub"
        )

    def delete_user(self, email: str) -> None:
        idp = client("cognito-idp")
        with contextlib.suppress(idp.exceptions.UserNotFoundException):
            idp.admin_delete_user(UserPoolId=self.pool, Username=email)

    def add_to_group(self, email: str, group: str) -> None:
        client("cognito-idp").admin_add_user_to_group(UserPoolId=self.pool, Username=email, GroupName=group)

    def remove_from_group(self, email: str, group: str) -> None:
        client("cognito-idp").admin_remove_user_from_group(
            UserPoolId=self.pool, Username=email, GroupName=group
        )
