"""What a city lets residents report, read from its pack: types, departments, emergency words, limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vigia.city.model import CityPack


@dataclass(frozen=True)
class Department:
    code: str
    name: Mapping[str, str]
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class ReportType:
    code: str
    labels: Mapping[str, str]
    department: str
    unsafe_place: bool


@dataclass(frozen=True)
class ReportLimit:
    max_reports: int
    window_s: int


@dataclass(frozen=True)
class PublicPolicy:
    """What the public Open311 feed may show of a report."""

    description: bool
    location_decimals: int


@dataclass(frozen=True)
class Catalogue:
    city_id: str
    locale: str  # the city's default
    time_zone: str
    types: Mapping[str, ReportType]
    departments: Mapping[str, Department]
    emergency_words: Mapping[str, tuple[str, ...]]  # locale → words and phrases
    limit: ReportLimit
    public: PublicPolicy
    small_cell_threshold: int
    helpline: str

    @property
    def enabled(self) -> bool:
        return bool(self.types)

    def label(self, code: str, locale: str | None = None) -> str:
        labels = self.types[code].labels
        return labels.get(locale or self.locale) or labels.get(self.locale) or next(iter(labels.values()))

    def department_name(self, code: str, locale: str | None = None) -> str:
        names = self.departments[code].name
        return names.get(locale or self.locale) or names.get(self.locale) or next(iter(names.values()))


# A pack without a `reports` section still takes reports, with these (the pack's schema names each).
_DEFAULT_LIMIT = {"max_reports": 5, "window_s": 3600}
_DEFAULT_PUBLIC = {"description": False, "location_decimals": 3}


def catalogue(pack: CityPack) -> Catalogue:
    raw: Mapping[str, Any] = pack.raw
    reports = raw.get("reports") or {}
    limit = reports.get("rate_limit") or _DEFAULT_LIMIT
    public = reports.get("public") or _DEFAULT_PUBLIC
    return Catalogue(
        city_id=pack.city_id,
        locale=pack.locale,
        time_zone=pack.time_zone,
        types={
            code: ReportType(code, dict(t["labels"]), str(t["department"]), bool(t["unsafe_place"]))
            for code, t in (raw.get("report_types") or {}).items()
        },
        departments={
            code: Department(
                code,
                dict(d["name"]),
                (d.get("contact") or {}).get("email"),
                (d.get("contact") or {}).get("phone"),
            )
            for code, d in (raw.get("departments") or {}).items()
        },
        emergency_words={
            locale: tuple(words) for locale, words in (reports.get("emergency_words") or {}).items()
        },
        limit=ReportLimit(int(limit["max_reports"]), int(limit["window_s"])),
        public=PublicPolicy(bool(public["description"]), int(public["location_decimals"])),
        small_cell_threshold=pack.settings.small_cell_threshold,
        helpline=pack.settings.helpline,
    )
