"""Staff sign in with TOTP. Cognito's MFA setting is per pool, not per group, and residents must not be
made to enrol an authenticator to raise an alert; so the pool offers TOTP (MfaConfiguration OPTIONAL,
software token only) and a pre-token-generation trigger withholds every staff group from the tokens of
a staff member who has not enabled it. Refusing the sign-in outright would leave no way to enrol (with
an optional pool, Cognito only lets a signed-in user associate a software token); the token without
staff groups lets them do exactly that and nothing else: every staff route answers 403.

Once TOTP is enabled, Cognito asks for the code at every sign-in, and the trigger passes the groups."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from vigia.callers import STAFF_ROLES

STAFF_GROUPS = STAFF_ROLES  # every staff role, the SAT's included: one list (vigia.callers)
TOTP = "SOFTWARE_TOKEN_MFA"
ENROL_CLAIM = "vigia:totp_required"  # tells the app to send this person to TOTP enrolment


@dataclass(frozen=True)
class Issue:
    groups: tuple[str, ...]  # what the tokens carry
    withheld: tuple[str, ...]  # staff groups held back until TOTP is enabled


def needs_totp(groups: Collection[str]) -> bool:
    return bool(STAFF_GROUPS & set(groups))


def groups_to_issue(groups: Collection[str], enabled_mfa: Collection[str]) -> Issue:
    """The groups a token may carry: all of them with TOTP enabled; without it, none of the staff ones."""
    if TOTP in enabled_mfa or not needs_totp(groups):
        return Issue(tuple(groups), ())
    return Issue(
        tuple(g for g in groups if g not in STAFF_GROUPS), tuple(g for g in groups if g in STAFF_GROUPS)
    )


def current_groups(event: Mapping[str, Any]) -> list[str]:
    """The user's groups from a PreTokenGeneration (V1) event."""
    configuration = (event.get("request") or {}).get("groupConfiguration") or {}
    return [str(g) for g in configuration.get("groupsToOverride") or []]


def answer(event: dict[str, Any], issue: Issue) -> dict[str, Any]:
    """The event with the trigger's answer: groups overridden (ID and access tokens) when any is withheld."""
    if issue.withheld:
        event["response"] = {
            "claimsOverrideDetails": {
                "groupOverrideDetails": {"groupsToOverride": list(issue.groups)},
                "claimsToAddOrOverride": {ENROL_CLAIM: "true"},
            }
        }
    return event
