"""Who is calling, in the city's roles: the one identity the API, the handlers and the domain share."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("citizen", "operator", "police", "response_team", "analyst", "admin", "sat_team", "sat_coordinator")
STAFF_ROLES = frozenset(
    {"operator", "police", "response_team", "analyst", "admin", "sat_team", "sat_coordinator"}
)


@dataclass(frozen=True)
class Caller:
    user_id: str
    email: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)
