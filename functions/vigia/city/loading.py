"""Loads a city pack from its folder: reads both files, checks them, and builds the CityPack."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vigia.city.checks import schema_problems, semantic_problems
from vigia.city.geo import GridIndex, Polygon, polygon_centroid
from vigia.city.model import (
    CHANNELS_BY_TARGET,
    CITY_FILE,
    DEFAULT_SILENT_RATE_LIMIT,
    GEOGRAPHY_FILE,
    MESSAGE_TEXTS,
    OPTIONAL_MESSAGE_TEXTS,
    TEXTLESS_TARGETS,
    AlertType,
    Block,
    CapProfile,
    CityPack,
    CityPackError,
    CitySettings,
    Dispatch,
    FalseAlarmPolicy,
    HotspotSettings,
    OfficialCode,
    OtherCad,
    PatrolSettings,
    PerceptionQuestion,
    PoliceUnit,
    PopulationSource,
    ProtocolStep,
    ProvincialCad,
    Quadrant,
    RateLimit,
    Referral,
    Service,
    Shift,
    Siren,
    SirenSignal,
)
from vigia.city.undecided import undecided_problems


def load_city_pack(pack_dir: Path, schema_path: Path) -> CityPack:
    """Reads, validates and indexes a city pack directory (city.json + geography.geojson).

    Raises CityPackError listing every problem found, each prefixed with the field's path.
    """
    pack_dir = Path(pack_dir)
    raw = read_json(pack_dir / CITY_FILE)
    geography = read_json(pack_dir / GEOGRAPHY_FILE)
    schema = read_json(Path(schema_path))
    problems = undecided_problems(raw, geography)
    if not problems:
        problems = schema_problems(raw, geography, schema)
    if not problems:
        problems = semantic_problems(raw, geography)
    if problems:
        header = f"invalid city pack {pack_dir.name!r}: {len(problems)} problem(s)"
        raise CityPackError("\n".join([header, *(f"- {p}" for p in problems)]), problems)
    return _build(raw, geography)


def read_json(path: Path, refused: Callable[[str], Exception] = CityPackError) -> Any:
    """A JSON file of a pack's folder (city.json, geography.geojson, federation.json, a schema); `refused`
    is raised with a message naming the file and what is wrong with it."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise refused(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise refused(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


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
    given = [key for key in OPTIONAL_MESSAGE_TEXTS if key in raw["texts"]]
    texts.update((key, _locale_map(raw["texts"][key], locales)) for key in given)
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
            service=data.get("service"),
            cad=data.get("cad"),
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
        services=MappingProxyType(
            {
                service_id: Service(
                    service_id, _locale_map(sv["name"], locales), sv["emergency_number"], tuple(sv["numbers"])
                )
                for service_id, sv in d.get("services", {}).items()
            }
        ),
        other_cads=MappingProxyType(
            {
                cad_id: OtherCad(cad_id, _locale_map(oc["name"], locales), oc["url"], oc["sender"])
                for cad_id, oc in d.get("other_cads", {}).items()
            }
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
            name=_locale_map(r["name"], locales),
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
        official_code=OfficialCode(**raw["official_code"]),
        population_source=PopulationSource(**raw["population_source"]),
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
