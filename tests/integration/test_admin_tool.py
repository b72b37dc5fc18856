"""`make admin`'s core on the template's own user pool (moto): the first admin is created once, in lower
case, in `admin`, with a temporary password that forces a new one; a second run creates nobody."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from infra.tools.admin import ensure_admin


@pytest.fixture
def idp(stack: Any) -> Any:
    return boto3.client("cognito-idp", region_name="us-east-1")


def pool(stack: Any) -> str:
    return str(stack.resources["UserPool"])


def client_id(stack: Any) -> str:
    return str(stack.resources["UserPoolClient"])


def users_named(idp: Any, pool_id: str, email: str) -> list[dict[str, Any]]:
    return [u for u in idp.list_users(UserPoolId=pool_id)["Users"] if u["Username"].lower() == email.lower()]


def groups_of(idp: Any, pool_id: str, username: str) -> set[str]:
    answer = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    return {g["GroupName"] for g in answer["Groups"]}


def test_a_new_admin_is_created_in_lower_case_in_the_admin_group_with_a_password_to_change(stack, idp):
    admin = ensure_admin(idp, pool(stack), "  Ana.Boss@Ciudad.Example ", email_it=False)

    assert admin.username == "ana.boss@ciudad.example"
    assert admin.created is True
    (user,) = users_named(idp, pool(stack), "ana.boss@ciudad.example")
    assert user["Username"] == "ana.boss@ciudad.example"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert groups_of(idp, pool(stack), admin.username) == {"admin"}
    # the printed password signs in once, and only to choose a new one
    answer = idp.initiate_auth(
        ClientId=client_id(stack),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana.boss@ciudad.example", "PASSWORD": admin.temporary_password},
    )
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_running_it_again_creates_nobody_and_prints_no_password(stack, idp):
    first = ensure_admin(idp, pool(stack), "ana@ciudad.example", email_it=False)

    again = ensure_admin(idp, pool(stack), "ANA@Ciudad.Example", email_it=False)

    assert again.created is False
    assert again.temporary_password is None
    (user,) = users_named(idp, pool(stack), "ana@ciudad.example")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # the first password still stands, not replaced
    assert groups_of(idp, pool(stack), first.username) == {"admin"}


def test_an_existing_staff_member_is_added_to_admin_and_keeps_their_account_and_groups(stack, idp):
    # the fixture's operator, who can already sign in
    assert groups_of(idp, pool(stack), "staff-operator@city.example") == {"operator"}
    before = users_named(idp, pool(stack), "staff-operator@city.example")

    admin = ensure_admin(idp, pool(stack), "Staff-Operator@City.Example", email_it=False)

    assert admin.created is False
    assert users_named(idp, pool(stack), "staff-operator@city.example") == before
    assert groups_of(idp, pool(stack), "staff-operator@city.example") == {"operator", "admin"}


def test_in_the_cloud_cognito_sends_the_password_and_none_is_returned(stack, idp):
    admin = ensure_admin(idp, pool(stack), "jefa@ciudad.example", email_it=True)

    assert admin.created is True
    assert admin.temporary_password is None
    assert groups_of(idp, pool(stack), "jefa@ciudad.example") == {"admin"}


@pytest.mark.parametrize(
    "email", ["", "ana", "ana@", "@ciudad.example", "ana @ciudad.example", "a@b@c.example"]
)
def test_what_is_not_an_e_mail_is_refused_and_nobody_is_created(stack, idp, email: str):
    count = len(idp.list_users(UserPoolId=pool(stack))["Users"])

    with pytest.raises(ValueError, match="not an e-mail"):
        ensure_admin(idp, pool(stack), email, email_it=False)

    assert len(idp.list_users(UserPoolId=pool(stack))["Users"]) == count


def test_a_residents_account_is_not_made_admin(stack, idp, citizen, registered):
    # an approved resident (citizen) and a pending one (no group yet): neither becomes staff by their e-mail
    for person in (citizen, registered):
        before = groups_of(idp, pool(stack), person.email)
        with pytest.raises(ValueError, match="resident"):
            ensure_admin(idp, pool(stack), person.email.upper(), email_it=False)
        assert groups_of(idp, pool(stack), person.email) == before
