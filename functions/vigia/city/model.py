"""The city pack's domain objects: alert types, protocols, blocks, quadrants, units, settings, texts."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from vigia.city.geo import GridIndex, LatLon, Polygon

# A pack is a folder of two files: the city's configuration and its blocks.
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
        "service": ("sms",),  # one of `dispatch.services`, named by the step's `service`
    }
)
TARGETS = frozenset(CHANNELS_BY_TARGET)

# Targets whose recipients are the numbers listed under `dispatch.<target>`.
DISPATCH_LISTS = ("community_police", "medical", "fire", "response_team")

# Steps that carry no text: a siren only sounds.
TEXTLESS_TARGETS = frozenset({"sirens"})

# A silent alert (gender / intrafamily violence) must reach no one who could expose the victim.
SILENT_FORBIDDEN_TARGETS = frozenset(
    {"neighbours", "sirens", "sender_confirmation", "community_police", "medical", "fire", "service"}
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
# Messages a pack may word in its own Spanish; without one, code falls back to Vigía's neutral wording.
OPTIONAL_MESSAGE_TEXTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "registration_code": frozenset({"code"}),  # SMS with the sign-up code
        "registration_attempt": frozenset({"helpline"}),  # SMS to whoever holds details given at sign-up
        # SMS to a resident whose alert abroad the partner city did not confirm in time (docs/roaming.md)
        "roaming_fallback": frozenset({"partner", "type_label", "time"}),
    }
)


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
    service: str | None = None  # which of `dispatch.services` a `service` step texts
    cad: str | None = None  # which of `dispatch.other_cads` a provincial_police step reaches

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
class Service:
    """One of the city's emergency services with a dispatch desk of its own (CONAF's forest-fire desk)."""

    service_id: str
    name: Mapping[str, str] = field(hash=False)  # every pack locale, default first
    emergency_number: str  # the public short number residents know (130)
    numbers: tuple[str, ...]  # E.164 numbers of its dispatch desk, texted by `service` steps


@dataclass(frozen=True)
class OtherCad:
    """A CAD besides the provincial one (the PDI's), reached by provincial_police steps that name it."""

    cad_id: str
    name: Mapping[str, str] = field(hash=False)
    url: str
    sender: str  # CAP <sender>


@dataclass(frozen=True)
class Dispatch:
    community_police: tuple[str, ...]
    medical: tuple[str, ...]
    fire: tuple[str, ...]
    response_team: tuple[str, ...]
    provincial_cad: ProvincialCad | None
    services: Mapping[str, Service] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    other_cads: Mapping[str, OtherCad] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def numbers_for(self, target: str) -> tuple[str, ...]:
        if target not in DISPATCH_LISTS:
            raise ValueError(f"{target} has no dispatch list")
        numbers: tuple[str, ...] = getattr(self, target)
        return numbers

    def cad(self, cad_id: str | None) -> ProvincialCad | OtherCad | None:
        """The CAD a provincial_police step reaches: the provincial one (None), or one of `other_cads`."""
        return self.provincial_cad if cad_id is None else self.other_cads.get(cad_id)


@dataclass(frozen=True)
class PerceptionQuestion:
    question_id: str
    text: Mapping[str, str] = field(hash=False)
    scale: tuple[int, int]


@dataclass(frozen=True)
class Referral:
    referral_id: str
    name: Mapping[str, str] = field(hash=False)  # every pack locale, default first
    kind: str
    scope: str
    phone: str
    hours: str | None = None
    address: str | None = None
    notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def name_in(self, locale: str) -> str:
        """The name in `locale`, or in the pack's default locale if the pack has no such locale."""
        return self.name.get(locale) or next(iter(self.name.values()))


# Official codings of places Vigía knows: scheme → (the country it codes, the shape of a code, in words).
# A scheme not listed here is taken as the city writes it.
OFFICIAL_CODE_SCHEMES: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        # Código Único Territorial (SUBDERE): region, province, comuna
        "CUT": ("CL", r"[0-9]{5}", "5 digits"),
        # INDEC's department code: province (2 digits) and department (3)
        "INDEC": ("AR", r"[0-9]{5}", "5 digits"),
    }
)


@dataclass(frozen=True)
class OfficialCode:
    """The place in its country's official coding (CUT 13122 is Peñalolén), so figures join national ones."""

    scheme: str
    value: str


@dataclass(frozen=True)
class PopulationSource:
    """Where the pack's `population` comes from: a census, or an estimate said to be one."""

    name: str
    year: int
    url: str | None = None


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
    official_code: OfficialCode
    population_source: PopulationSource
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
    texts: Mapping[str, Mapping[str, str]]  # MESSAGE_TEXTS (+ OPTIONAL_ ones) → every locale, default first
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
        if key not in MESSAGE_TEXTS and key not in OPTIONAL_MESSAGE_TEXTS:
            raise KeyError(f"{key} is not one of Vigía's message texts")
        if key not in self.texts:
            raise KeyError(f"the {self.city_id} city pack does not word {key} (see has_message)")
        texts = self.texts[key]
        return render_template(texts.get(locale or "") or texts[self.locale], values)

    def has_message(self, key: str) -> bool:
        """Whether the pack words `key`: always a MESSAGE_TEXTS one; an OPTIONAL_MESSAGE_TEXTS one maybe."""
        return key in self.texts

    def units_in(self, quadrant_id: str) -> tuple[PoliceUnit, ...]:
        return tuple(unit for unit in self.units.values() if unit.quadrant_id == quadrant_id)

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


# --- templates ----------------------------------------------------------------------------------


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
