"""Who may crew a unit: police users of this city, i.e. members of the police group of its user pool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from vigia.errors import FieldError, Unprocessable

POLICE = "police"


class Directory(Protocol):
    def members(self, group: str) -> frozenset[str]:
        """The user ids (subs) in the group: the same membership the API's tokens carry as roles."""
        ...


def crew(user_ids: Sequence[str], *, directory: Directory) -> list[str]:
    """The crew to store, sorted; 422 naming each entry (by its place in the list) that is not police here."""
    if not user_ids:
        return []
    police = directory.members(POLICE)
    wrong = [
        FieldError(f"/user_ids/{i}", "not a police user of this city")
        for i, user_id in enumerate(user_ids)
        if user_id not in police
    ]
    if wrong:
        raise Unprocessable(
            f"{len(wrong)} of {len(user_ids)} crew entries are not police users of this city.", errors=wrong
        )
    return sorted(set(user_ids))
