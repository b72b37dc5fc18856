"""Checks a city pack before it is built: its JSON Schema, its geography's shape, what a schema cannot say."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigia.city.geo import point_in_ring
from vigia.city.model import (
    CHANNELS_BY_TARGET,
    DISPATCH_LISTS,
    GEOGRAPHY_FILE,
    MESSAGE_TEXTS,
    OFFICIAL_CODE_SCHEMES,
    OPTIONAL_MESSAGE_TEXTS,
    PLACEHOLDERS,
    SILENT_FORBIDDEN_TARGETS,
    TEXTLESS_TARGETS,
    template_placeholders,
)

_MAX_SCHEMA_PROBLEMS = 20


def semantic_problems(raw: Mapping[str, Any], geography: Mapping[str, Any]) -> list[str]:
    """The rules JSON Schema cannot say, for a pack that already satisfies the schema."""
    return _SemanticCheck(raw, geography).run()


def _path(parts: Iterator[Any] | Sequence[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def schema_problems(raw: Any, geography: Any, schema: Mapping[str, Any]) -> list[str]:
    # Imported here: jsonschema is the slowest import of the loader and only loading needs it.
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

    problems: list[str] = []
    errors = sorted(Draft202012Validator(schema).iter_errors(raw), key=_error_order)
    for error in errors[:_MAX_SCHEMA_PROBLEMS]:
        message = error.message if len(error.message) <= 240 else error.message[:237] + "..."
        problems.append(f"{_path(error.absolute_path)}: {message}")
    if len(errors) > _MAX_SCHEMA_PROBLEMS:
        problems.append(f"(and {len(errors) - _MAX_SCHEMA_PROBLEMS} more schema problems)")
    problems.extend(geography_shape_problems(geography))
    return problems


def geography_shape_problems(geography: Any) -> list[str]:
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
        for kind in ("services", "other_cads"):
            for key, entry in self.raw["dispatch"].get(kind, {}).items():
                self.check_locale_text(f"dispatch.{kind}.{key}.name", entry["name"])
        for key, allowed in MESSAGE_TEXTS.items():
            if key in self.raw["texts"]:
                self.check_template_text(f"texts.{key}", self.raw["texts"][key], allowed=allowed)
            else:
                self.problem("texts", f"missing {key} (Vigía sends it)")
        for key, allowed in OPTIONAL_MESSAGE_TEXTS.items():
            if key in self.raw["texts"]:
                self.check_template_text(f"texts.{key}", self.raw["texts"][key], allowed=allowed)
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
            self.check_locale_text(f"referral_directory[{i}].name", referral["name"])
            if "notes" in referral:
                self.check_locale_text(f"referral_directory[{i}].notes", referral["notes"])
        self.check_official_code()
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

    def check_official_code(self) -> None:
        """A code of a scheme Vigía knows has that scheme's shape and codes a place of the pack's country."""
        scheme, value = self.raw["official_code"]["scheme"], self.raw["official_code"]["value"]
        if scheme not in OFFICIAL_CODE_SCHEMES:
            return
        country, shape, in_words = OFFICIAL_CODE_SCHEMES[scheme]
        if country != self.raw["country_code"]:
            self.problem(
                "official_code.scheme",
                f"{scheme} codes places in {country}; the pack's country_code is {self.raw['country_code']}",
            )
        if not re.fullmatch(shape, value):
            self.problem("official_code.value", f"a {scheme} code is {in_words}, got {value!r}")

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
            if (
                target == "provincial_police"
                and "cad" not in step
                and "provincial_cad" not in self.raw["dispatch"]
            ):
                self.problem("dispatch.provincial_cad", f"{step_path} notifies provincial_police: give a CAD")
            self.check_step_service_and_cad(step_path, step)
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

    def check_step_service_and_cad(self, path: str, step: Mapping[str, Any]) -> None:
        """A `service` step names one of `dispatch.services`; a `cad` one of `dispatch.other_cads`."""
        target, dispatch = step["target"], self.raw["dispatch"]
        if target == "service" and "service" not in step:
            self.problem(f"{path}.service", "a service step needs a service (one of dispatch.services)")
        if "service" in step:
            if target != "service":
                self.problem(f"{path}.service", "only a service step names a service")
            elif step["service"] not in dispatch.get("services", {}):
                known = ", ".join(sorted(dispatch.get("services", {}))) or "none"
                self.problem(
                    f"{path}.service", f"unknown service {step['service']} (dispatch.services: {known})"
                )
        if "cad" in step:
            if target != "provincial_police":
                self.problem(f"{path}.cad", "only a provincial_police step names a CAD")
            elif step["cad"] not in dispatch.get("other_cads", {}):
                known = ", ".join(sorted(dispatch.get("other_cads", {}))) or "none"
                self.problem(f"{path}.cad", f"unknown CAD {step['cad']} (dispatch.other_cads: {known})")

    def check_silent_step(self, path: str, step: Mapping[str, Any]) -> None:
        target = step["target"]
        if target in SILENT_FORBIDDEN_TARGETS:
            self.problem(f"{path}.target", f"a silent alert type cannot notify {target}")
        elif target == "provincial_police" and not (step.get("scope") == "Private" and step.get("addresses")):
            self.problem(
                f"{path}.scope",
                "a silent alert type may reach provincial_police only with scope Private and addresses",
            )
        if "cad" in step:  # the silent path's police request goes to the provincial CAD's unit only
            self.problem(f"{path}.cad", "a silent alert type reaches the provincial CAD only")

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
