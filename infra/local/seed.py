"""Loads the demo city into a stack: geography, synthetic residents and one sign-in per role."""

from __future__ import annotations

import os
from typing import Any

from vigia import clock, runtime, settings
from vigia.adapters.aws import client
from vigia.adapters.dynamodb.geography import GeographyRecord
from vigia.residents.registration import APPROVED, Resident

FULL_SCALE_RESIDENTS = 16_350
DEMO_ROLES = (
    "operator",
    "police",
    "response_team",
    "analyst",
    "admin",
    "citizen",
    "sat_team",
    "sat_coordinator",
)
DEMO_PASSWORD = "Vigia-demo-2026"


def load_geography() -> int:
    """Blocks, quadrants and siren units of the city pack into the Geography table; returns items written."""
    pack = runtime.city_pack()
    written = 0
    with GeographyRecord.batch_write() as batch:
        for quadrant in pack.quadrants.values():
            batch.save(
                GeographyRecord(
                    f"QUADRANT#{quadrant.quadrant_id}",
                    "QUADRANT",
                    name=quadrant.name,
                    population=quadrant.population,
                )
            )
            written += 1
        for block in pack.blocks.values():
            lat, lon = block.centroid
            batch.save(
                GeographyRecord(
                    f"BLOCK#{block.block_id}",
                    "BLOCK",
                    name=block.name,
                    quadrant_id=block.quadrant_id,
                    population=block.population,
                    lat=lat,
                    lon=lon,
                )
            )
            written += 1
            for siren in block.sirens:
                batch.save(
                    GeographyRecord(
                        f"BLOCK#{block.block_id}", f"SIREN#{siren.siren_id}", lat=siren.lat, lon=siren.lon
                    )
                )
                written += 1
    return written


def load_residents(count: int, seed: int = 42) -> list[Resident]:
    """Approved synthetic residents on their home blocks (no sign-in: they are the neighbours who get SMS)."""
    from infra.local.demo_residents import generate_residents

    pack = runtime.city_pack()
    now = clock.iso(clock.now())
    residents = [
        Resident(
            user_id=f"seed-{i:05d}",
            full_name=r.full_name,
            national_id=r.national_id,
            phone=r.phone,
            email=r.email,
            address=r.address,
            home_lat=r.home_location[0],
            home_lon=r.home_location[1],
            locale=pack.locale,
            status=APPROVED,
            created_at=now,
            block_id=r.block_id,
        )
        for i, r in enumerate(generate_residents(pack, count, seed))
    ]
    runtime.residents().put_seeded(residents)
    return residents


def create_demo_users(home_block_id: str | None) -> dict[str, dict[str, Any]]:
    """One Cognito user per role; the citizen is also an approved resident of `home_block_id`."""
    from infra.local.demo_residents import demography

    pack = runtime.city_pack()
    people = demography(pack.country_code)  # numbers and ids of the city's country
    idp = client("cognito-idp")
    pool = settings.get().user_pool_id
    users: dict[str, dict[str, Any]] = {}
    for n, role in enumerate(DEMO_ROLES):
        email = f"{role.replace('_', '-')}@demo.vigia.local"
        phone = people.demo_user_phone.format(n=n)
        user_id = runtime.identity().create_user(email, DEMO_PASSWORD, phone)
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
        users[role] = {"username": email, "password": DEMO_PASSWORD, "phone": phone, "user_id": user_id}
    demo_unit = next(iter(pack.units), None)  # the demo police officer staffs the first car (GC-01)
    if demo_unit is not None:
        runtime.incidents().seed_crew(demo_unit, [users["police"]["user_id"]])
        users["police"]["unit_id"] = demo_unit
    if home_block_id:
        block = pack.blocks[home_block_id]
        lat, lon = block.centroid
        citizen = users["citizen"]
        runtime.residents().put_seeded(
            [
                Resident(
                    user_id=citizen["user_id"],
                    full_name="Demo Vecina",
                    national_id=people.national_id(people.demo_national_id),
                    phone=citizen["phone"],
                    email=citizen["username"],
                    address=f"{block.name} (demo)",
                    home_lat=lat,
                    home_lon=lon,
                    locale=pack.locale,
                    status=APPROVED,
                    created_at=clock.iso(clock.now()),
                    block_id=home_block_id,
                )
            ]
        )
        citizen["block_id"] = home_block_id
    return users


def seed_demo(residents: int | None = None, seed: int = 42) -> dict[str, Any]:
    """Everything the local stack needs to be useful: returns City and DemoUsers for outputs.json."""
    if os.environ.get("VIGIA_DEMO_SCALE") == "full":  # `make run VIGIA_DEMO_SCALE=full`
        residents = FULL_SCALE_RESIDENTS
    elif residents is None:
        residents = 3000
    load_geography()
    people = load_residents(residents, seed)
    home_block = people[0].block_id if people else None
    return {
        "City": runtime.city_pack().city_id,
        "CityName": runtime.city_pack().name,  # the banner names it
        "DemoUsers": create_demo_users(home_block),
        "DemoResidents": len(people),
    }
