"""The city pack: one city's configuration and geography, validated and turned into domain objects."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigia.city.geo import GridIndex, LatLon, Polygon, point_in_ring, polygon_centroid

CITY_FILE = "city.json"
GEOGRAPHY_FILE = "geography.geojson"

# Who a protocol step can reach, and over which channels; the first channel is the default.
CHANNELS_BY_TARGET: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "community_police": ("sms", "push"),
        "provincial_police": ("webhook",),  # CAP 1.2 to the provincial CAD
        "medical": ("sms",),
        "fire": ("sms",),
        "response_team": ("sms", "push"),
        "neighbours": ("sms", "push"),
        "sirens": ("siren",),
        "sender_confirmation": ("sms", "push"),
    }
)
TARGETS = frozenset(CHANNELS_BY_TARGET)

# Targets whose recipients are the numbers listed under `dispatch.<target>`.
DISPATCH_LISTS = ("community_police", "medical", "fire", "response_team")

# Steps that carry no text: a siren only sounds.
TEXTLESS_TARGETS = frozenset({"sirens"})

# A silent alert (gender / intrafamily violence) must reach no one who could expose the victim.
SILENT_FORBIDDEN_TARGETS = frozenset(
    {"neighbours", "sirens", "sender_confirmation", "community_police", "medical", "fire"}
)

# The only names a template may use; the dispatcher fills them in. {place} (alias {address}) is where the
# alert is; {map} a link to its reported coordinates (docs/dispatch.md).
PLACEHOLDERS = frozenset(
    {"type_label", "block_name", "address", "place", "map", "sender_name", "time", "alert_id", "zone"}
)

# Vigía's own messages, in the pack's `texts` catalogue (one text per locale): key → the names each may use.
# Code asks for them by key (CityPack.message); the loader refuses a pack that lacks one.
_ALERT_WORDS = frozenset({"type_label", "place", "block_name", "zone", "time", "alert_id", "map"})
MESSAGE_TEXTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "map_link": frozenset({"lat", "lon"}),  # the reported point, 5 decimals (about a metre)
        "place_at_home": frozenset({"place", "home_address"}),  # an alert raised at the sender's home
        "cancellation": _ALERT_WORDS,  # SMS to everyone told, when the sender cancels
        "unit_assignment": _ALERT_WORDS | {"unit_id"},  # SMS to a community-police car
        "escalation": _ALERT_WORDS,  # CAP headline when an operator hands an alert to the CAD
        "cap_restriction": frozenset(),  # CAP <restriction> of a Restricted message
        "cap_cancel_note": frozenset(),  # CAP <note> of the cancellation
        "resident_suspended": frozenset({"reason", "helpline"}),
        "resident_approved": frozenset({"helpline"}),
        "resident_rejected": frozenset({"reason", "helpline"}),
        "automatic_suspension_reason": frozenset({"count", "days"}),  # stored, shown to staff, sent by SMS
    }
)

# GSM 03.38: one septet each in the basic set, two (escape + char) in the extension table.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_MAX_SCHEMA_PROBLEMS = 20


class CityPackError(ValueError):
    """The city pack is missing, malformed or inconsistent; `problems` name each offending field."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems) or (message,)


# --- domain objects -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    max_alerts: int
    window_s: int


# A pack without silent_alert_rate_limit: 10 silent alerts an hour, apart from the public limit
DEFAULT_SILENT_RATE_LIMIT = RateLimit(max_alerts=10, window_s=3600)


@dataclass(frozen=True)
class FalseAlarmPolicy:
    strikes: int
    window_days: int
    # Why an automatic suspension happened, in the city's language (the pack's automatic_suspension_reason).
    reason_text: str = "{count}/{days}"


@dataclass(frozen=True)
class HotspotSettings:
    h3_resolution: int
    lookback_days: int


@dataclass(frozen=True)
class PatrolSettings:
    fixed_point_min: int
    patrol_min: int
    no_return_hours: int


@dataclass(frozen=True)
class CitySettings:
    alert_rate_limit: RateLimit
    cancel_window_s: int
    response_target_s: int
    false_alarm_policy: FalseAlarmPolicy
    small_cell_threshold: int
    hotspots: HotspotSettings
    patrol: PatrolSettings
    helpline: str
    silent_alert_rate_limit: RateLimit = DEFAULT_SILENT_RATE_LIMIT  # apart from alert_rate_limit
    silent_ack_target_s: int = 120  # a silent alert not acknowledged by then is sent to the team again


@dataclass(frozen=True)
class CapProfile:
    """CAP 1.2 `<info>` enumerations sent to other agencies for an alert type."""

    category: str
    urgency: str
    severity: str
    certainty: str


@dataclass(frozen=True)
class SirenSignal:
    pattern: str
    duration_s: int


@dataclass(frozen=True)
class ProtocolStep:
    """One notification an alert type triggers: who, over which channel, what text, after what delay."""

    target: str
    channel: str
    # Every pack locale is present, the pack's default locale first; empty for sirens.
    template: Mapping[str, str] = field(hash=False)
    disclose_sender: bool
    delay_s: int
    scope: str | None = None  # CAP scope, for provincial_police
    addresses: tuple[str, ...] = ()  # CAP addresses, required with scope Private

    def text(self, locale: str) -> str:
        """The template in `locale`, or in the pack's default locale if the pack has no such locale."""
        if not self.template:
            return ""
        return self.template.get(locale) or next(iter(self.template.values()))

    def render(self, locale: str, values: Mapping[str, str]) -> str:
        return render_template(self.text(locale), values)


@dataclass(frozen=True)
class AlertType:
    code: str
    labels: Mapping[str, str] = field(hash=False)  # every pack locale, default first
    silent: bool
    priority: int  # 1 = highest
    severity_weight: float  # weight in hot-spot analysis; 0 keeps the type out of it
    iccs: str | None  # UNODC ICCS code; None when the type is not a criminal act
    cap: CapProfile
    siren: SirenSignal | None
    protocol: tuple[ProtocolStep, ...]

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or next(iter(self.labels.values()))

    def steps_for(self, target: str) -> tuple[ProtocolStep, ...]:
        return tuple(step for step in self.protocol if step.target == target)

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(step.target for step in self.protocol)


@dataclass(frozen=True)
class Siren:
    siren_id: str
    block_id: str
    lat: float
    lon: float

    @property
    def location(self) -> LatLon:
        return LatLon(self.lat, self.lon)


@dataclass(frozen=True)
class Block:
    block_id: str
    name: str
    quadrant_id: str
    population: int
    polygon: Polygon = field(repr=False)
    centroid: LatLon
    sirens: tuple[Siren, ...]


@dataclass(frozen=True)
class Quadrant:
    quadrant_id: str
    name: str
    population: int
    polygon: Polygon = field(repr=False)


@dataclass(frozen=True)
class Shift:
    start: time
    end: time  # at or before `start`: the shift runs past midnight

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def covers(self, moment: time) -> bool:
        if self.crosses_midnight:
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end


@dataclass(frozen=True)
class PoliceUnit:
    unit_id: str
    name: str
    phone: str
    quadrant_id: str
    shifts: tuple[Shift, ...]

    def on_duty(self, moment: time) -> bool:
        return any(shift.covers(moment) for shift in self.shifts)


@dataclass(frozen=True)
class ProvincialCad:
    url: str
    sender: str  # CAP <sender>
    # CAP <addresses> of the provincial gender-violence unit: where a silent alert's request_police goes
    gender_violence_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dispatch:
    community_police: tuple[str, ...]
    medical: tuple[str, ...]
    fire: tuple[str, ...]
    response_team: tuple[str, ...]
    provincial_cad: ProvincialCad | None

    def numbers_for(self, target: str) -> tuple[str, ...]:
        if target not in DISPATCH_LISTS:
            raise ValueError(f"{target} has no dispatch list")
        numbers: tuple[str, ...] = getattr(self, target)
        return numbers


@dataclass(frozen=True)
class PerceptionQuestion:
    question_id: str
    text: Mapping[str, str] = field(hash=False)
    scale: tuple[int, int]


@dataclass(frozen=True)
class Referral:
    referral_id: str
    name: str
    kind: str
    scope: str
    phone: str
    hours: str | None = None
    address: str | None = None
    notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)


@dataclass(frozen=True, eq=False)
class CityPack:
    """Everything that makes one city's stack its own. Mappings keep the order of the files."""

    city_id: str
    name: str
    time_zone: str
    locale: str
    locales: tuple[str, ...]
    country_code: str
    population: int
    settings: CitySettings
    alert_types: Mapping[str, AlertType]
    quadrants: Mapping[str, Quadrant]
    blocks: Mapping[str, Block]
    sirens: Mapping[str, Siren]
    units: Mapping[str, PoliceUnit]
    dispatch: Dispatch
    perception_questions: Mapping[str, PerceptionQuestion]
    referral_directory: tuple[Referral, ...]
    sender_sms: Mapping[str, str]
    texts: Mapping[str, Mapping[str, str]]  # MESSAGE_TEXTS key → every pack locale, default first
    service_area: Polygon = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False)  # city.json as loaded
    raw_geography: Mapping[str, Any] = field(repr=False)  # geography.geojson as loaded
    _block_index: GridIndex[Block] = field(repr=False)

    def block_at(self, lat: float, lon: float) -> Block | None:
        return self._block_index.find(lat, lon)

    def in_service_area(self, lat: float, lon: float) -> bool:
        if self._block_index.find(lat, lon) is not None:
            return True
        return self.service_area.contains(lat, lon)

    def quadrant_at(self, lat: float, lon: float) -> Quadrant | None:
        block = self._block_index.find(lat, lon)
        if block is not None:
            return self.quadrants[block.quadrant_id]
        for quadrant in self.quadrants.values():
            if quadrant.polygon.contains(lat, lon):
                return quadrant
        return None

    def message(self, key: str, locale: str | None, values: Mapping[str, str]) -> str:
        """One of Vigía's own messages (MESSAGE_TEXTS) in `locale`, else in the city's own locale."""
        if key not in MESSAGE_TEXTS:
            raise KeyError(f"{key} is not one of Vigía's message texts")
        texts = self.texts[key]
        return render_template(texts.get(locale or "") or texts[self.locale], values)

    def units_in(self, quadrant_id: str) -> tuple[PoliceUnit, ...]:
        return tuple(unit for unit in self.units.values() if unit.quadrant_id == quadrant_id)

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


# --- templates and SMS text -----------------------------------------------------------------------


def template_placeholders(text: str) -> tuple[str, ...]:
    """The `{name}` placeholders a template uses, in order; ValueError if the template is malformed."""
    names: list[str] = []
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise ValueError("positional placeholder {} (use a name such as {address})")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must not carry a format or conversion")
        names.append(name)
    return tuple(names)


def render_template(text: str, values: Mapping[str, str]) -> str:
    """Fills a template's placeholders; KeyError names a placeholder without a value."""
    return text.format_map({name: values[name] for name in template_placeholders(text)})


def is_gsm7(text: str) -> bool:
    """True when the text fits the GSM 7-bit alphabet (160 characters a part, not UCS-2's 70)."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def gsm7_length(text: str) -> int:
    """Septets the text takes in GSM-7; extension characters (such as € or [) take two."""
    return sum(2 if ch in _GSM7_EXTENSION else 1 for ch in text)


# --- loading --------------------------------------------------------------------------------------


def load_city_pack(pack_dir: Path, schema_path: Path) -> CityPack:
    """Reads, validates and indexes a city pack directory (city.json + geography.geojson).

    Raises CityPackError listing every problem found, each prefixed with the field's path.
    """
    pack_dir = Path(pack_dir)
    raw = _read_json(pack_dir / CITY_FILE)
    geography = _read_json(pack_dir / GEOGRAPHY_FILE)
    schema = _read_json(Path(schema_path))
    problems = _schema_problems(raw, geography, schema)
    if not problems:
        problems = _SemanticCheck(raw, geography).run()
    if problems:
        header = f"invalid city pack {pack_dir.name!r}: {len(problems)} problem(s)"
        raise CityPackError("\n".join([header, *(f"- {p}" for p in problems)]), problems)
    return _build(raw, geography)


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise CityPackError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise CityPackError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _path(parts: Iterator[Any] | Sequence[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _schema_problems(raw: Any, geography: Any, schema: Mapping[str, Any]) -> list[str]:
    # Imported here: jsonschema is the slowest import of the loader and only loading needs it.
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

    problems: list[str] = []
    errors = sorted(Draft202012Validator(schema).iter_errors(raw), key=_error_order)
    for error in errors[:_MAX_SCHEMA_PROBLEMS]:
        message = error.message if len(error.message) <= 240 else error.message[:237] + "..."
        problems.append(f"{_path(error.absolute_path)}: {message}")
    if len(errors) > _MAX_SCHEMA_PROBLEMS:
        problems.append(f"(and {len(errors) - _MAX_SCHEMA_PROBLEMS} more schema problems)")
    problems.extend(_geography_shape_problems(geography))
    return problems


def _geography_shape_problems(geography: Any) -> list[str]:
    """The `#/$defs/geography` rules of the schema, in plain Python.

    jsonschema needs ~200 ms for a thousand block polygons, this ~5 ms; tests hold the two to the
    same verdicts, so the schema stays the documentation a partner city validates against.
    """
    problems: list[str] = []

    def problem(path: str, message: str) -> None:
        problems.append(f"{GEOGRAPHY_FILE} {path}: {message}")

    if not isinstance(geography, dict) or geography.get("type") != "FeatureCollection":
        problem("(root)", "must be a GeoJSON FeatureCollection")
        return problems
    features = geography.get("features")
    if not isinstance(features, list) or not features:
        problem("features", "must be a non-empty array of block features")
        return problems
    for i, feature in enumerate(features):
        if len(problems) >= _MAX_SCHEMA_PROBLEMS:
            problems.append(f"{GEOGRAPHY_FILE} (stopped after {_MAX_SCHEMA_PROBLEMS} problems)")
            break
        path = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problem(path, "must be a GeoJSON Feature")
            continue
        geometry_problem = _polygon_shape_problem(feature.get("geometry"))
        if geometry_problem:
            problem(f"{path}.geometry{geometry_problem[0]}", geometry_problem[1])
        props = feature.get("properties")
        if not isinstance(props, dict):
            problem(f"{path}.properties", "must be an object")
            continue
        missing = [key for key in _BLOCK_PROPERTIES if key not in props]
        extra = [key for key in props if key not in _BLOCK_PROPERTIES]
        if missing:
            problem(f"{path}.properties", f"missing {', '.join(missing)}")
            continue
        if extra:
            problem(f"{path}.properties", f"unexpected {', '.join(extra)}")
        if not _is_id(props["block_id"]):
            problem(
                f"{path}.properties.block_id", f"{props['block_id']!r} is not an id (letters, digits, - or _)"
            )
        if not isinstance(props["name"], str) or not 1 <= len(props["name"]) <= 80:
            problem(f"{path}.properties.name", "must be a name of 1 to 80 characters")
        if not isinstance(props["quadrant_id"], str):
            problem(f"{path}.properties.quadrant_id", "must be a string")
        if not _is_int(props["population"]) or props["population"] < 0:
            problem(f"{path}.properties.population", "must be a whole number, 0 or more")
        sirens = props["sirens"]
        if not isinstance(sirens, list):
            problem(f"{path}.properties.sirens", "must be an array")
            continue
        for j, siren in enumerate(sirens):
            siren_path = f"{path}.properties.sirens[{j}]"
            if not isinstance(siren, dict) or set(siren) != {"siren_id", "lat", "lon"}:
                problem(siren_path, "must be an object with exactly siren_id, lat and lon")
            elif not _is_id(siren["siren_id"]):
                problem(f"{siren_path}.siren_id", f"{siren['siren_id']!r} is not an id")
            elif not (_is_number(siren["lat"]) and -90 <= siren["lat"] <= 90):
                problem(f"{siren_path}.lat", "must be a latitude in degrees")
            elif not (_is_number(siren["lon"]) and -180 <= siren["lon"] <= 180):
                problem(f"{siren_path}.lon", "must be a longitude in degrees")
    return problems


_BLOCK_PROPERTIES = ("block_id", "name", "quadrant_id", "population", "sirens")
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _is_id(value: Any) -> bool:
    return (
        isinstance(value, str) and 1 <= len(value) <= 31 and value[0] not in "_-" and set(value) <= _ID_CHARS
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _polygon_shape_problem(geometry: Any) -> tuple[str, str] | None:
    """(sub-path, message) of the first way `geometry` is not a GeoJSON Polygon, or None."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        return "", "must be a GeoJSON Polygon"
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        return ".coordinates", "must be a non-empty array of rings"
    for r, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            return f".coordinates[{r}]", "a ring needs at least 4 positions"
        for k, position in enumerate(ring):
            if (
                not isinstance(position, list)
                or not 2 <= len(position) <= 3
                or not all(_is_number(v) for v in position)
                or not -180 <= position[0] <= 180
                or not -90 <= position[1] <= 90
            ):
                return f".coordinates[{r}][{k}]", "must be a [lon, lat] position in degrees"
    return None


def _error_order(error: Any) -> list[tuple[int, Any]]:
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path]


class _SemanticCheck:
    """The rules JSON Schema cannot say: references, uniqueness, placeholders, silent routing, geometry."""

    def __init__(self, raw: Mapping[str, Any], geography: Mapping[str, Any]) -> None:
        self.raw = raw
        self.geography = geography
        self.problems: list[str] = []
        self.locale: str = raw["locale"]
        self.locales: list[str] = list(raw["locales"])

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def run(self) -> list[str]:
        self.check_locales()
        for code, alert_type in self.raw["alert_types"].items():
            self.check_alert_type(f"alert_types.{code}", alert_type)
        self.check_template_text("sender_sms", self.raw["sender_sms"])
        for key, allowed in MESSAGE_TEXTS.items():
            if key in self.raw["texts"]:
                self.check_template_text(f"texts.{key}", self.raw["texts"][key], allowed=allowed)
            else:
                self.problem("texts", f"missing {key} (Vigía sends it)")
        quadrant_ids = self.check_quadrants()
        self.check_units(quadrant_ids)
        self.check_unique("perception_questions", self.raw["perception_questions"], "question_id")
        for i, question in enumerate(self.raw["perception_questions"]):
            path = f"perception_questions[{i}]"
            self.check_locale_text(f"{path}.text", question["text"])
            low, high = question["scale"]
            if low >= high:
                self.problem(f"{path}.scale", f"the scale must go from low to high, got [{low}, {high}]")
        self.check_unique("referral_directory", self.raw["referral_directory"], "referral_id")
        for i, referral in enumerate(self.raw["referral_directory"]):
            if "notes" in referral:
                self.check_locale_text(f"referral_directory[{i}].notes", referral["notes"])
        self.check_ring_closed("service_area.coordinates", self.raw["service_area"]["coordinates"])
        self.check_geography(quadrant_ids)
        return self.problems

    def check_locales(self) -> None:
        if self.locale not in self.locales:
            self.problem("locale", f"the default locale {self.locale} must be listed in locales")
        if len(set(self.locales)) != len(self.locales):
            self.problem("locales", "a locale is listed twice")
        try:
            ZoneInfo(self.raw["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            self.problem("time_zone", f"unknown IANA time zone {self.raw['time_zone']!r}")

    def check_locale_text(self, path: str, texts: Mapping[str, str], *, every_locale: bool = False) -> None:
        for locale in texts:
            if locale not in self.locales:
                self.problem(f"{path}.{locale}", f"locale {locale} is not in locales {self.locales}")
        required = self.locales if every_locale else [self.locale]
        for locale in required:
            if locale not in texts:
                self.problem(path, f"missing the {locale} text")

    def check_template_text(
        self, path: str, texts: Mapping[str, str], *, allowed: frozenset[str] = PLACEHOLDERS
    ) -> list[str]:
        """Checks locales and placeholders; returns the placeholders used in any locale."""
        self.check_locale_text(path, texts)
        used: list[str] = []
        for locale, text in texts.items():
            try:
                names = template_placeholders(text)
            except ValueError as exc:
                self.problem(f"{path}.{locale}", f"malformed template: {exc}")
                continue
            for name in names:
                if name not in allowed:
                    known = ", ".join(f"{{{p}}}" for p in sorted(allowed)) or "none"
                    self.problem(f"{path}.{locale}", f"unknown placeholder {{{name}}} (known: {known})")
            used.extend(names)
        return used

    def check_alert_type(self, path: str, alert_type: Mapping[str, Any]) -> None:
        self.check_locale_text(f"{path}.labels", alert_type["labels"], every_locale=True)
        silent = alert_type["silent"]
        has_siren_step = False
        for i, step in enumerate(alert_type["protocol"]):
            step_path = f"{path}.protocol[{i}]"
            target = step["target"]
            self.check_step(step_path, step)
            has_siren_step = has_siren_step or target == "sirens"
            if target in DISPATCH_LISTS and not self.raw["dispatch"][target]:
                self.problem(f"dispatch.{target}", f"{step_path} notifies {target} but the list is empty")
            if target == "provincial_police" and "provincial_cad" not in self.raw["dispatch"]:
                self.problem("dispatch.provincial_cad", f"{step_path} notifies provincial_police: give a CAD")
            if silent:
                self.check_silent_step(step_path, step)
        if alert_type["siren"] is not None and not has_siren_step:
            self.problem(f"{path}.siren", "a siren signal is set but no protocol step targets sirens")
        if has_siren_step and alert_type["siren"] is None and not silent:
            self.problem(f"{path}.siren", "a protocol step targets sirens: give the siren signal")
        if silent:
            if alert_type["siren"] is not None:
                self.problem(f"{path}.siren", "a silent alert type cannot sound sirens; set it to null")
            if not any(step["target"] == "response_team" for step in alert_type["protocol"]):
                self.problem(f"{path}.protocol", "a silent alert type needs a response_team step")

    def check_step(self, path: str, step: Mapping[str, Any]) -> None:
        target = step["target"]
        allowed = CHANNELS_BY_TARGET[target]
        channel = step.get("channel", allowed[0])
        if channel not in allowed:
            self.problem(f"{path}.channel", f"{target} is reached by {' or '.join(allowed)}, not {channel}")
        template = step.get("template")
        if target in TEXTLESS_TARGETS:
            if template:
                self.problem(f"{path}.template", f"a {target} step carries no text; remove the template")
        elif template is None:
            if target != "sender_confirmation":  # which falls back to sender_sms
                self.problem(f"{path}.template", f"a {target} step needs a template")
        else:
            used = self.check_template_text(f"{path}.template", template)
            if "sender_name" in used and not step["disclose_sender"] and target != "sender_confirmation":
                self.problem(f"{path}.template", "uses {sender_name} but disclose_sender is false")
        if step.get("scope") == "Private" and not step.get("addresses"):
            self.problem(f"{path}.addresses", "CAP scope Private needs at least one address")
        if ("scope" in step or "addresses" in step) and target != "provincial_police":
            self.problem(f"{path}.scope", "scope and addresses apply only to provincial_police (CAP)")

    def check_silent_step(self, path: str, step: Mapping[str, Any]) -> None:
        target = step["target"]
        if target in SILENT_FORBIDDEN_TARGETS:
            self.problem(f"{path}.target", f"a silent alert type cannot notify {target}")
        elif target == "provincial_police" and not (step.get("scope") == "Private" and step.get("addresses")):
            self.problem(
                f"{path}.scope",
                "a silent alert type may reach provincial_police only with scope Private and addresses",
            )

    def check_unique(self, path: str, items: Sequence[Mapping[str, Any]], key: str) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = item[key]
            if value in seen:
                self.problem(f"{path}[{i}].{key}", f"duplicate {key} {value}")
            seen.add(value)
        return seen

    def check_quadrants(self) -> set[str]:
        quadrants = self.raw["quadrants"]
        ids = self.check_unique("quadrants", quadrants, "quadrant_id")
        for i, quadrant in enumerate(quadrants):
            self.check_ring_closed(f"quadrants[{i}].polygon.coordinates", quadrant["polygon"]["coordinates"])
        total = sum(q["population"] for q in quadrants)
        if total != self.raw["population"]:
            self.problem(
                "quadrants",
                f"quadrant populations add up to {total}, not the city's population {self.raw['population']}",
            )
        return ids

    def check_units(self, quadrant_ids: set[str]) -> None:
        units = self.raw["units"]
        self.check_unique("units", units, "unit_id")
        for i, unit in enumerate(units):
            if unit["quadrant_id"] not in quadrant_ids:
                self.problem(f"units[{i}].quadrant_id", f"unknown quadrant {unit['quadrant_id']}")
            for j, shift in enumerate(unit["shifts"]):
                if shift["start"] == shift["end"]:
                    self.problem(f"units[{i}].shifts[{j}]", "a shift must not start and end at the same time")

    def check_ring_closed(self, path: str, rings: Sequence[Sequence[Sequence[float]]]) -> None:
        for r, ring in enumerate(rings):
            if list(ring[0]) != list(ring[-1]):
                self.problem(f"{path}[{r}]", "a GeoJSON ring must end where it starts")

    def check_geography(self, quadrant_ids: set[str]) -> None:
        prefix = f"{GEOGRAPHY_FILE} features"
        block_ids: set[str] = set()
        siren_ids: set[str] = set()
        quadrants_with_blocks: set[str] = set()
        for i, feature in enumerate(self.geography["features"]):
            props = feature["properties"]
            path = f"{prefix}[{i}]"
            block_id = props["block_id"]
            if block_id in block_ids:
                self.problem(f"{path}.properties.block_id", f"duplicate block_id {block_id}")
            block_ids.add(block_id)
            if props["quadrant_id"] not in quadrant_ids:
                self.problem(f"{path}.properties.quadrant_id", f"unknown quadrant {props['quadrant_id']}")
            quadrants_with_blocks.add(props["quadrant_id"])
            rings = feature["geometry"]["coordinates"]
            self.check_ring_closed(f"{path}.geometry.coordinates", rings)
            for j, siren in enumerate(props["sirens"]):
                siren_path = f"{path}.properties.sirens[{j}]"
                if siren["siren_id"] in siren_ids:
                    self.problem(f"{siren_path}.siren_id", f"duplicate siren_id {siren['siren_id']}")
                siren_ids.add(siren["siren_id"])
                if not point_in_ring(siren["lon"], siren["lat"], rings[0]):
                    self.problem(siren_path, f"siren {siren['siren_id']} lies outside block {block_id}")
        for i, quadrant in enumerate(self.raw["quadrants"]):
            if quadrant["quadrant_id"] not in quadrants_with_blocks:
                self.problem(
                    f"quadrants[{i}]", f"no block of {GEOGRAPHY_FILE} is in {quadrant['quadrant_id']}"
                )


# --- building -------------------------------------------------------------------------------------


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _locale_map(texts: Mapping[str, str], locales: Sequence[str]) -> Mapping[str, str]:
    """Every pack locale, default first; a missing translation falls back to the default locale."""
    default = texts[locales[0]]
    return MappingProxyType({locale: texts.get(locale, default) for locale in locales})


def _build(raw: Mapping[str, Any], geography: Mapping[str, Any]) -> CityPack:
    # Default locale first, so fallbacks and `next(iter(...))` pick it.
    locales = (raw["locale"], *(loc for loc in raw["locales"] if loc != raw["locale"]))
    s = raw["settings"]
    texts = {key: _locale_map(raw["texts"][key], locales) for key in MESSAGE_TEXTS}
    settings = CitySettings(
        alert_rate_limit=RateLimit(**s["alert_rate_limit"]),
        cancel_window_s=s["cancel_window_s"],
        response_target_s=s["response_target_s"],
        false_alarm_policy=FalseAlarmPolicy(
            **s["false_alarm_policy"], reason_text=texts["automatic_suspension_reason"][locales[0]]
        ),
        small_cell_threshold=s["small_cell_threshold"],
        hotspots=HotspotSettings(**s["hotspots"]),
        patrol=PatrolSettings(**s["patrol"]),
        helpline=s["helpline"],
        silent_alert_rate_limit=RateLimit(**s["silent_alert_rate_limit"])
        if "silent_alert_rate_limit" in s
        else DEFAULT_SILENT_RATE_LIMIT,
        silent_ack_target_s=s.get("silent_ack_target_s", 120),
    )
    sender_sms = _locale_map(raw["sender_sms"], locales)

    def step(data: Mapping[str, Any]) -> ProtocolStep:
        target = data["target"]
        if target in TEXTLESS_TARGETS:
            template: Mapping[str, str] = MappingProxyType({})
        elif "template" in data:
            template = _locale_map(data["template"], locales)
        else:
            template = sender_sms
        return ProtocolStep(
            target=target,
            channel=data.get("channel", CHANNELS_BY_TARGET[target][0]),
            template=template,
            disclose_sender=data["disclose_sender"],
            delay_s=data["delay_s"],
            scope=data.get("scope"),
            addresses=tuple(data.get("addresses", ())),
        )

    alert_types = {
        code: AlertType(
            code=code,
            labels=_locale_map(data["labels"], locales),
            silent=data["silent"],
            priority=data["priority"],
            severity_weight=float(data["severity_weight"]),
            iccs=data["iccs"],
            cap=CapProfile(**data["cap"]),
            siren=SirenSignal(**data["siren"]) if data["siren"] is not None else None,
            protocol=tuple(step(s) for s in data["protocol"]),
        )
        for code, data in raw["alert_types"].items()
    }
    quadrants = {
        q["quadrant_id"]: Quadrant(
            quadrant_id=q["quadrant_id"],
            name=q["name"],
            population=q["population"],
            polygon=Polygon.from_geojson(q["polygon"]),
        )
        for q in raw["quadrants"]
    }
    blocks: dict[str, Block] = {}
    sirens: dict[str, Siren] = {}
    for feature in geography["features"]:
        props = feature["properties"]
        block_id = props["block_id"]
        polygon = Polygon.from_geojson(feature["geometry"])
        block_sirens = tuple(Siren(s["siren_id"], block_id, s["lat"], s["lon"]) for s in props["sirens"])
        sirens.update((s.siren_id, s) for s in block_sirens)
        blocks[block_id] = Block(
            block_id=block_id,
            name=props["name"],
            quadrant_id=props["quadrant_id"],
            population=props["population"],
            polygon=polygon,
            centroid=polygon_centroid(polygon),
            sirens=block_sirens,
        )
    units = {
        u["unit_id"]: PoliceUnit(
            unit_id=u["unit_id"],
            name=u["name"],
            phone=u["phone"],
            quadrant_id=u["quadrant_id"],
            shifts=tuple(Shift(_hhmm(sh["start"]), _hhmm(sh["end"])) for sh in u["shifts"]),
        )
        for u in raw["units"]
    }
    d = raw["dispatch"]
    cad = d.get("provincial_cad")
    dispatch = Dispatch(
        community_police=tuple(d["community_police"]),
        medical=tuple(d["medical"]),
        fire=tuple(d["fire"]),
        response_team=tuple(d["response_team"]),
        provincial_cad=(
            ProvincialCad(cad["url"], cad["sender"], tuple(cad.get("gender_violence_addresses", ())))
            if cad
            else None
        ),
    )
    questions = {
        q["question_id"]: PerceptionQuestion(
            question_id=q["question_id"],
            text=_locale_map(q["text"], locales),
            scale=(q["scale"][0], q["scale"][1]),
        )
        for q in raw["perception_questions"]
    }
    referrals = tuple(
        Referral(
            referral_id=r["referral_id"],
            name=r["name"],
            kind=r["kind"],
            scope=r["scope"],
            phone=r["phone"],
            hours=r.get("hours"),
            address=r.get("address"),
            notes=_locale_map(r["notes"], locales) if "notes" in r else MappingProxyType({}),
        )
        for r in raw["referral_directory"]
    )
    return CityPack(
        city_id=raw["city_id"],
        name=raw["name"],
        time_zone=raw["time_zone"],
        locale=raw["locale"],
        locales=locales,
        country_code=raw["country_code"],
        population=raw["population"],
        settings=settings,
        alert_types=MappingProxyType(alert_types),
        quadrants=MappingProxyType(quadrants),
        blocks=MappingProxyType(blocks),
        sirens=MappingProxyType(sirens),
        units=MappingProxyType(units),
        dispatch=dispatch,
        perception_questions=MappingProxyType(questions),
        referral_directory=referrals,
        sender_sms=sender_sms,
        texts=MappingProxyType(texts),
        service_area=Polygon.from_geojson(raw["service_area"]),
        raw=raw,
        raw_geography=geography,
        _block_index=GridIndex([(block.polygon, block) for block in blocks.values()]),
    )
