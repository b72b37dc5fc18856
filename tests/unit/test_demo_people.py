"""The demo's people and past belong to the city being run: Chilean names, RUTs and +56 9 mobiles in
Peñalolén, Argentine ones in Godoy Cruz (unchanged), and a history drawn from the pack's own alert types."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from infra.local import demo_history, seed
from infra.local.demo_residents import generate_residents
from vigia.city import CityPack, load_city_pack
from vigia.residents.national_id import normalise_national_id
from vigia.residents.registration import normalise_phone

ROOT = Path(__file__).resolve().parents[2]
CITIES = ("godoy-cruz", "penalolen")
# sha256 of Godoy Cruz's 3,000 demo residents (seed 42) as generated before the demo knew other countries
GODOY_CRUZ_RESIDENTS_SHA256 = "e3c176c3f712fe062a25754b46c5b044cb0d6e35c52a1c1af12208c2dd306689"


@pytest.fixture(scope="module", params=CITIES)
def pack(request: pytest.FixtureRequest) -> CityPack:
    return load_city_pack(ROOT / "infra" / "cities" / request.param, ROOT / "schemas" / "city.schema.json")


def _rut_is_valid(rut: str) -> bool:
    """Stored as the registration API stores a RUT: body, dash, check digit."""
    body, dash, check = rut[:-2], rut[-2], rut[-1]
    if dash != "-":
        return False
    total, factor = 0, 2
    for digit in reversed(body):
        total += int(digit) * factor
        factor = 2 if factor == 7 else factor + 1
    expected = {11: "0", 10: "K"}.get(11 - total % 11, str(11 - total % 11))
    return body.isdigit() and check == expected


def _is_mobile_of(phone: str, country: str) -> bool:
    number = phonenumbers.parse(phone)
    # libphonenumber cannot tell Chile's +56 9 mobiles from fixed lines (FIXED_LINE_OR_MOBILE); the 9 does
    mobile = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.region_code_for_number(number) == country
        and phonenumbers.number_type(number) in mobile
        and (country != "CL" or phone.startswith("+569"))
    )


def test_demo_residents_have_the_packs_countrys_mobiles_and_ids(pack: CityPack) -> None:
    residents = generate_residents(pack, 3000, seed=42)

    assert all(_is_mobile_of(r.phone, pack.country_code) for r in residents)
    # what the registration API would store for the number, as a resident of this city types it
    assert all(normalise_phone(r.phone, pack.country_code) == r.phone for r in residents)
    # and for the national id: a demo resident holds the id a registration of hers would be refused as taken
    assert all(normalise_national_id(r.national_id, pack.country_code) == r.national_id for r in residents)
    assert len({r.phone for r in residents}) == len({r.national_id for r in residents}) == 3000
    if pack.country_code == "CL":
        assert all(_rut_is_valid(r.national_id) for r in residents)
        assert all(6_000_000 <= int(r.national_id[:-2]) < 26_000_000 for r in residents)
    else:
        assert all(len(r.national_id) == 8 and r.national_id.isdigit() for r in residents)


def test_penalolen_neighbours_are_named_as_in_chile() -> None:
    chile = load_city_pack(ROOT / "infra" / "cities" / "penalolen", ROOT / "schemas" / "city.schema.json")
    residents = generate_residents(chile, 3000, seed=42)

    two_surnames = sum(1 for r in residents if len(r.family_name.split()) >= 2) / len(residents)
    given = Counter(name for r in residents for name in r.given_name.split())
    assert two_surnames > 0.75  # paternal and maternal surname, as Chileans write their names
    assert {"Facundo", "Silvina", "Ezequiel", "Romina"}.isdisjoint(given)  # names of Argentina's 80s and 90s
    assert given["Javiera"] + given["Constanza"] + given["Cristóbal"] > 0
    assert all(", Dpto " not in r.address for r in residents)
    assert any(", depto " in r.address for r in residents)


def test_godoy_cruz_demo_residents_are_unchanged() -> None:
    argentina = load_city_pack(
        ROOT / "infra" / "cities" / "godoy-cruz", ROOT / "schemas" / "city.schema.json"
    )
    residents = generate_residents(argentina, 3000, seed=42)

    text = "\n".join(json.dumps(dataclasses.asdict(r), ensure_ascii=False, sort_keys=True) for r in residents)
    assert hashlib.sha256(text.encode()).hexdigest() == GODOY_CRUZ_RESIDENTS_SHA256


# --- the demo sign-ins (infra/local/seed.py) -----------------------------------------------------------


class _Recorder:
    def __init__(self) -> None:
        self.users: list[tuple[str, str]] = []
        self.residents: list[Any] = []

    def create_user(self, email: str, password: str, phone: str) -> str:
        self.users.append((email, phone))
        return f"user-{len(self.users)}"

    def admin_add_user_to_group(self, **_: Any) -> None:
        pass

    def seed_crew(self, *_: Any) -> None:
        pass

    def put_seeded(self, residents: list[Any]) -> None:
        self.residents.extend(residents)


def test_demo_users_have_numbers_and_ids_of_the_city(pack: CityPack, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(seed.runtime, "city_pack", lambda: pack)
    monkeypatch.setattr(seed.runtime, "identity", lambda: recorder)
    monkeypatch.setattr(seed.runtime, "incidents", lambda: recorder)
    monkeypatch.setattr(seed.runtime, "residents", lambda: recorder)
    monkeypatch.setattr(seed, "client", lambda service: recorder)
    home = next(iter(pack.blocks))

    users = seed.create_demo_users(home)

    phones = [phone for _email, phone in recorder.users]
    assert len(users) == len(seed.DEMO_ROLES) == len(set(phones))
    assert all(_is_mobile_of(phone, pack.country_code) for phone in phones), phones
    neighbours = {r.phone for r in generate_residents(pack, 16_350, seed=42)}
    assert (
        neighbours.isdisjoint(phones) or pack.country_code == "AR"
    )  # Godoy Cruz's numbers stay as they were
    (citizen,) = recorder.residents
    if pack.country_code == "CL":
        assert _rut_is_valid(citizen.national_id)
        assert citizen.phone.startswith("+569")
    else:
        assert (citizen.national_id, citizen.phone) == ("30111222", "+5492615500005")


# --- the demo history -----------------------------------------------------------------------------------


def test_the_history_draws_every_public_type_of_the_pack(pack: CityPack) -> None:
    zone = ZoneInfo(pack.time_zone)
    rng = random.Random(7)
    places = demo_history._Places(pack, rng)
    senders = demo_history._senders(pack, 50)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)

    sent = [
        alert
        for day in range(1, 31)
        for alert in demo_history._alerts_of(
            date(2026, 11, day), pack, places, senders, rng, zone=zone, now=now
        )
    ]

    public = {code for code, alert_type in pack.alert_types.items() if not alert_type.silent}
    assert {alert.type for alert in sent} == public  # Peñalolén's wildfire too; never a silent type here
    if pack.city_id == "godoy-cruz":
        assert demo_history.type_mix(pack) == demo_history.TYPE_MIX  # its history is the one it had


def test_the_ready_banner_names_the_city() -> None:
    from infra.local.run import banner

    outputs = {
        "StartSeconds": 9.5,
        "City": "penalolen",
        "CityName": "Peñalolén",
        "StackName": "vigia-penalolen",
        "ApiUrl": "http://127.0.0.1:3300",
        "AwsEndpointUrl": "http://127.0.0.1:4766",
        "Region": "us-east-1",
        "OutboxPath": "/tmp/x/outbox.jsonl",
    }

    first = banner(outputs).splitlines()[1]

    assert first.startswith(
        "Vigía local stack ready in 9.5 s — city Peñalolén (penalolen), stack vigia-penalolen"
    )


def test_the_history_hands_alerts_over_to_the_citys_own_services(pack: CityPack) -> None:
    medical, police = demo_history.handovers(pack)

    if pack.country_code == "CL":
        assert (medical, police) == ("handed to SAMU 131", "Carabineros take it")
    else:  # Godoy Cruz's notes as they were
        assert (medical, police) == ("handed to SEC 107", "provincial police take it")
