"""Every city pack under infra/cities/ holds together: alert types routed to the right services, dispatch
numbers of the city's country, every text in every language, and a geography whose references agree."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from infra.tools import generate_city
from vigia.city import CHANNELS_BY_TARGET, CityPack, CityPackError, load_city_pack, template_placeholders
from vigia.city.geo import polygon_centroid
from vigia.dispatch.sms_text import GSM7_PART, gsm7_length, is_gsm7

ROOT = Path(__file__).resolve().parents[2]
CITIES_DIR = ROOT / "infra" / "cities"
SCHEMA_PATH = ROOT / "schemas" / "city.schema.json"
PACK_DIRS = sorted(path for path in CITIES_DIR.iterdir() if (path / "city.json").is_file())

# Who acts on an alert (as against who is only told): a public alert must reach one of them.
SERVICES = frozenset({"community_police", "provincial_police", "medical", "fire", "response_team"})
POLICE = frozenset({"community_police", "provincial_police"})
SHORT_CODE = re.compile(r"^[0-9]{3,6}$")
# The worst case a neighbour SMS is filled with, besides the pack's own longest names.
WORST_HOME_ADDRESS = "Sanchez Fontecilla 12999, depto 1204"
WORST_SENDER = "Maria Alejandra Gonzalez Undurraga"


# --- the checks ------------------------------------------------------------------------------------


def pack_problems(pack_dir: Path) -> list[str]:
    """What is missing or inconsistent in a pack: the loader's refusals, else the cross-checks below."""
    try:
        pack = load_city_pack(pack_dir, SCHEMA_PATH)
    except CityPackError as exc:
        return list(exc.problems)
    return [
        *_identity_problems(pack_dir, pack),
        *_alert_type_problems(pack),
        *_number_problems(pack),
        *_locale_problems(pack),
        *_sms_budget_problems(pack),
        *_geography_problems(pack),
        *_unit_problems(pack),
    ]


def _identity_problems(pack_dir: Path, pack: CityPack) -> Iterator[str]:
    if pack.city_id != pack_dir.name:
        yield f"city_id: {pack.city_id!r} is not the pack's folder name {pack_dir.name!r}"
    region = pack.locale.partition("-")[2]
    if region.isalpha() and region != pack.country_code:
        yield f"locale: {pack.locale} is another country's Spanish than country_code {pack.country_code}"


def _alert_type_problems(pack: CityPack) -> Iterator[str]:
    if not any(alert_type.silent for alert_type in pack.alert_types.values()):
        yield "alert_types: no silent type (gender and intrafamily violence need the silent path)"
    for code, alert_type in pack.alert_types.items():
        path = f"alert_types.{code}"
        targets = alert_type.targets
        if not alert_type.silent and not targets & SERVICES:
            yield f"{path}.protocol: reaches no service ({', '.join(sorted(SERVICES))})"
        if alert_type.cap.category == "Fire" and "fire" not in targets:
            yield f"{path}.protocol: a CAP Fire type must reach the fire brigade (a fire step)"
        if alert_type.cap.category == "Health" and "medical" not in targets:
            yield f"{path}.protocol: a CAP Health type must reach the medical service (a medical step)"
        if alert_type.cap.category == "Security" and not alert_type.silent and not targets & POLICE:
            yield f"{path}.protocol: a CAP Security type must reach the police"
        if "sirens" in targets and not pack.sirens:
            yield f"{path}.protocol: a sirens step, but {pack.city_id} has no siren unit"
        for i, step in enumerate(alert_type.protocol):
            if step.channel not in CHANNELS_BY_TARGET[step.target]:
                yield f"{path}.protocol[{i}].channel: {step.target} is not reached by {step.channel}"


def _number_problems(pack: CityPack) -> Iterator[str]:
    numbers = [("settings.helpline", pack.settings.helpline)]
    numbers += [(f"units.{unit_id}.phone", unit.phone) for unit_id, unit in pack.units.items()]
    for target in ("community_police", "medical", "fire", "response_team"):
        numbers += [(f"dispatch.{target}", number) for number in pack.dispatch.numbers_for(target)]
    for service_id, service in pack.dispatch.services.items():
        numbers += [(f"dispatch.services.{service_id}.numbers", number) for number in service.numbers]
    for referral in pack.referral_directory:
        if not SHORT_CODE.match(referral.phone):
            numbers.append((f"referral_directory.{referral.referral_id}.phone", referral.phone))
    for path, number in numbers:
        try:
            parsed = phonenumbers.parse(number)
        except phonenumbers.NumberParseException:
            yield f"{path}: {number} is not a phone number"
            continue
        if not phonenumbers.is_valid_number(parsed):
            yield f"{path}: {number} is not a valid number"
        elif phonenumbers.region_code_for_number(parsed) != pack.country_code:
            yield f"{path}: {number} is not a {pack.country_code} number"
        elif phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number:
            yield f"{path}: {number} is not written in E.164"
    phones = [unit.phone for unit in pack.units.values()]
    for phone in {p for p in phones if phones.count(p) > 1}:
        yield f"units: {phone} is the phone of more than one unit"


def _locale_texts(pack: CityPack) -> Iterator[tuple[str, dict[str, str]]]:
    """Every text people read, as written in city.json (before the loader's fallback to the default)."""
    raw = pack.raw
    for code, alert_type in raw["alert_types"].items():
        yield f"alert_types.{code}.labels", alert_type["labels"]
        for i, step in enumerate(alert_type["protocol"]):
            if "template" in step:
                yield f"alert_types.{code}.protocol[{i}].template", step["template"]
    yield "sender_sms", raw["sender_sms"]
    for key, text in raw["texts"].items():
        yield f"texts.{key}", text
    for i, question in enumerate(raw["perception_questions"]):
        yield f"perception_questions[{i}].text", question["text"]
    for i, referral in enumerate(raw["referral_directory"]):
        yield f"referral_directory[{i}].name", referral["name"]
        if "notes" in referral:
            yield f"referral_directory[{i}].notes", referral["notes"]


def _locale_problems(pack: CityPack) -> Iterator[str]:
    for path, texts in _locale_texts(pack):
        for locale in pack.locales:
            if not texts.get(locale, "").strip():
                yield f"{path}: missing the {locale} text"
        names = {locale: frozenset(template_placeholders(text)) for locale, text in texts.items()}
        default = names.get(pack.locale, frozenset())
        for locale, used in names.items():
            if used != default:
                yield (
                    f"{path}.{locale}: placeholders {sorted(used)} differ from the {pack.locale} text's "
                    f"{sorted(default)}"
                )


def _sms_budget_problems(pack: CityPack) -> Iterator[str]:
    """Neighbour SMS stay GSM-7 and two parts at worst, filled with the pack's own longest names."""
    block = max(pack.blocks.values(), key=lambda b: len(b.name))
    zone = max((q.name for q in pack.quadrants.values()), key=len)
    for locale in pack.locales:
        place = pack.message(
            "place_at_home", locale, {"place": block.name, "home_address": WORST_HOME_ADDRESS}
        )
        lat, lon = block.centroid
        values = {
            "block_name": block.name,
            "place": place,
            "address": place,
            "map": pack.message("map_link", locale, {"lat": f"{lat:.5f}", "lon": f"{lon:.5f}"}),
            "zone": zone,
            "sender_name": WORST_SENDER,
            "time": "23:59",
            "alert_id": "01JCQ8Z4X6K2M9R7T5V3W1Y0AB",
        }
        for code, alert_type in pack.alert_types.items():
            for step in alert_type.steps_for("neighbours"):
                text = step.render(locale, {**values, "type_label": alert_type.label(locale)})
                if not is_gsm7(text):
                    yield f"alert_types.{code} neighbours {locale}: not GSM-7: {text}"
                elif gsm7_length(text) > 2 * GSM7_PART:
                    septets = gsm7_length(text)
                    yield f"alert_types.{code} neighbours {locale}: {septets} septets, over 2 SMS parts"


def _geography_problems(pack: CityPack) -> Iterator[str]:
    block_population = dict.fromkeys(pack.quadrants, 0)
    for block in pack.blocks.values():
        lat, lon = block.centroid
        quadrant = pack.quadrants[block.quadrant_id]
        block_population[block.quadrant_id] += block.population
        if not quadrant.polygon.contains(lat, lon):
            yield f"geography block {block.block_id}: lies outside its quadrant {block.quadrant_id}"
        if not pack.service_area.contains(lat, lon):
            yield f"geography block {block.block_id}: lies outside the service_area"
        for siren in block.sirens:
            found = pack.block_at(siren.lat, siren.lon)
            if found is None or found.block_id != block.block_id:
                where = found.block_id if found else "no block"
                yield f"geography siren {siren.siren_id}: listed on {block.block_id} but stands on {where}"
    for quadrant_id, quadrant in pack.quadrants.items():
        if block_population[quadrant_id] != quadrant.population:
            yield (
                f"quadrants.{quadrant_id}.population: {quadrant.population}, but its blocks hold "
                f"{block_population[quadrant_id]}"
            )


def _unit_problems(pack: CityPack) -> Iterator[str]:
    # A unit has no position of its own in the pack: it is based in its quadrant, which must lie in the
    # service area and hold blocks to patrol.
    for unit_id, unit in pack.units.items():
        quadrant = pack.quadrants[unit.quadrant_id]
        lat, lon = polygon_centroid(quadrant.polygon)
        if not pack.service_area.contains(lat, lon):
            yield f"units.{unit_id}: its base, quadrant {unit.quadrant_id}, lies outside the service_area"
        if not unit.shifts:
            yield f"units.{unit_id}.shifts: a unit without a shift is never on duty"
    for quadrant_id in pack.quadrants:
        if not pack.units_in(quadrant_id):
            yield f"quadrants.{quadrant_id}: no unit patrols it"


# --- every pack ------------------------------------------------------------------------------------


def test_both_cities_are_found() -> None:
    assert {"godoy-cruz", "penalolen"} <= {path.name for path in PACK_DIRS}


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=lambda path: path.name)
def test_every_pack_holds_together(pack_dir: Path) -> None:
    assert pack_problems(pack_dir) == []


# --- Peñalolén as Peñalolén runs it ---------------------------------------------------------------


@pytest.fixture(scope="module")
def penalolen() -> CityPack:
    return load_city_pack(CITIES_DIR / "penalolen", SCHEMA_PATH)


def test_penalolen_speaks_chilean_spanish_in_santiagos_time(penalolen: CityPack) -> None:
    assert (penalolen.locale, penalolen.country_code, penalolen.time_zone) == (
        "es-CL",
        "CL",
        "America/Santiago",
    )
    assert penalolen.population == 241_599  # Censo 2017 (INE); the source is in the pack's README.md
    assert "Censo 2017" in (CITIES_DIR / "penalolen" / "README.md").read_text(encoding="utf-8")
    assert "13122" in (CITIES_DIR / "penalolen" / "README.md").read_text(encoding="utf-8")
    robbery = penalolen.alert_types["robbery"]
    assert robbery.steps_for("neighbours")[0].text("es-CL").startswith("VIGIA: ROBO en {place}")
    assert "Carabineros" in robbery.steps_for("neighbours")[0].text("es-CL")
    # tuteo, not the Argentine voseo (podés, mantené)
    assert "No puedes enviar alertas" in penalolen.texts["resident_suspended"]["es-CL"]
    assert "Mantén el teléfono cerca" in penalolen.alert_types["medical_emergency"].protocol[-1].text("es-CL")


def test_penalolen_routes_each_alert_to_its_service(penalolen: CityPack) -> None:
    types = penalolen.alert_types
    assert types["fire"].protocol[0].target == "fire"
    assert types["wildfire"].protocol[0].target == "fire"
    assert types["medical_emergency"].protocol[0].target == "medical"
    # crime to Carabineros' CAD as CAP 1.2, first
    for code in ("robbery", "panic"):
        assert types[code].protocol[0].target == "provincial_police"
        assert types[code].protocol[0].channel == "webhook"
    assert penalolen.dispatch.provincial_cad is not None
    assert "carabineros" in penalolen.dispatch.provincial_cad.url
    # the silent path reaches the response team and nobody else
    assert [step.target for step in types["domestic_violence"].protocol] == ["response_team"]
    assert penalolen.dispatch.provincial_cad.gender_violence_addresses


def test_penalolen_sends_wildfires_to_conaf_and_drug_dealing_to_the_pdis_cad(penalolen: CityPack) -> None:
    types, dispatch = penalolen.alert_types, penalolen.dispatch
    # a wildfire reaches Bomberos and CONAF (130), both by SMS to their dispatch desks
    assert {"fire", "service"} <= types["wildfire"].targets
    assert [step.service for step in types["wildfire"].steps_for("service")] == ["conaf"]
    assert dispatch.services["conaf"].emergency_number == "130"
    assert "CONAF" in dispatch.services["conaf"].name["es-CL"]
    # drug dealing reaches the PDI's CAD (134) as CAP 1.2, and no neighbour, siren or unit
    drug = types["drug_dealing"]
    assert [(step.target, step.cad) for step in drug.steps_for("provincial_police")] == [
        ("provincial_police", "pdi")
    ]
    assert drug.targets == {"provincial_police", "sender_confirmation"}
    assert drug.siren is None
    assert not any(step.disclose_sender for step in drug.protocol)
    pdi = dispatch.other_cads["pdi"]
    assert "Investigaciones" in pdi.name["es-CL"]
    assert pdi.url.startswith("https://")


def test_penalolen_refers_to_chiles_lines_and_the_womens_centre(penalolen: CityPack) -> None:
    phones = {referral.phone: referral for referral in penalolen.referral_directory}
    assert phones["1455"].kind == "hotline"
    assert phones["1455"].scope == "national"
    assert phones["149"].kind == "police"  # Fono Familia, Carabineros
    assert {"133", "134"} <= set(phones)
    assert any(
        "Centro de la Mujer" in r.name_in("es-CL") and r.scope == "local"
        for r in penalolen.referral_directory
    )


def test_penalolen_sets_its_own_limits(penalolen: CityPack) -> None:
    settings = penalolen.settings
    assert settings.cancel_window_s == 90
    assert (settings.alert_rate_limit.max_alerts, settings.alert_rate_limit.window_s) == (3, 900)
    assert (settings.patrol.fixed_point_min, settings.patrol.patrol_min) == (15, 45)
    assert len(penalolen.quadrants) == 10
    assert len(penalolen.units) == 10
    assert len(penalolen.sirens) == 540


def test_generator_redraws_penalolens_committed_geography_byte_for_byte(tmp_path: Path) -> None:
    # When the synthetic geography is drawn again with the committed seed
    generate_city.main(["--city", "penalolen", "--seed", "42", "--out", str(tmp_path), "--no-check"])
    # Then both files are the committed ones: the pack is what the generator and the hand edits made
    committed = CITIES_DIR / "penalolen"
    assert (tmp_path / "geography.geojson").read_bytes() == (committed / "geography.geojson").read_bytes()
    written = json.loads((tmp_path / "city.json").read_text(encoding="utf-8"))
    assert written == json.loads((committed / "city.json").read_text(encoding="utf-8"))


# --- a broken copy of a pack fails -----------------------------------------------------------------

Edit = Callable[[dict[str, Any], dict[str, Any]], object]


def _first(pack: dict[str, Any], wanted: Callable[[dict[str, Any]], bool]) -> str:
    return next(code for code, alert_type in pack["alert_types"].items() if wanted(alert_type))


def _step(pack: dict[str, Any], code: str, target: str) -> dict[str, Any]:
    return next(s for s in pack["alert_types"][code]["protocol"] if s["target"] == target)


def _drop_targets(pack: dict[str, Any], code: str, targets: AbstractSet[str]) -> None:
    protocol = pack["alert_types"][code]["protocol"]
    protocol[:] = [step for step in protocol if step["target"] not in targets]


def _is_category(category: str) -> Callable[[dict[str, Any]], bool]:
    return lambda t: t["cap"]["category"] == category and not t["silent"]


def _crime(alert_type: dict[str, Any]) -> bool:
    return _is_category("Security")(alert_type) and "neighbours" in {
        s["target"] for s in alert_type["protocol"]
    }


def _foreign_number(city: dict[str, Any]) -> str:
    return "+56955509999" if city["country_code"] != "CL" else "+5492615559999"


def _move_quadrant_far_away(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    ring = city["quadrants"][0]["polygon"]["coordinates"][0]
    city["quadrants"][0]["polygon"]["coordinates"] = [[[lon + 1.0, lat] for lon, lat in ring]]


def _siren_onto_another_block(_city: dict[str, Any], geo: dict[str, Any]) -> None:
    with_siren = next(f for f in geo["features"] if f["properties"]["sirens"])
    other = next(f for f in geo["features"] if f is not with_siren)
    (lon, lat), (lon2, lat2) = other["geometry"]["coordinates"][0][:2]
    with_siren["properties"]["sirens"][0].update(lat=(lat + lat2) / 2, lon=(lon + lon2) / 2)


def _block_into_the_wrong_quadrant(city: dict[str, Any], geo: dict[str, Any]) -> None:
    feature = geo["features"][0]
    other = next(q for q in city["quadrants"] if q["quadrant_id"] != feature["properties"]["quadrant_id"])
    feature["properties"]["quadrant_id"] = other["quadrant_id"]


def _population_from_one_quadrant_to_another(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    city["quadrants"][0]["population"] -= 1
    city["quadrants"][1]["population"] += 1


def _drop_en_of_a_neighbour_sms(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    del _step(city, _first(city, _crime), "neighbours")["template"]["en"]


def _drop_map_from_a_translation(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    template = _step(city, _first(city, _crime), "neighbours")["template"]
    template["en"] = template["en"].replace(" {map}", "")


def _drop_a_label(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    del city["alert_types"][_first(city, _crime)]["labels"]["en"]


def _drop_an_alert_type_text(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    del city["texts"]["cancellation"]


def _long_neighbour_sms(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    template = _step(city, _first(city, _crime), "neighbours")["template"]
    template[city["locale"]] += " Mantenga la calma y espere instrucciones." * 4


def _remove_every_siren(_city: dict[str, Any], geo: dict[str, Any]) -> None:
    for feature in geo["features"]:
        feature["properties"]["sirens"] = []


def _add_service_step(city: dict[str, Any], *, service: str | None, numbers: list[str] | None = None) -> None:
    """A crime type also texts a service: `service` names it (None: the step names none); with `numbers`,
    the pack lists that service with those numbers."""
    step: dict[str, Any] = {
        "target": "service",
        "template": {locale: "VIGIA {alert_id} en {place}. {map}" for locale in city["locales"]},
        "disclose_sender": False,
        "delay_s": 0,
    }
    if service is not None:
        step["service"] = service
    city["alert_types"][_first(city, _crime)]["protocol"].append(step)
    if numbers is not None:
        name = {locale: "Servicio forestal" for locale in city["locales"]}
        service_entry = {"name": name, "emergency_number": "130", "numbers": numbers}
        city["dispatch"].setdefault("services", {})[service] = service_entry


def _quadrant_without_unit(city: dict[str, Any], _geo: dict[str, Any]) -> None:
    lonely = city["units"][0]["quadrant_id"]
    for unit in city["units"]:
        if unit["quadrant_id"] == lonely:
            unit["quadrant_id"] = next(
                q["quadrant_id"] for q in city["quadrants"] if q["quadrant_id"] != lonely
            )


BROKEN: dict[str, tuple[Edit, str]] = {
    # alert types
    "fire type without the fire brigade": (
        lambda c, g: _drop_targets(c, _first(c, _is_category("Fire")), {"fire"}),
        "must reach the fire brigade",
    ),
    "medical type without the medical service": (
        lambda c, g: _drop_targets(c, _first(c, _is_category("Health")), {"medical"}),
        "must reach the medical service",
    ),
    "crime without the police": (
        lambda c, g: _drop_targets(c, _first(c, _crime), POLICE),
        "must reach the police",
    ),
    "public type that reaches no service": (
        lambda c, g: _drop_targets(c, _first(c, _crime), SERVICES),
        "reaches no service",
    ),
    "no silent type": (
        lambda c, g: [
            c["alert_types"].pop(code) for code, t in list(c["alert_types"].items()) if t["silent"]
        ],
        "no silent type",
    ),
    "sirens step in a city without sirens": (_remove_every_siren, "has no siren unit"),
    "step on a channel its target does not have": (
        lambda c, g: _step(c, _first(c, _crime), "neighbours").update(channel="webhook"),
        "neighbours is reached by sms or push, not webhook",
    ),
    # dispatch numbers
    "empty fire dispatch list": (lambda c, g: c["dispatch"].update(fire=[]), "dispatch.fire"),
    "medical number of another country": (
        lambda c, g: c["dispatch"].update(medical=[_foreign_number(c)]),
        "dispatch.medical: ",
    ),
    "helpline that is no number": (
        lambda c, g: c["settings"].update(helpline="+5600000"),
        "settings.helpline: +5600000 is not a valid number",
    ),
    "two units on one phone": (
        lambda c, g: c["units"][1].update(phone=c["units"][0]["phone"]),
        "is the phone of more than one unit",
    ),
    "provincial_police step without a CAD": (lambda c, g: c["dispatch"].pop("provincial_cad"), "give a CAD"),
    "service step naming no service": (
        lambda c, g: _add_service_step(c, service=None),
        "a service step needs a service",
    ),
    "service step naming an unknown service": (
        lambda c, g: _add_service_step(c, service="bomberos_ficticios"),
        "unknown service bomberos_ficticios",
    ),
    "service with no numbers": (
        lambda c, g: _add_service_step(c, service="forestal", numbers=[]),
        "dispatch.services.forestal.numbers",
    ),
    "service number of another country": (
        lambda c, g: _add_service_step(c, service="forestal", numbers=[_foreign_number(c)]),
        "dispatch.services.forestal.numbers: ",
    ),
    "police step to an unknown CAD": (
        lambda c, g: _step(c, _first(c, _crime), "provincial_police").update(cad="fiscalia"),
        "unknown CAD fiscalia",
    ),
    "CAD named on a step that is not the police's": (
        lambda c, g: _step(c, _first(c, _crime), "neighbours").update(cad="pdi"),
        "only a provincial_police step names a CAD",
    ),
    "silent type sent to another CAD": (
        lambda c, g: next(t for t in c["alert_types"].values() if t["silent"])["protocol"].append(
            {
                "target": "provincial_police",
                "cad": "pdi",
                "scope": "Private",
                "addresses": ["a@b"],
                "template": {c["locale"]: "VIGIA {alert_id}"},
                "disclose_sender": False,
                "delay_s": 0,
            }
        ),
        "a silent alert type reaches the provincial CAD only",
    ),
    "another CAD over plain http": (
        lambda c, g: c["dispatch"].update(
            other_cads={
                "fiscalia": {
                    "name": {c["locale"]: "Fiscalía"},
                    "url": "http://x.example/cap",
                    "sender": "a@b",
                }
            }
        ),
        "dispatch.other_cads.fiscalia.url",
    ),
    # locale strings
    "neighbour SMS without its English": (_drop_en_of_a_neighbour_sms, "missing the en text"),
    "translation that drops the map link": (_drop_map_from_a_translation, "differ from the"),
    "label without its English": (_drop_a_label, "missing the en text"),
    "missing message text": (_drop_an_alert_type_text, "'cancellation' is a required property"),
    "neighbour SMS over two parts": (_long_neighbour_sms, "over 2 SMS parts"),
    "another country's Spanish": (
        # with a Mexican place's code (INEGI's), which the loader takes as written
        lambda c, g: c.update(country_code="MX", official_code={"scheme": "INEGI", "value": "14039"}),
        "is another country's Spanish",
    ),
    "city_id that is not the folder": (
        lambda c, g: c.update(city_id="otra-ciudad"),
        "is not the pack's folder",
    ),
    # geography references
    "block in an unknown quadrant": (
        lambda c, g: g["features"][0]["properties"].update(quadrant_id="Q-99"),
        "unknown quadrant Q-99",
    ),
    "block in the wrong quadrant": (_block_into_the_wrong_quadrant, "lies outside its quadrant"),
    "quadrant populations that disagree with their blocks": (
        _population_from_one_quadrant_to_another,
        "but its blocks hold",
    ),
    "siren on another block": (_siren_onto_another_block, "lies outside block"),
    "unit in an unknown quadrant": (
        lambda c, g: c["units"][0].update(quadrant_id="Q-99"),
        "unknown quadrant Q-99",
    ),
    "unit based outside the service area": (_move_quadrant_far_away, "lies outside the service_area"),
    "quadrant that no unit patrols": (_quadrant_without_unit, "no unit patrols it"),
}


PackFiles = dict[str, tuple[dict[str, Any], dict[str, Any]]]


@pytest.fixture(scope="module")
def pack_files() -> PackFiles:
    return {
        path.name: (
            json.loads((path / "city.json").read_text(encoding="utf-8")),
            json.loads((path / "geography.geojson").read_text(encoding="utf-8")),
        )
        for path in PACK_DIRS
    }


def _edited_copy(pack_dir: Path, edit: Edit, files: PackFiles, tmp_path: Path) -> Path:
    """A copy of the pack in a folder of the same name, its two files written back after `edit`."""
    city, geography = copy.deepcopy(files[pack_dir.name])
    edit(city, geography)
    copied = tmp_path / pack_dir.name
    shutil.copytree(pack_dir, copied)
    (copied / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    (copied / "geography.geojson").write_text(json.dumps(geography, ensure_ascii=False), encoding="utf-8")
    return copied


@pytest.mark.parametrize("what", sorted(BROKEN))
@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=lambda path: path.name)
def test_a_broken_copy_of_a_pack_fails(
    pack_dir: Path, what: str, tmp_path: Path, pack_files: PackFiles
) -> None:
    # Given a copy of the pack with one thing broken
    edit, expected = BROKEN[what]
    broken = _edited_copy(pack_dir, edit, pack_files, tmp_path)
    # When the pack is checked
    problems = pack_problems(broken)
    # Then it fails, naming what is broken
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=lambda path: path.name)
def test_an_unedited_copy_passes(pack_dir: Path, tmp_path: Path, pack_files: PackFiles) -> None:
    # The copying and writing back of the negative tests break nothing by themselves
    assert pack_problems(_edited_copy(pack_dir, lambda city, geography: None, pack_files, tmp_path)) == []
