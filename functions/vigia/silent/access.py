"""Who may read what of a silent alert: one table, consulted by GET /v1/alerts/{id} and its tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

UNSEALED = "unsealed"  # identity, exact place, note and the referral directory (audited on every read)
SEALED = "sealed"  # category, coarse zone, time, status
HIDDEN = "hidden"  # answered 404, as if the alert did not exist

# Roles not listed (citizen — the sender included —, admin, a pending resident) see nothing: the
# sender because an abuser may hold her phone; admin because reading the audit trail needs no victim.
SILENT_ALERT_ACCESS: Mapping[str, str] = MappingProxyType(
    {"response_team": UNSEALED, "operator": SEALED, "police": SEALED, "analyst": SEALED}
)
_RANK = {HIDDEN: 0, SEALED: 1, UNSEALED: 2}


def access_to_silent_alert(roles: Iterable[str]) -> str:
    """The most a caller with these roles may see of a silent alert."""
    levels = [SILENT_ALERT_ACCESS.get(role, HIDDEN) for role in roles]
    return max(levels, key=_RANK.__getitem__, default=HIDDEN)
