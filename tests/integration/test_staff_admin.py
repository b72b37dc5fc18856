"""Staff administration: an admin creates, lists, disables, enables and regroups staff accounts, each change
audited; every other role is refused, no admin can lock themselves out, and a resident never becomes staff."""

from typing import Any

import pytest

from tests.integration.conftest import staff

ADMIN = staff("admin")
STAFF_ROUTES = (
    ("GET", "/v1/admin/staff", None),
    ("POST", "/v1/admin/staff", {"email": "nuevo@city.example", "groups": ["police"]}),
    ("POST", "/v1/admin/staff/staff-police/disable", None),
    ("POST", "/v1/admin/staff/staff-police/enable", None),
    ("PUT", "/v1/admin/staff/staff-police/groups", {"groups": ["admin"]}),
)


def create(api: Any, email: str, groups: list[str], full_name: str | None = None, claims=ADMIN) -> Any:
    body: dict[str, Any] = {"email": email, "groups": groups}
    if full_name:
        body["full_name"] = full_name
    return api("POST", "/v1/admin/staff", body, claims=claims)


def listed(api: Any) -> dict[str, dict[str, Any]]:
    answer = api("GET", "/v1/admin/staff", claims=ADMIN)
    assert answer.status == 200, answer.body
    return {item["email"]: item for item in answer.json["items"]}


def trail(api: Any, target_id: str) -> list[dict[str, Any]]:
    answer = api("GET", "/v1/audit", claims=ADMIN, query={"target_id": target_id})
    assert answer.status == 200, answer.body
    return answer.json["items"]


def first_sign_in(stack: Any, username: str, temporary: str, new: str) -> dict[str, str]:
    """The first sign-in: Cognito asks for a new password, then gives tokens."""
    idp = stack.client("cognito-idp")
    started = idp.initiate_auth(
        ClientId=stack.resources["UserPoolClient"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary},
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answered = idp.respond_to_auth_challenge(
        ClientId=stack.resources["UserPoolClient"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new},
    )
    return answered["AuthenticationResult"]


def test_an_admin_creates_a_police_account_that_signs_in_with_its_temporary_password(api, stack):
    # When an admin creates a police officer's account, the e-mail in mixed case
    answer = create(api, "Marta.Gomez@City.Example", ["police"], full_name="Marta Gómez")
    # Then it is created in the police group, the e-mail lower-cased, with a temporary password shown once
    assert answer.status == 201, answer.body
    account = answer.json
    assert account["email"] == "marta.gomez@city.example"
    assert account["full_name"] == "Marta Gómez"
    assert account["groups"] == ["police"]
    assert account["enabled"] is True
    assert account["status"] == "FORCE_CHANGE_PASSWORD"
    assert len(account["temporary_password"]) >= 10
    assert answer.headers["Cache-Control"] == "no-store"
    assert stack.groups_of("marta.gomez@city.example") == {"police"}
    # And the list shows it, without the password
    shown = listed(api)["marta.gomez@city.example"]
    assert shown["user_id"] == account["user_id"]
    assert shown["groups"] == ["police"]
    assert "temporary_password" not in shown
    # And the officer signs in: a new password first, then tokens carrying the police group
    tokens = first_sign_in(
        stack, "marta.gomez@city.example", account["temporary_password"], "Nueva-Clave-2026"
    )
    assert tokens["IdToken"]
    # And the trail says who created it, when, and in which groups
    [created] = trail(api, account["user_id"])
    assert (created["actor_id"], created["actor_role"], created["action"]) == (
        "staff-admin",
        "admin",
        "staff_created",
    )
    assert created["target_type"] == "staff"
    assert created["reason"] == "marta.gomez@city.example; groups: police"


def test_the_same_e_mail_twice_is_a_conflict_naming_it(api, stack):
    assert create(api, "dos@city.example", ["operator"]).status == 201
    again = create(api, "DOS@city.example", ["admin"])
    assert again.status == 409, again.body
    assert again.headers["Content-Type"] == "application/problem+json"
    assert "dos@city.example" in again.json["detail"]
    assert again.json["errors"][0]["path"] == "/email"
    # and the first account kept its groups: no admin slipped in
    assert stack.groups_of("dos@city.example") == {"operator"}


@pytest.mark.parametrize("groups", [["citizen"], ["police", "citizen"], [], ["root"], ["admin", "admin"]])
def test_only_staff_groups_can_be_given(api, stack, groups):
    answer = create(api, "grupo@city.example", groups)
    assert answer.status == 400, answer.body
    assert answer.json["errors"][0]["path"].startswith("/groups")
    assert "grupo@city.example" not in listed(api)


ROLES = ("operator", "police", "response_team", "analyst")


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_every_other_role_is_refused_on_every_staff_route(api, stack, role, method, path, body):
    answer = api(method, path, body, claims=staff(role))
    assert answer.status == 403, answer.body
    assert stack.groups_of("staff-police@city.example") == {"police"}


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
def test_residents_and_strangers_are_refused_on_every_staff_route(
    api, stack, citizen, registered, method, path, body
):
    assert api(method, path, body, claims=citizen.claims).status == 403
    assert api(method, path, body, claims=registered.claims).status == 403
    assert api(method, path, body).status == 401


def test_an_operator_cannot_make_themselves_admin(api, stack):
    operator = staff("operator")
    # an operator's token that also claims a group the API does not know changes nothing either
    for claims in (operator, {**operator, "cognito:groups": "[operator root]"}):
        answer = api(
            "PUT", "/v1/admin/staff/staff-operator/groups", {"groups": ["operator", "admin"]}, claims=claims
        )
        assert answer.status == 403
        created = create(api, "operator@city.example", ["admin"], claims=claims)
        assert created.status == 403
    assert stack.groups_of("staff-operator@city.example") == {"operator"}


def test_a_resident_cannot_be_turned_into_staff(api, stack, citizen, registered):
    for person in (citizen, registered):
        # not by regrouping their account, nor disabling it: for these routes it does not exist
        regrouped = api(
            "PUT", f"/v1/admin/staff/{person.user_id}/groups", {"groups": ["police"]}, claims=ADMIN
        )
        assert regrouped.status == 404, regrouped.body
        assert api("POST", f"/v1/admin/staff/{person.user_id}/disable", claims=ADMIN).status == 404
        # nor by creating a staff account with their e-mail
        assert create(api, person.email.upper(), ["police"]).status == 409
    assert stack.groups_of(citizen.email) == {"citizen"}
    assert stack.groups_of(registered.email) == set()
    assert citizen.email not in listed(api)
    assert registered.email not in listed(api)


def test_an_unknown_account_is_not_found(api, stack):
    assert api("POST", "/v1/admin/staff/no-such-user/enable", claims=ADMIN).status == 404
    assert (
        api("PUT", "/v1/admin/staff/no-such-user/groups", {"groups": ["police"]}, claims=ADMIN).status == 404
    )


def test_a_disabled_account_cannot_sign_in_until_enabled_again(api, stack):
    created = create(api, "baja@city.example", ["analyst"]).json
    user_id, password = created["user_id"], created["temporary_password"]
    # When the admin disables it
    disabled = api("POST", f"/v1/admin/staff/{user_id}/disable", claims=ADMIN)
    assert disabled.status == 200, disabled.body
    assert disabled.json["enabled"] is False
    assert listed(api)["baja@city.example"]["enabled"] is False
    # Then it cannot sign in
    idp = stack.client("cognito-idp")
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        first_sign_in(stack, "baja@city.example", password, "Nueva-Clave-2026")
    # And once enabled it can
    enabled = api("POST", f"/v1/admin/staff/{user_id}/enable", claims=ADMIN)
    assert enabled.status == 200
    assert enabled.json["enabled"] is True
    assert first_sign_in(stack, "baja@city.example", password, "Nueva-Clave-2026")["IdToken"]
    assert [e["action"] for e in trail(api, user_id)] == ["staff_enabled", "staff_disabled", "staff_created"]


def test_an_admin_changes_an_accounts_groups_exactly(api, stack):
    created = create(api, "cambio@city.example", ["police"]).json
    answer = api(
        "PUT",
        f"/v1/admin/staff/{created['user_id']}/groups",
        {"groups": ["analyst", "operator"]},
        claims=ADMIN,
    )
    assert answer.status == 200, answer.body
    assert answer.json["groups"] == ["operator", "analyst"]
    assert stack.groups_of("cambio@city.example") == {"operator", "analyst"}
    [changed, _] = trail(api, created["user_id"])
    assert changed["action"] == "staff_groups_changed"
    assert changed["reason"] == "cambio@city.example; groups: police -> operator,analyst"


def test_an_admin_cannot_lock_themselves_out(api, stack):
    me = "staff-admin"
    disabled = api("POST", f"/v1/admin/staff/{me}/disable", claims=ADMIN)
    assert disabled.status == 422, disabled.body
    assert disabled.json["errors"][0]["path"] == "/user_id"
    dropped = api("PUT", f"/v1/admin/staff/{me}/groups", {"groups": ["operator"]}, claims=ADMIN)
    assert dropped.status == 422, dropped.body
    assert dropped.json["errors"][0]["path"] == "/groups"
    assert stack.groups_of("staff-admin@city.example") == {"admin"}
    assert listed(api)["staff-admin@city.example"]["enabled"] is True
    # keeping admin, an admin may add groups to their own account
    kept = api("PUT", f"/v1/admin/staff/{me}/groups", {"groups": ["admin", "analyst"]}, claims=ADMIN)
    assert kept.status == 200, kept.body
    assert stack.groups_of("staff-admin@city.example") == {"admin", "analyst"}


def test_another_admin_may_disable_an_admin(api, stack):
    second = create(api, "segunda@city.example", ["admin"]).json
    other_admin = {"sub": second["user_id"], "email": "segunda@city.example", "cognito:groups": "[admin]"}
    answer = api("POST", "/v1/admin/staff/staff-admin/disable", claims=other_admin)
    assert answer.status == 200, answer.body
    assert trail(api, "staff-admin")[0]["actor_id"] == second["user_id"]


def test_the_list_shows_every_staff_account_with_its_groups(api, stack):
    accounts = listed(api)
    assert accounts["staff-police@city.example"]["groups"] == ["police"]
    assert accounts["staff-response_team@city.example"]["groups"] == ["response_team"]
    assert accounts["staff-admin@city.example"]["user_id"] == "staff-admin"
    assert all(item["enabled"] for item in accounts.values())
