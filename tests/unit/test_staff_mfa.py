"""Staff sign in with TOTP: the pre-token-generation trigger gives staff groups only to staff who have it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigia.identity import staff_mfa
from vigia.identity.staff_mfa import STAFF_GROUPS, TOTP

ALL_GROUPS = sorted(STAFF_GROUPS | {"citizen"})
METHODS = ["SMS_MFA", TOTP, "EMAIL_OTP"]


def token_event(groups: list[str], source: str = "TokenGeneration_Authentication") -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": source,
        "region": "us-east-1",
        "userPoolId": "us-east-1_pool",
        "userName": "someone",
        "callerContext": {"clientId": "app"},
        "request": {
            "userAttributes": {"sub": "someone", "email": "someone@city.example"},
            "groupConfiguration": {
                "groupsToOverride": groups,
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
        },
        "response": {"claimsOverrideDetails": None},
    }


def issued_groups(event: dict[str, Any], groups: list[str]) -> list[str]:
    """What Cognito puts in cognito:groups after the trigger answered."""
    override = ((event.get("response") or {}).get("claimsOverrideDetails") or {}).get("groupOverrideDetails")
    return list(override["groupsToOverride"]) if override else groups


@given(groups=st.lists(st.sampled_from(ALL_GROUPS), unique=True), enabled=st.sets(st.sampled_from(METHODS)))
def test_a_token_carries_a_staff_group_only_for_someone_with_totp_enabled(groups, enabled):
    issue = staff_mfa.groups_to_issue(groups, enabled)
    carried = set(issue.groups)
    assert carried & STAFF_GROUPS == (set(groups) & STAFF_GROUPS if TOTP in enabled else set())
    assert carried - STAFF_GROUPS == set(groups) - STAFF_GROUPS  # a resident's own group is never taken


@pytest.fixture
def mfa(monkeypatch: pytest.MonkeyPatch):
    """Cognito's answer to AdminGetUser, per user, and who was asked."""
    from vigia.adapters import mfa_settings

    settings: dict[str, set[str]] = {}
    asked: list[tuple[str, str]] = []

    def enabled_mfa(pool: str, user: str) -> frozenset[str]:
        asked.append((pool, user))
        return frozenset(settings.get(user, set()))

    monkeypatch.setattr(mfa_settings, "enabled_mfa", enabled_mfa)
    return settings, asked


def test_every_staff_role_needs_totp_the_sat_roles_included():
    """A role added to the city's staff (the SAT's, who read minors' cases) is held back without TOTP too."""
    from vigia.callers import STAFF_ROLES

    assert set(STAFF_ROLES) <= STAFF_GROUPS
    assert {"sat_team", "sat_coordinator"} <= STAFF_GROUPS


@pytest.mark.parametrize("source", ["TokenGeneration_Authentication", "TokenGeneration_RefreshTokens"])
@pytest.mark.parametrize("role", sorted(STAFF_GROUPS))
def test_staff_without_totp_get_tokens_without_their_staff_group(mfa, role, source):
    from vigia.handlers.staff_mfa import decide

    settings, _ = mfa
    settings["someone"] = {"SMS_MFA"}  # another factor is not TOTP
    answer = decide(token_event([role, "citizen"], source))
    assert issued_groups(answer, [role, "citizen"]) == ["citizen"]
    assert answer["response"]["claimsOverrideDetails"]["claimsToAddOrOverride"] == {
        staff_mfa.ENROL_CLAIM: "true"
    }


def test_staff_with_totp_keep_every_group(mfa):
    from vigia.handlers.staff_mfa import decide

    settings, asked = mfa
    settings["someone"] = {TOTP}
    groups = ["operator", "admin"]
    assert issued_groups(decide(token_event(groups)), groups) == groups
    assert asked == [("us-east-1_pool", "someone")]


def test_residents_are_not_asked_for_totp_nor_looked_up(mfa):
    from vigia.handlers.staff_mfa import decide

    _, asked = mfa
    assert issued_groups(decide(token_event(["citizen"])), ["citizen"]) == ["citizen"]
    assert issued_groups(decide(token_event([])), []) == []
    assert asked == []


def test_the_trigger_fails_closed_when_cognito_cannot_say(monkeypatch: pytest.MonkeyPatch):
    from vigia.adapters import mfa_settings
    from vigia.handlers.staff_mfa import decide

    def broken(pool: str, user: str) -> frozenset[str]:
        raise ConnectionError("cognito-idp unreachable")

    monkeypatch.setattr(mfa_settings, "enabled_mfa", broken)
    with pytest.raises(ConnectionError):  # Cognito refuses the sign-in
        decide(token_event(["police"]))
