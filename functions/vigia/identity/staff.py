"""Staff accounts, administered by the city's admins: who may be made staff, what an admin may not do to
themselves, and what each change leaves in the audit trail.

A staff account is a sign-in identity in at least one staff group and never in `citizen`: a resident's
account (approved, pending with no group, or suspended) is not staff and these rules cannot make it so.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from vigia.callers import STAFF_ROLES, Caller
from vigia.errors import Conflict, FieldError, InvalidRequest, NotFound, Unprocessable

RESIDENT_GROUP = "citizen"
ADMIN_GROUP = "admin"
# The order groups are shown and stored in (the API's answers list them so).
GROUP_ORDER = ("operator", "police", "response_team", "analyst", "admin", "sat_team", "sat_coordinator")
Audit = Callable[..., object]  # adapters.dynamodb.audit.record


@dataclass(frozen=True)
class StaffAccount:
    user_id: str  # Cognito's sub, as in every token and GET /v1/me
    email: str  # also the username, in lower case
    full_name: str | None
    groups: tuple[str, ...]
    enabled: bool
    status: str  # Cognito's user status: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED
    created_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "email": self.email,
            "full_name": self.full_name,
            "groups": list(self.groups),
            "enabled": self.enabled,
            "status": self.status,
            "created_at": self.created_at,
        }


class AccountExists(Exception):
    """The pool already has a sign-in identity with that e-mail (staff or resident)."""


class Directory(Protocol):
    """The user pool, as staff administration needs it (adapters.staff_accounts)."""

    def staff(self) -> list[StaffAccount]: ...

    def find(self, user_id: str) -> tuple[StaffAccount, frozenset[str]] | None:
        """The account with this sub and every group it is in (staff or not), or None."""
        ...

    def create(self, email: str, full_name: str | None, password: str) -> StaffAccount: ...

    def delete(self, email: str) -> None: ...

    def set_enabled(self, email: str, enabled: bool) -> None: ...

    def add_to_group(self, email: str, group: str) -> None: ...

    def remove_from_group(self, email: str, group: str) -> None: ...


def ordered(groups: Collection[str]) -> tuple[str, ...]:
    return tuple(g for g in GROUP_ORDER if g in groups)


def staff_groups(groups: Collection[str]) -> tuple[str, ...]:
    """The groups asked for, checked: staff groups only (a resident's group is refused), at least one."""
    unknown = [g for g in groups if g not in STAFF_ROLES]
    if unknown or not groups:
        raise InvalidRequest(
            "A staff account needs one or more of the staff groups: " + ", ".join(GROUP_ORDER) + ".",
            errors=[FieldError("/groups", f"not a staff group: {unknown[0]}" if unknown else "empty")],
        )
    return ordered(groups)


def temporary_password(length: int = 16) -> str:
    """Meets the pool's policy (template.yaml: 10+ characters, upper, lower, digits) whatever the draw."""
    alphabet = string.ascii_letters + string.digits
    chars = [secrets.choice(string.ascii_uppercase), secrets.choice(string.ascii_lowercase)]
    chars += [secrets.choice(string.digits)] + [secrets.choice(alphabet) for _ in range(length - 3)]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def staff_account(directory: Directory, user_id: str) -> tuple[StaffAccount, frozenset[str]]:
    """The staff account with this id; a resident's account or an unknown id is 404 alike."""
    found = directory.find(user_id)
    if found is None or RESIDENT_GROUP in found[1] or not (found[1] & STAFF_ROLES):
        raise NotFound(f"No staff account {user_id}.")
    return found


def create(
    email: str,
    full_name: str | None,
    groups: Collection[str],
    *,
    by: Caller,
    directory: Directory,
    audit: Audit,
) -> tuple[StaffAccount, str]:
    """A new staff account in `groups` with a temporary password (changed at the first sign-in); the
    account and that password, which is shown once and stored nowhere. The same e-mail again → 409."""
    wanted = staff_groups(groups)
    username = email.strip().lower()
    password = temporary_password()
    try:
        account = directory.create(username, full_name, password)
    except AccountExists:
        raise Conflict(
            f"An account with the e-mail {username} already exists.",
            errors=[FieldError("/email", f"already exists: {username}")],
        ) from None
    try:
        for group in wanted:
            directory.add_to_group(username, group)
        audit(
            by.user_id,
            ADMIN_GROUP,
            "staff_created",
            "staff",
            account.user_id,
            reason=f"{username}; groups: {','.join(wanted)}",
        )
    except Exception:
        directory.delete(username)  # no account exists that the trail does not show
        raise
    created = StaffAccount(
        account.user_id, username, full_name, wanted, account.enabled, account.status, account.created_at
    )
    return created, password


def set_enabled(
    user_id: str, enabled: bool, *, by: Caller, directory: Directory, audit: Audit
) -> StaffAccount:
    account, groups = staff_account(directory, user_id)
    if not enabled and user_id == by.user_id:
        raise Unprocessable(
            "You cannot disable your own account: another admin must.",
            errors=[FieldError("/user_id", "your own account")],
        )
    action = "staff_enabled" if enabled else "staff_disabled"
    audit(by.user_id, ADMIN_GROUP, action, "staff", user_id, reason=account.email)
    directory.set_enabled(account.email, enabled)
    return StaffAccount(
        account.user_id,
        account.email,
        account.full_name,
        ordered(groups),
        enabled,
        account.status,
        account.created_at,
    )


def set_groups(
    user_id: str, groups: Collection[str], *, by: Caller, directory: Directory, audit: Audit
) -> StaffAccount:
    """Puts the account in exactly `groups` (staff groups only); an admin cannot drop their own admin."""
    wanted = staff_groups(groups)
    account, current = staff_account(directory, user_id)
    if user_id == by.user_id and ADMIN_GROUP not in wanted:
        raise Unprocessable(
            "You cannot remove your own admin group: another admin must.",
            errors=[FieldError("/groups", "your own admin group")],
        )
    before = ordered(current & STAFF_ROLES)
    audit(
        by.user_id,
        ADMIN_GROUP,
        "staff_groups_changed",
        "staff",
        user_id,
        reason=f"{account.email}; groups: {','.join(before)} -> {','.join(wanted)}",
    )
    for group in wanted:
        if group not in current:
            directory.add_to_group(account.email, group)
    for group in before:
        if group not in wanted:
            directory.remove_from_group(account.email, group)
    return StaffAccount(
        account.user_id,
        account.email,
        account.full_name,
        wanted,
        account.enabled,
        account.status,
        account.created_at,
    )
