"""The federation agreement as data: what the loader refuses, and which partner an alert roams to."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from vigia.city.loading import load_city_pack
from vigia.federation.agreement import (
    AGREEMENT_FILE,
    AgreementError,
    fill_partner_keys,
    load_agreement,
    load_pack_agreement,
)
from vigia.federation.jws import public_jwk

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas/federation.schema.json"
CITY_SCHEMA = ROOT / "schemas/city.schema.json"
CITIES = ROOT / "infra/cities"

# A square around (-33.0, -70.0): lon -70.1..-69.9, lat -33.1..-32.9.
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-70.1, -33.1], [-69.9, -33.1], [-69.9, -32.9], [-70.1, -32.9], [-70.1, -33.1]]],
}
FAR_SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-60.1, -30.1], [-59.9, -30.1], [-59.9, -29.9], [-60.1, -29.9], [-60.1, -30.1]]],
}


def jwk(kid: str) -> dict[str, Any]:
    return public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), kid)


def document(**partner_changes: Any) -> dict[str, Any]:
    partner = {
        "partner_id": "penalolen",
        "name": "Peñalolén",
        "endpoint": "https://vigia.penalolen.cl/v1/federation/messages",
        "keys": {"keys": [jwk("pen-2026-01")]},
        "jurisdiction": SQUARE,
        "alert_types": ["robbery", "fire"],
    }
    partner.update(partner_changes)
    return {"city_id": "godoy-cruz", "partners": [partner]}


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / AGREEMENT_FILE
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def refusal(tmp_path: Path, doc: dict[str, Any], **kwargs: Any) -> tuple[str, ...]:
    with pytest.raises(AgreementError) as caught:
        load_agreement(write(tmp_path, doc), SCHEMA, **kwargs)
    return caught.value.problems


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert json.loads(SCHEMA.read_text(encoding="utf-8"))["$schema"].endswith("2020-12/schema")


def test_a_valid_agreement_loads_with_its_defaults(tmp_path: Path) -> None:
    agreement = load_agreement(write(tmp_path, document()), SCHEMA)
    (partner,) = agreement.partners
    assert agreement.city_id == "godoy-cruz"
    assert partner.partner_id == "penalolen"
    assert partner.silent_alarms is False
    assert partner.deadline_s == 60
    assert partner.alert_types == frozenset({"robbery", "fire"})
    assert agreement.key("pen-2026-01") is not None
    assert agreement.key("pen-2026-01")[0] is partner


def test_a_private_key_member_is_refused_naming_its_path(tmp_path: Path) -> None:
    doc = document()
    doc["partners"][0]["keys"]["keys"][0]["d"] = "A" * 43
    problems = refusal(tmp_path, doc)
    assert any(p.startswith("partners[0].keys.keys[0]") and "private" in p for p in problems), problems


def test_plain_http_is_refused_except_on_127_0_0_1(tmp_path: Path) -> None:
    problems = refusal(tmp_path, document(endpoint="http://vigia.penalolen.cl/v1/federation/messages"))
    assert any(p.startswith("partners[0].endpoint") for p in problems), problems
    local = document(endpoint="http://127.0.0.1:3100/v1/federation/messages")
    loaded = load_agreement(write(tmp_path, local), SCHEMA, local_pair=True)
    assert loaded.partners[0].endpoint.startswith("http://127.0.0.1")


def test_an_empty_key_set_is_refused_unless_the_partner_is_the_local_pair(tmp_path: Path) -> None:
    problems = refusal(tmp_path, document(keys={"keys": []}))
    assert any(p.startswith("partners[0].keys") and "no public key" in p for p in problems), problems
    local = document(keys={"keys": []}, endpoint="http://127.0.0.1:3100/v1/federation/messages")
    partner = load_agreement(write(tmp_path, local), SCHEMA, local_pair=True).partners[0]
    assert partner.keys == ()


def test_every_problem_is_listed_at_once_with_its_path(tmp_path: Path) -> None:
    doc = document(deadline_s=0, alert_types=[], silent_alarms="yes")
    del doc["partners"][0]["name"]
    problems = refusal(tmp_path, doc)
    for path in (
        "partners[0].deadline_s",
        "partners[0].alert_types",
        "partners[0].silent_alarms",
        "partners[0]",
    ):
        assert any(p.startswith(path + ":") for p in problems), (path, problems)
    assert any("'name' is a required property" in p for p in problems)


def test_a_key_that_is_not_a_point_on_p256_is_refused(tmp_path: Path) -> None:
    doc = document()
    doc["partners"][0]["keys"]["keys"][0]["x"] = "A" * 43
    problems = refusal(tmp_path, doc)
    assert any(p.startswith("partners[0].keys.keys[0]") and "P-256" in p for p in problems), problems


def test_one_kid_for_two_partners_or_one_partner_twice_is_refused(tmp_path: Path) -> None:
    doc = document()
    twin = copy.deepcopy(doc["partners"][0])
    doc["partners"].append(twin)
    problems = refusal(tmp_path, doc)
    assert any(p.startswith("partners[1].partner_id") and "twice" in p for p in problems), problems
    assert any(p.startswith("partners[1].keys.keys[0].kid") for p in problems), problems


def test_the_city_cannot_be_its_own_partner_nor_another_city(tmp_path: Path) -> None:
    problems = refusal(tmp_path, document(partner_id="godoy-cruz"))
    assert any(p.startswith("partners[0].partner_id") for p in problems), problems
    problems = refusal(tmp_path, document(), city_id="penalolen")
    assert any(p.startswith("city_id") for p in problems), problems


def test_alert_types_unknown_to_the_pack_are_refused(tmp_path: Path) -> None:
    problems = refusal(tmp_path, document(alert_types=["robbery", "alien_landing"]), alert_types={"robbery"})
    assert any(p.startswith("partners[0].alert_types[1]") and "alien_landing" in p for p in problems), (
        problems
    )


def test_an_open_ring_is_refused(tmp_path: Path) -> None:
    open_ring = {"type": "Polygon", "coordinates": [[*SQUARE["coordinates"][0][:-1], [-70.0, -33.05]]]}
    problems = refusal(tmp_path, document(jurisdiction=open_ring))
    assert any(p.startswith("partners[0].jurisdiction") and "closed" in p for p in problems), problems


def test_not_json_and_missing_file_are_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / AGREEMENT_FILE
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(AgreementError, match="not valid JSON"):
        load_agreement(path, SCHEMA)
    with pytest.raises(AgreementError, match="not found"):
        load_agreement(tmp_path / "absent.json", SCHEMA)


def test_a_pack_without_a_federation_file_has_no_partners(tmp_path: Path) -> None:
    agreement = load_pack_agreement(tmp_path, SCHEMA, city_id="godoy-cruz")
    assert agreement.partners == ()
    assert agreement.partner_for(-33.0, -70.0, "robbery") is None


def test_partner_for_finds_the_jurisdiction_and_the_type(tmp_path: Path) -> None:
    doc = document()
    doc["partners"].append(
        {
            "partner_id": "concon",
            "name": "Concón",
            "endpoint": "https://vigia.concon.cl/v1/federation/messages",
            "keys": {"keys": [jwk("con-1")]},
            "jurisdiction": {"type": "MultiPolygon", "coordinates": [FAR_SQUARE["coordinates"]]},
            "alert_types": ["robbery", "domestic_violence"],
            "silent_alarms": True,
        }
    )
    agreement = load_agreement(write(tmp_path, doc), SCHEMA)
    assert agreement.partner_for(-33.0, -70.0, "robbery").partner_id == "penalolen"
    assert agreement.partner_for(-30.0, -60.0, "robbery").partner_id == "concon"
    # a type the partner does not take, a point outside every jurisdiction
    assert agreement.partner_for(-33.0, -70.0, "panic") is None
    assert agreement.partner_for(-31.5, -65.0, "robbery") is None


def test_a_silent_alarm_roams_only_where_the_agreement_says_so(tmp_path: Path) -> None:
    doc = document(alert_types=["robbery", "domestic_violence"])
    agreement = load_agreement(write(tmp_path, doc), SCHEMA)
    assert agreement.partner_for(-33.0, -70.0, "domestic_violence", silent=True) is None
    doc["partners"][0]["silent_alarms"] = True
    agreement = load_agreement(write(tmp_path, doc), SCHEMA)
    assert agreement.partner_for(-33.0, -70.0, "domestic_violence", silent=True).partner_id == "penalolen"


def test_fill_partner_keys_gives_the_local_pair_its_keys(tmp_path: Path) -> None:
    local = document(keys={"keys": []}, endpoint="http://127.0.0.1:3100/v1/federation/messages")
    key = jwk("pen-local")
    endpoint = "http://127.0.0.1:3911/v1/federation/messages"
    filled = fill_partner_keys(local, {"penalolen": [key]}, endpoints={"penalolen": endpoint})
    assert local["partners"][0]["keys"] == {"keys": []}  # the committed document is left as it was
    agreement = load_agreement(write(tmp_path, filled), SCHEMA, local_pair=True)
    assert agreement.key("pen-local") is not None
    assert agreement.partners[0].endpoint == endpoint
    with pytest.raises(AgreementError, match="concon"):
        fill_partner_keys(local, {"concon": [key]})


@pytest.mark.parametrize(("city", "partner"), [("godoy-cruz", "penalolen"), ("penalolen", "godoy-cruz")])
def test_the_committed_example_agreements_name_each_other(city: str, partner: str) -> None:
    pack = load_city_pack(CITIES / city, CITY_SCHEMA)
    other = load_city_pack(CITIES / partner, CITY_SCHEMA)
    agreement = load_pack_agreement(
        CITIES / city, SCHEMA, city_id=pack.city_id, alert_types=set(pack.alert_types), local_pair=True
    )
    (entry,) = agreement.partners
    assert entry.partner_id == partner
    assert entry.alert_types <= set(other.alert_types)
    assert not any(pack.alert_types[code].silent for code in entry.alert_types)
    assert entry.silent_alarms is False
    # the jurisdiction is the partner pack's service area: a block of the partner lies in it, none of ours
    a_partner_block = next(iter(other.blocks.values()))
    assert agreement.partner_for(*a_partner_block.centroid, "robbery") is entry
    our_block = next(iter(pack.blocks.values()))
    assert agreement.partner_for(*our_block.centroid, "robbery") is None


@pytest.mark.parametrize("city", ["godoy-cruz", "penalolen"])
def test_a_deployed_stack_leaves_the_local_pairs_partners_out(city: str) -> None:
    # The committed examples name 127.0.0.1 partners; packaged into a cloud stack they must not be live.
    deployed = load_pack_agreement(CITIES / city, SCHEMA, city_id=city)
    assert deployed.partners == ()
    assert deployed.left_out == (("penalolen" if city == "godoy-cruz" else "godoy-cruz"),)
    assert deployed.partner_for(-33.47, -70.56, "robbery") is None
    assert deployed.partner_for(-32.91, -68.86, "robbery") is None
    local = load_pack_agreement(CITIES / city, SCHEMA, city_id=city, local_pair=True)
    assert len(local.partners) == 1
    assert local.left_out == ()


def test_a_real_https_partner_is_kept_by_a_deployed_stack(tmp_path: Path) -> None:
    agreement = load_agreement(write(tmp_path, document()), SCHEMA)
    assert [p.partner_id for p in agreement.partners] == ["penalolen"]
    assert agreement.left_out == ()
