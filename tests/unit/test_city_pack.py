"""The city pack: the Godoy Cruz demo loads, broken packs are refused with the field named, the generator
and the synthetic residents are reproducible."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from infra.local.demo_residents import FULL_SCALE_COUNT, generate_residents
from infra.tools import generate_city
from vigia.city import (
    CHANNELS_BY_TARGET,
    MESSAGE_TEXTS,
    OPTIONAL_MESSAGE_TEXTS,
    PLACEHOLDERS,
    TARGETS,
    CityPack,
    CityPackError,
    load_city_pack,
    render_template,
)
from vigia.city.checks import geography_shape_problems, semantic_problems
from vigia.dispatch.sms_text import gsm7_length, is_gsm7

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "infra" / "cities" / "godoy-cruz"
SCHEMA_PATH = ROOT / "schemas" / "city.schema.json"
GODOY_CRUZ_TYPES = {
    "robbery",
    "suspicious_activity",
    "medical_emergency",
    "fire",
    "panic",
    "domestic_violence",
}

Mutation = Callable[[dict[str, Any]], object]


@pytest.fixture(scope="module")
def pack() -> CityPack:
    return load_city_pack(PACK_DIR, SCHEMA_PATH)


@pytest.fixture(scope="module")
def demo_files() -> tuple[dict[str, Any], dict[str, Any]]:
    city = json.loads((PACK_DIR / "city.json").read_text(encoding="utf-8"))
    geography = json.loads((PACK_DIR / "geography.geojson").read_text(encoding="utf-8"))
    return city, geography


@pytest.fixture
def pack_with(tmp_path: Path, demo_files: tuple[dict[str, Any], dict[str, Any]]) -> Callable[..., Path]:
    """Writes a copy of the demo pack after applying mutations to city.json and geography.geojson."""

    def write(city_change: Mutation | None = None, geography_change: Mutation | None = None) -> Path:
        city, geography = copy.deepcopy(demo_files[0]), copy.deepcopy(demo_files[1])
        if city_change:
            city_change(city)
        if geography_change:
            geography_change(geography)
        (tmp_path / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
        (tmp_path / "geography.geojson").write_text(json.dumps(geography), encoding="utf-8")
        return tmp_path

    return write


def refusal(pack_dir: Path) -> str:
    with pytest.raises(CityPackError) as caught:
        load_city_pack(pack_dir, SCHEMA_PATH)
    return str(caught.value)


# --- the Godoy Cruz demo pack --------------------------------------------------------------------


def test_demo_pack_loads_and_validates(pack: CityPack) -> None:
    assert pack.city_id == "godoy-cruz"
    assert pack.time_zone == "America/Argentina/Mendoza"
    assert pack.locale == "es-AR"
    assert pack.locales == ("es-AR", "en")
    assert pack.country_code == "AR"
    assert pack.settings.alert_rate_limit.max_alerts == 3
    assert pack.settings.alert_rate_limit.window_s == 600
    assert pack.settings.patrol.fixed_point_min + pack.settings.patrol.patrol_min == 60
    assert 800 <= len(pack.blocks) <= 1000


def test_demo_pack_offers_exactly_the_godoy_cruz_alert_types(pack: CityPack) -> None:
    assert set(pack.alert_types) == GODOY_CRUZ_TYPES


def test_only_domestic_violence_is_silent(pack: CityPack) -> None:
    silent = {code for code, alert_type in pack.alert_types.items() if alert_type.silent}
    assert silent == {"domestic_violence"}


def test_silent_alert_reaches_only_the_response_team(pack: CityPack) -> None:
    violence = pack.alert_types["domestic_violence"]
    assert violence.targets == {"response_team"}
    assert violence.siren is None
    assert violence.severity_weight == 0  # never drawn on a hot-spot map


def test_public_alert_types_follow_the_godoy_cruz_protocols(pack: CityPack) -> None:
    expected = {
        "robbery": {"community_police", "provincial_police", "neighbours", "sirens", "sender_confirmation"},
        "suspicious_activity": {"community_police", "neighbours", "sender_confirmation"},
        "medical_emergency": {"medical", "neighbours", "sender_confirmation"},
        "fire": {"fire", "community_police", "neighbours", "sirens"},
        "panic": {"community_police", "provincial_police", "neighbours", "sirens"},
    }
    for code, targets in expected.items():
        assert pack.alert_types[code].targets == targets, code
    assert pack.alert_types["robbery"].steps_for("neighbours")[0].disclose_sender


def test_demo_pack_has_662_sirens_10_units_and_10_quadrants(pack: CityPack) -> None:
    assert len(pack.sirens) == 662
    assert sum(len(block.sirens) for block in pack.blocks.values()) == 662
    assert len(pack.units) == 10
    assert len(pack.quadrants) == 10
    assert {unit.quadrant_id for unit in pack.units.values()} == set(pack.quadrants)


def test_quadrant_and_block_populations_add_up_to_the_city(pack: CityPack) -> None:
    assert sum(q.population for q in pack.quadrants.values()) == pack.population == 220_000
    for quadrant in pack.quadrants.values():
        in_quadrant = [b for b in pack.blocks.values() if b.quadrant_id == quadrant.quadrant_id]
        assert sum(b.population for b in in_quadrant) == quadrant.population


def test_every_siren_stands_on_its_block(pack: CityPack) -> None:
    for siren in pack.sirens.values():
        assert pack.blocks[siren.block_id].polygon.contains(siren.lat, siren.lon)


def test_every_alert_type_is_labelled_in_every_locale(pack: CityPack) -> None:
    for alert_type in pack.alert_types.values():
        assert set(alert_type.labels) == {"es-AR", "en"}
        assert alert_type.label("fr") == alert_type.labels["es-AR"]  # unknown locale: the city's own


def test_neighbour_sms_fit_two_gsm7_parts_at_worst_once_filled_in(pack: CityPack) -> None:
    # Given the worst case: the longest block and zone names, raised at home with a long address, and the map
    block_name = max((b.name for b in pack.blocks.values()), key=len)
    place = pack.message(
        "place_at_home", "es-AR", {"place": block_name, "home_address": "Joaquin V. Gonzalez 3999"}
    )
    typical = {
        "block_name": block_name,
        "place": place,
        "map": pack.message("map_link", "es-AR", {"lat": "-32.93018", "lon": "-68.83986"}),
        "zone": max((q.name for q in pack.quadrants.values()), key=len),
        "address": place,
        "sender_name": "Maria Alejandra Gonzalez",
        "time": "23:59",
        "alert_id": "01JCQ8Z4X6K2M9R7T5V3W1Y0AB",
    }
    for alert_type in pack.alert_types.values():
        for step in alert_type.steps_for("neighbours"):
            for locale in pack.locales:
                # When the template is filled in
                text = step.render(locale, {**typical, "type_label": alert_type.label(locale)})
                # Then it is GSM-7 and two SMS parts at most (typical texts take one: test_dispatch_protocol)
                assert is_gsm7(text), (alert_type.code, locale, text)
                assert gsm7_length(text) <= 2 * 153, (alert_type.code, locale, gsm7_length(text))


def test_sender_confirmation_without_its_own_template_uses_sender_sms(pack: CityPack) -> None:
    robbery_confirmation = pack.alert_types["robbery"].steps_for("sender_confirmation")[0]
    assert dict(robbery_confirmation.template) == dict(pack.sender_sms)
    medical_confirmation = pack.alert_types["medical_emergency"].steps_for("sender_confirmation")[0]
    assert "emergencias medicas" in medical_confirmation.text("es-AR")


def test_a_step_renders_in_the_residents_locale(pack: CityPack) -> None:
    step = pack.alert_types["suspicious_activity"].steps_for("neighbours")[0]
    values = {"place": "Tomba y Chile", "time": "21:05", "map": "osm.org/?mlat=-32.9&mlon=-68.8"}
    assert step.render("en", values).startswith("VIGIA: suspicious activity near Tomba y Chile, 21:05.")
    assert step.render("es-AR", values).startswith(
        "VIGIA: actividad sospechosa cerca de Tomba y Chile, 21:05."
    )
    with pytest.raises(KeyError):
        render_template("{address} {time}", {"address": "x"})


def test_demo_phone_numbers_are_valid_argentine_e164_numbers(pack: CityPack) -> None:
    numbers = [pack.settings.helpline, *(unit.phone for unit in pack.units.values())]
    for target in ("community_police", "medical", "fire", "response_team"):
        numbers.extend(pack.dispatch.numbers_for(target))
    for number in numbers:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.region_code_for_number(parsed) == pack.country_code
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


def test_a_unit_on_a_night_shift_is_on_duty_after_midnight(pack: CityPack) -> None:
    night_units = [u for u in pack.units.values() if any(s.crosses_midnight for s in u.shifts)]
    assert night_units
    assert night_units[0].on_duty(time(1, 30))
    assert not night_units[0].on_duty(time(5, 0))


def test_referral_directory_lists_the_national_gender_violence_line(pack: CityPack) -> None:
    assert any(r.phone == "144" and r.scope == "national" for r in pack.referral_directory)
    assert 3 <= len(pack.perception_questions) <= 4
    assert "safe_at_night" in pack.perception_questions


# --- the schema ----------------------------------------------------------------------------------


def test_schema_is_valid_json_schema_2020_12() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_schema_and_loader_agree_on_targets_and_channels() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    step = schema["$defs"]["protocol_step"]["properties"]
    assert set(step["target"]["enum"]) == TARGETS
    assert set(step["channel"]["enum"]) == {c for channels in CHANNELS_BY_TARGET.values() for c in channels}
    assert {
        "type_label",
        "block_name",
        "address",
        "place",
        "map",
        "sender_name",
        "time",
        "alert_id",
        "zone",
    } == PLACEHOLDERS
    # every text Vigía sends of its own is required by the schema, and the schema requires no other; the
    # optional ones (a city's own wording of sign-up) are allowed, not required
    assert set(schema["$defs"]["texts"]["required"]) == set(MESSAGE_TEXTS)
    assert set(schema["$defs"]["texts"]["properties"]) == set(MESSAGE_TEXTS) | set(OPTIONAL_MESSAGE_TEXTS)


def geography_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    return Draft202012Validator({"$ref": f"{schema['$id']}#/$defs/geography"}, registry=registry)


def test_demo_geography_satisfies_the_schema(demo_files: tuple[dict[str, Any], dict[str, Any]]) -> None:
    assert list(geography_validator().iter_errors(demo_files[1])) == []


BROKEN_FEATURES: dict[str, Callable[[dict[str, Any]], object]] = {
    "not a polygon": lambda f: f["geometry"].update(type="Point"),
    "short ring": lambda f: f["geometry"].update(coordinates=[[[0, 0], [1, 1], [0, 0]]]),
    "latitude out of range": lambda f: f["geometry"]["coordinates"][0].__setitem__(1, [-68.8, -95.0]),
    "missing population": lambda f: f["properties"].pop("population"),
    "negative population": lambda f: f["properties"].update(population=-3),
    "extra property": lambda f: f["properties"].update(colour="red"),
    "bad block id": lambda f: f["properties"].update(block_id="B 1"),
    "siren without lon": lambda f: f["properties"]["sirens"].append({"siren_id": "S-9999", "lat": -32.9}),
    "siren lat as text": lambda f: f["properties"]["sirens"].append(
        {"siren_id": "S-9", "lat": "x", "lon": 1}
    ),
}


@pytest.mark.parametrize("breakage", sorted(BROKEN_FEATURES))
def test_loader_and_schema_refuse_the_same_broken_geography(
    breakage: str, demo_files: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    # Given a geography with one broken block
    geography = copy.deepcopy(demo_files[1])
    BROKEN_FEATURES[breakage](geography["features"][3])
    # Then both the schema and the loader's fast check refuse it, naming that block
    assert list(geography_validator().iter_errors(geography))
    problems = geography_shape_problems(geography)
    assert problems
    assert all(p.startswith("geography.geojson features[3]") for p in problems), problems


# --- refusals: a broken pack names the field -----------------------------------------------------


def test_unknown_target_is_refused_naming_the_field(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["alert_types"]["robbery"]["protocol"][1]["target"] = "army"

    message = refusal(pack_with(change))
    assert "alert_types.robbery.protocol[1].target" in message
    assert "'army' is not one of" in message


def test_unknown_placeholder_is_refused_naming_the_template(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["alert_types"]["robbery"]["protocol"][2]["template"]["es-AR"] = "ROBO en {foo}"

    message = refusal(pack_with(change))
    assert "alert_types.robbery.protocol[2].template.es-AR: unknown placeholder {foo}" in message


def test_malformed_template_is_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["sender_sms"]["en"] = "Got it at {time:%H}"

    assert "sender_sms.en: malformed template" in refusal(pack_with(change))


def test_silent_type_with_a_neighbours_step_is_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        neighbours = copy.deepcopy(city["alert_types"]["robbery"]["protocol"][2])
        city["alert_types"]["domestic_violence"]["protocol"].append(neighbours)

    message = refusal(pack_with(change))
    assert (
        "alert_types.domestic_violence.protocol[1].target: a silent alert type cannot notify neighbours"
        in message
    )


@pytest.mark.parametrize("target", ["sirens", "sender_confirmation", "community_police", "medical", "fire"])
def test_silent_type_cannot_reach_anyone_who_could_expose_the_victim(
    pack_with: Callable[..., Path], target: str
) -> None:
    def change(city: dict[str, Any]) -> None:
        step: dict[str, Any] = {"target": target, "disclose_sender": False, "delay_s": 0}
        if target != "sirens":
            step["template"] = {"es-AR": "Alerta {alert_id}"}
        city["alert_types"]["domestic_violence"]["protocol"].append(step)

    assert f"a silent alert type cannot notify {target}" in refusal(pack_with(change))


def test_silent_type_may_reach_provincial_police_only_privately(pack_with: Callable[..., Path]) -> None:
    def public_step(city: dict[str, Any]) -> None:
        step = {"target": "provincial_police", "template": {"es-AR": "Alerta {alert_id}"}}
        city["alert_types"]["domestic_violence"]["protocol"].append(
            {**step, "disclose_sender": True, "delay_s": 0}
        )

    def private_step(city: dict[str, Any]) -> None:
        public_step(city)
        city["alert_types"]["domestic_violence"]["protocol"][-1].update(
            scope="Private", addresses=["unidad-genero@policia.mendoza.example"]
        )

    # Given a public CAP step on the silent type: refused
    message = refusal(pack_with(public_step))
    assert "alert_types.domestic_violence.protocol[1].scope" in message
    assert "only with scope Private and addresses" in message
    # Given a Private CAP step with addresses: accepted
    loaded = load_city_pack(pack_with(private_step), SCHEMA_PATH)
    assert loaded.alert_types["domestic_violence"].steps_for("provincial_police")[0].scope == "Private"


def test_silent_type_with_a_siren_signal_is_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["alert_types"]["domestic_violence"]["siren"] = {"pattern": "pulse", "duration_s": 30}

    assert "alert_types.domestic_violence.siren: a silent alert type cannot sound sirens" in refusal(
        pack_with(change)
    )


def test_sender_name_in_a_step_that_hides_the_sender_is_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["alert_types"]["suspicious_activity"]["protocol"][1]["template"]["en"] = "From {sender_name}"

    message = refusal(pack_with(change))
    assert "alert_types.suspicious_activity.protocol[1].template: uses {sender_name}" in message


def test_wrong_channel_for_a_target_is_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["alert_types"]["fire"]["protocol"][3]["channel"] = "sms"  # a siren step

    assert "alert_types.fire.protocol[3].channel: sirens is reached by siren, not sms" in refusal(
        pack_with(change)
    )


def test_unit_in_an_unknown_quadrant_is_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["units"][4]["quadrant_id"] = "Q-99"

    assert "units[4].quadrant_id: unknown quadrant Q-99" in refusal(pack_with(change))


def test_duplicate_unit_ids_are_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["units"][1]["unit_id"] = city["units"][0]["unit_id"]

    assert "units[1].unit_id: duplicate unit_id GC-01" in refusal(pack_with(change))


def test_quadrant_populations_that_do_not_add_up_are_refused(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["population"] += 1

    assert "quadrants: quadrant populations add up to 220000, not the city's population 220001" in refusal(
        pack_with(change)
    )


def test_duplicate_block_ids_and_stray_sirens_are_refused(pack_with: Callable[..., Path]) -> None:
    def change(geography: dict[str, Any]) -> None:
        features = geography["features"]
        features[7]["properties"]["block_id"] = features[6]["properties"]["block_id"]
        features[8]["properties"]["sirens"] = [{"siren_id": "S-9999", "lat": -34.6, "lon": -58.4}]
        features[9]["properties"]["quadrant_id"] = "Q-77"

    message = refusal(pack_with(geography_change=change))
    assert "geography.geojson features[7].properties.block_id: duplicate block_id B-0007" in message
    assert (
        "geography.geojson features[8].properties.sirens[0]: siren S-9999 lies outside block B-0009"
        in message
    )
    assert "geography.geojson features[9].properties.quadrant_id: unknown quadrant Q-77" in message


def test_every_problem_is_reported_at_once(pack_with: Callable[..., Path]) -> None:
    def change(city: dict[str, Any]) -> None:
        city["alert_types"]["fire"]["labels"].pop("en")
        city["time_zone"] = "America/Atlantis"

    with pytest.raises(CityPackError) as caught:
        load_city_pack(pack_with(change), SCHEMA_PATH)
    assert "alert_types.fire.labels: missing the en text" in caught.value.problems
    assert "time_zone: unknown IANA time zone 'America/Atlantis'" in caught.value.problems


def test_missing_or_malformed_files_are_refused(tmp_path: Path) -> None:
    assert "city.json: file not found" in refusal(tmp_path)
    (tmp_path / "city.json").write_text("{ nope", encoding="utf-8")
    assert "not valid JSON (line 1" in refusal(tmp_path)


# --- city.json is written by hand; the generator draws the geography --------------------------------


def test_hand_written_city_json_satisfies_the_schema(
    demo_files: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert [e.message for e in Draft202012Validator(schema).iter_errors(demo_files[0])] == []


def test_hand_written_city_json_passes_the_loaders_checks(
    demo_files: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    assert semantic_problems(*demo_files) == []


def test_generator_redraws_the_committed_geography_byte_for_byte(tmp_path: Path) -> None:
    # When the generator runs with the committed seed
    generate_city.main(["--city", "godoy-cruz", "--seed", "42", "--out", str(tmp_path), "--no-check"])
    # Then geography.geojson is identical to the committed one
    assert (tmp_path / "geography.geojson").read_bytes() == (PACK_DIR / "geography.geojson").read_bytes()
    # And what it draws into city.json (outline, quadrant polygons, populations) is what the pack holds
    written = json.loads((tmp_path / "city.json").read_text(encoding="utf-8"))
    assert written == json.loads((PACK_DIR / "city.json").read_text(encoding="utf-8"))


def test_generator_keeps_what_the_city_wrote_by_hand(tmp_path: Path) -> None:
    # Given a city.json edited by hand: a protocol text, a unit's phone, a quadrant's name, a setting
    city = json.loads((PACK_DIR / "city.json").read_text(encoding="utf-8"))
    robbery_sms = city["alert_types"]["robbery"]["protocol"][0]
    robbery_sms["template"]["es-AR"] = "Robo en {place} a las {time}. Llame al 911."
    city["units"][0]["phone"] = "+5492615559999"
    city["quadrants"][0]["name"] = "Barrio Nuevo"
    city["settings"]["cancel_window_s"] = 90
    (tmp_path / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    # When the geography is drawn again into that folder, with another seed
    generate_city.main(["--city", "godoy-cruz", "--seed", "7", "--out", str(tmp_path), "--no-check"])
    # Then every hand edit is still there, and the pack loads with the new blocks
    pack = load_city_pack(tmp_path, SCHEMA_PATH)
    assert (
        pack.alert_types["robbery"].protocol[0].text("es-AR") == "Robo en {place} a las {time}. Llame al 911."
    )
    assert pack.units["GC-01"].phone == "+5492615559999"
    assert pack.quadrants["Q-01"].name == "Barrio Nuevo"
    assert pack.settings.cancel_window_s == 90
    assert (tmp_path / "geography.geojson").read_bytes() != (PACK_DIR / "geography.geojson").read_bytes()


def test_generator_refuses_a_city_json_without_the_quadrants_it_draws(tmp_path: Path) -> None:
    city = json.loads((PACK_DIR / "city.json").read_text(encoding="utf-8"))
    del city["quadrants"][4]
    (tmp_path / "city.json").write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="Q-05"):
        generate_city.main(["--city", "godoy-cruz", "--seed", "42", "--out", str(tmp_path), "--no-check"])
    assert not (tmp_path / "geography.geojson").exists()


def test_another_seed_draws_another_city_that_still_loads(tmp_path: Path) -> None:
    generate_city.main(["--city", "godoy-cruz", "--seed", "7", "--out", str(tmp_path), "--no-check"])
    assert (tmp_path / "geography.geojson").read_bytes() != (PACK_DIR / "geography.geojson").read_bytes()
    other = load_city_pack(tmp_path, SCHEMA_PATH)
    assert len(other.sirens) == 662
    assert sum(q.population for q in other.quadrants.values()) == 220_000


# --- synthetic residents -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_scale(pack: CityPack) -> list[Any]:
    return generate_residents(pack, FULL_SCALE_COUNT, seed=42)


def test_same_seed_gives_the_same_residents(pack: CityPack) -> None:
    assert generate_residents(pack, 500, seed=3) == generate_residents(pack, 500, seed=3)
    assert generate_residents(pack, 50, seed=3) != generate_residents(pack, 50, seed=4)


def test_demo_residents_are_the_first_of_the_full_scale_population(
    pack: CityPack, full_scale: list[Any]
) -> None:
    assert generate_residents(pack, 3000, seed=42) == full_scale[:3000]


def test_residents_have_unique_ids_phones_and_emails(full_scale: list[Any]) -> None:
    assert len(full_scale) == 16_350
    for attribute in ("resident_id", "national_id", "phone", "email"):
        assert len({getattr(r, attribute) for r in full_scale}) == len(full_scale), attribute
    assert all(len(r.national_id) == 8 and r.national_id.isdigit() for r in full_scale)


def test_every_resident_lives_inside_their_block(pack: CityPack, full_scale: list[Any]) -> None:
    for resident in full_scale:
        block = pack.block_at(*resident.home_location)
        assert block is not None
        assert block.block_id == resident.block_id


def test_resident_phones_are_mendoza_mobiles_in_e164(pack: CityPack, full_scale: list[Any]) -> None:
    for resident in full_scale[:2000]:
        parsed = phonenumbers.parse(resident.phone)
        assert resident.phone.startswith("+549261")
        assert phonenumbers.is_valid_number(parsed), resident.phone
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        assert phonenumbers.region_code_for_number(parsed) == pack.country_code


def test_residents_look_like_neighbours_of_the_city(full_scale: list[Any]) -> None:
    sample = full_scale[:200]
    assert all(r.email.endswith((".com", ".net", ".org")) and "@example." in r.email for r in sample)
    assert all(r.full_name == f"{r.given_name} {r.family_name}" for r in sample)
    assert sum(r.locale == "es-AR" for r in full_scale) > 0.9 * len(full_scale)
