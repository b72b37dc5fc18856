"""The federation agreement as data: a city's partners, their endpoints, keys, jurisdiction, what roams."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from vigia.city.geo import Polygon
from vigia.city.loading import read_json
from vigia.city.model import RateLimit
from vigia.federation.jws import PRIVATE_MEMBERS, public_key

AGREEMENT_FILE = "federation.json"  # beside city.json in infra/cities/<city>/; optional
DEFAULT_DEADLINE_S = 60
# as host: visitor alerts one partner may raise here in a window (a flood from a partner, or from its stolen
# key, is answered 429 and never reaches our police, neighbours and sirens past it)
DEFAULT_VISITOR_LIMIT = RateLimit(max_alerts=30, window_s=600)
LOCAL_PAIR_PREFIX = "http://127.0.0.1"  # the only place plain http (and an empty key set) is allowed
_MAX_SCHEMA_PROBLEMS = 50


class AgreementError(ValueError):
    """The agreement is missing, malformed or inconsistent; `problems` name each offending field."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems) or (message,)


@dataclass(frozen=True)
class PartnerKey:
    kid: str
    jwk: Mapping[str, str]
    key: ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    endpoint: str
    keys: tuple[PartnerKey, ...]
    jurisdiction: tuple[Polygon, ...]
    alert_types: frozenset[str]
    silent_alarms: bool = False
    deadline_s: int = DEFAULT_DEADLINE_S
    visitor_limit: RateLimit = DEFAULT_VISITOR_LIMIT

    @classmethod
    def of(
        cls,
        *,
        partner_id: str,
        name: str,
        endpoint: str,
        keys: Iterable[Mapping[str, str]],
        jurisdiction: Iterable[Sequence[Sequence[Sequence[float]]]],
        alert_types: Iterable[str],
        silent_alarms: bool = False,
        deadline_s: int = DEFAULT_DEADLINE_S,
        visitor_limit: RateLimit = DEFAULT_VISITOR_LIMIT,
    ) -> Partner:
        """A partner from plain data: public JWKs, and the jurisdiction as polygons' rings of (lon, lat)."""
        return cls(
            partner_id=partner_id,
            name=name,
            endpoint=endpoint,
            keys=tuple(PartnerKey(k["kid"], MappingProxyType(dict(k)), public_key(k)) for k in keys),
            jurisdiction=tuple(Polygon.from_rings(rings) for rings in jurisdiction),
            alert_types=frozenset(alert_types),
            silent_alarms=silent_alarms,
            deadline_s=deadline_s,
            visitor_limit=visitor_limit,
        )

    def covers(self, lat: float, lon: float) -> bool:
        return any(polygon.contains(lat, lon) for polygon in self.jurisdiction)

    def takes(self, alert_type: str, *, silent: bool = False) -> bool:
        """Whether an alert of this type roams to this partner (silent: only if the agreement says so)."""
        return alert_type in self.alert_types and (self.silent_alarms or not silent)

    @property
    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The partner's JWK Set as published."""
        return {"keys": [dict(k.jwk) for k in self.keys]}


@dataclass(frozen=True)
class Agreement:
    city_id: str
    partners: tuple[Partner, ...] = ()
    # partners on 127.0.0.1 that a deployed stack (local_pair=False) left out: the local pair's, never live
    left_out: tuple[str, ...] = ()

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.partner_id == partner_id), None)

    def partner_for(self, lat: float, lon: float, alert_type: str, *, silent: bool = False) -> Partner | None:
        """The partner whose jurisdiction holds the point and who takes this type; None if none does.

        Jurisdictions of two partners should not overlap; if they do, the first listed wins.
        """
        return next(
            (p for p in self.partners if p.takes(alert_type, silent=silent) and p.covers(lat, lon)), None
        )

    def key(self, kid: str) -> tuple[Partner, PartnerKey] | None:
        """The partner that holds the key `kid`, and that key (kids are unique across an agreement)."""
        for partner in self.partners:
            for key in partner.keys:
                if key.kid == kid:
                    return partner, key
        return None


def load_agreement(
    path: Path,
    schema_path: Path,
    *,
    city_id: str | None = None,
    alert_types: Collection[str] | None = None,
    local_pair: bool = False,
) -> Agreement:
    """Reads and checks a federation.json; AgreementError lists every problem, each prefixed with its path.

    `city_id` (the pack's) and `alert_types` (the pack's codes), when given, are checked against it too.
    Partners on 127.0.0.1 are the local pair's: kept only with `local_pair=True` (the local stack), else
    left out (named in `Agreement.left_out`), so a packaged demo agreement is never live in the cloud.
    """
    raw = _read_json(Path(path))
    problems = private_key_problems(raw)
    if not problems:
        problems = _schema_problems(raw, _read_json(Path(schema_path)))
    if not problems:
        problems = semantic_problems(raw, city_id=city_id, alert_types=alert_types)
    if problems:
        header = f"invalid federation agreement {Path(path)}: {len(problems)} problem(s)"
        raise AgreementError("\n".join([header, *(f"- {p}" for p in problems)]), problems)
    return _build(raw, local_pair=local_pair)


def load_pack_agreement(
    pack_dir: Path,
    schema_path: Path,
    *,
    city_id: str,
    alert_types: Collection[str] | None = None,
    local_pair: bool = False,
) -> Agreement:
    """The agreement beside a city pack; a pack without federation.json has no partners."""
    path = Path(pack_dir) / AGREEMENT_FILE
    if not path.is_file():
        return Agreement(city_id=city_id)
    return load_agreement(path, schema_path, city_id=city_id, alert_types=alert_types, local_pair=local_pair)


def fill_partner_keys(
    document: Mapping[str, Any],
    keys_by_partner: Mapping[str, Sequence[Mapping[str, str]]],
    *,
    endpoints: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A copy of an agreement document with these partners' public JWKs (and endpoints) in place.

    For the local pair (`make run-pair`): each stack's key pair is made at start, and each agreement gets
    the other's public key here (and its port, if not the committed one), in a copy under .local/<city>/;
    the committed file is not touched. The copy is loaded with `load_agreement` like any other.
    """
    filled = copy.deepcopy(dict(document))
    endpoints = endpoints or {}
    known = {p.get("partner_id") for p in filled.get("partners", [])}
    unknown = sorted((set(keys_by_partner) | set(endpoints)) - known)
    if unknown:
        raise AgreementError(f"no partner {', '.join(unknown)} in the agreement of {filled.get('city_id')!r}")
    for partner in filled["partners"]:
        if partner["partner_id"] in keys_by_partner:
            partner["keys"] = {"keys": [dict(k) for k in keys_by_partner[partner["partner_id"]]]}
        if partner["partner_id"] in endpoints:
            partner["endpoint"] = endpoints[partner["partner_id"]]
    return filled


# --- checking -------------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    return read_json(path, AgreementError)


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def private_key_problems(raw: Any) -> list[str]:
    """A private key in an agreement is refused before anything else: it must never be committed."""
    problems = []
    partners = raw.get("partners") if isinstance(raw, dict) else None
    for i, partner in enumerate(partners if isinstance(partners, list) else []):
        keys = partner.get("keys") if isinstance(partner, dict) else None
        entries = keys.get("keys") if isinstance(keys, dict) else None
        for j, jwk in enumerate(entries if isinstance(entries, list) else []):
            members = sorted(PRIVATE_MEMBERS & set(jwk)) if isinstance(jwk, dict) else []
            if members:
                problems.append(
                    f"partners[{i}].keys.keys[{j}]: private key member(s) {', '.join(members)}: "
                    "an agreement lists public keys only (a private key must never be written here)"
                )
    return problems


def _schema_problems(raw: Any, schema: Mapping[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

    errors = sorted(
        Draft202012Validator(schema).iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))
    )
    problems = []
    for error in errors[:_MAX_SCHEMA_PROBLEMS]:
        message = error.message if len(error.message) <= 240 else error.message[:237] + "..."
        problems.append(f"{_path(error.absolute_path)}: {message}")
    if len(errors) > _MAX_SCHEMA_PROBLEMS:
        problems.append(f"(and {len(errors) - _MAX_SCHEMA_PROBLEMS} more schema problems)")
    return problems


def semantic_problems(
    raw: Mapping[str, Any], *, city_id: str | None = None, alert_types: Collection[str] | None = None
) -> list[str]:
    """What the schema cannot say: ids and kids unique, keys on the curve, rings closed, codes known."""
    problems = []
    if city_id is not None and raw["city_id"] != city_id:
        problems.append(f"city_id: {raw['city_id']!r} is not this pack's city_id {city_id!r}")
    seen_partners: set[str] = set()
    seen_kids: dict[str, str] = {}
    for i, partner in enumerate(raw["partners"]):
        at = f"partners[{i}]"
        pid = partner["partner_id"]
        if pid == raw["city_id"]:
            problems.append(f"{at}.partner_id: a city is not its own partner")
        if pid in seen_partners:
            problems.append(f"{at}.partner_id: {pid!r} is listed twice")
        seen_partners.add(pid)
        entries = partner["keys"]["keys"]
        if not entries and not _is_local(partner["endpoint"]):
            problems.append(
                f"{at}.keys: no public key: every message from {pid!r} would be refused "
                "(an empty key set is only for the local pair, whose keys `make run-pair` fills in)"
            )
        if not partner["endpoint"].startswith("https://") and not _is_local(partner["endpoint"]):
            problems.append(f"{at}.endpoint: https only (plain http only on 127.0.0.1, the local pair)")
        for j, jwk in enumerate(entries):
            kid = jwk["kid"]
            if kid in seen_kids:
                problems.append(f"{at}.keys.keys[{j}].kid: {kid!r} is already a key of {seen_kids[kid]!r}")
            seen_kids.setdefault(kid, pid)
            try:
                public_key(jwk)
            except ValueError:
                problems.append(f"{at}.keys.keys[{j}]: x and y are not a point on P-256")
        geometry = partner["jurisdiction"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for rings in polygons:
            for ring in rings:
                if list(ring[0][:2]) != list(ring[-1][:2]):
                    problems.append(f"{at}.jurisdiction: every ring must be closed (end where it starts)")
        if alert_types is not None:
            for k, code in enumerate(partner["alert_types"]):
                if code not in alert_types:
                    problems.append(f"{at}.alert_types[{k}]: {code!r} is no alert type of this city's pack")
    return problems


def _is_local(endpoint: str) -> bool:
    return endpoint.startswith((LOCAL_PAIR_PREFIX + ":", LOCAL_PAIR_PREFIX + "/"))


def _build(raw: Mapping[str, Any], *, local_pair: bool) -> Agreement:
    partners = []
    left_out = []
    for p in raw["partners"]:
        if _is_local(p["endpoint"]) and not local_pair:
            left_out.append(p["partner_id"])
            continue
        geometry = p["jurisdiction"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        partners.append(
            Partner.of(
                partner_id=p["partner_id"],
                name=p["name"],
                endpoint=p["endpoint"],
                keys=p["keys"]["keys"],
                jurisdiction=polygons,
                alert_types=p["alert_types"],
                silent_alarms=p.get("silent_alarms", False),
                deadline_s=p.get("deadline_s", DEFAULT_DEADLINE_S),
                visitor_limit=RateLimit(**p["visitor_limit"])
                if "visitor_limit" in p
                else DEFAULT_VISITOR_LIMIT,
            )
        )
    return Agreement(city_id=raw["city_id"], partners=tuple(partners), left_out=tuple(left_out))
