"""Every city's journeys on its own local stack, over HTTP: one test body for each pack under infra/cities/.

This module runs them for Peñalolén, on a stack started here with VIGIA_CITY=penalolen (as
`make run CITY=penalolen` does); test_city_journeys_godoy_cruz.py runs the same tests for Godoy Cruz on the
session's stack. Each module names its pack in CITY_ID (two modules rather than one parametrised, so the
suite's workers (--dist loadfile) can run the two cities side by side). Every expectation comes from the
pack: the resident's mobile as people of its country type it, the numbers each type's protocol reaches, the
response team, the first unit, the patrol's minutes and shifts, the limits and windows, the population, and
every local date and time in the pack's time zone.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import phonenumbers
import pytest
import requests
import xmlschema
from playwright.sync_api import Browser, expect

from infra.local.demo_residents import demography
from tests.browser.console_page import Console
from tests.e2e.conftest import LocalStackProcess, _stop_and_check, launch_local_stack
from tests.support.alert_items import stored_alert, wire
from tests.support.app_strings import app_words
from tests.support.people import fresh_mobile
from vigia import clock
from vigia.city import Block, CityPack, load_city_pack
from vigia.dispatch import signing, sms_text

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CITY_ID = "penalolen"  # the pack this module runs; test_city_journeys_godoy_cruz.py sets its own
CAP_XSD = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))
CAP_NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
PASSWORD = "Segura-2026x"
# Past days in the southern winter, when Santiago (UTC-4) and Mendoza (UTC-3) differ by an hour, none a DST
# change, and none another e2e file writes alerts on (test_indicators_e2e.py uses 2025-06-17).
PATROL_DAY = date(2025, 7, 16)
INDICATORS_DAY = date(2025, 7, 23)


@dataclass(frozen=True)
class City:
    pack: CityPack
    stack: LocalStackProcess


@pytest.fixture(scope="module")
def city(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    """The pack of the module's CITY_ID as the functions load it, and a local stack running it."""
    city_id = request.module.CITY_ID
    pack = load_city_pack(ROOT / "infra/cities" / city_id, ROOT / "schemas/city.schema.json")
    if city_id == "godoy-cruz":  # the template's default CityId: the session's stack
        stack = request.getfixturevalue("local_stack")
        assert stack.outputs["City"] == pack.city_id
        yield City(pack, stack)
        return
    stack = launch_local_stack(tmp_path_factory.mktemp(city_id) / "local", env={"VIGIA_CITY": city_id})
    try:
        assert stack.outputs["City"] == pack.city_id
        yield City(pack, stack)
    finally:
        _stop_and_check(stack)


# ---------------------------------------------------------------- people of the city's country
def local_mobile(pack: CityPack, n: int) -> tuple[str, str]:
    """A mobile of the pack's country outside the demo residents' numbers: (as a resident types it, E.164)."""
    return fresh_mobile(pack.country_code, n)


def applicant(pack: CityPack, block: Block) -> tuple[dict[str, Any], str]:
    """A registration body of a person of the pack's country living on `block`, and her mobile in E.164."""
    people = demography(pack.country_code)
    n = uuid.uuid4().int
    typed, e164 = local_mobile(pack, n)
    family = people.family
    surnames = [family[n % len(family)]] + (
        [family[(n // 7) % len(family)]] if people.two_family_names > 0.5 else []
    )
    lat, lon = block.centroid
    body = {
        "full_name": " ".join([people.given_female[n % len(people.given_female)], *surnames]),
        # above the demo residents' ids, so never one of theirs
        "national_id": people.national_id(people.id_low + people.id_span + n % 9_000_000),
        "phone": typed,
        "email": f"vecina-{n % 10**12:012d}@example.{pack.country_code.lower()}",
        "password": PASSWORD,
        "address": f"{block.name} {100 + n % 900}",
        "home_location": {"lat": lat, "lon": lon},
    }
    return body, e164


def registration_code(stack: LocalStackProcess, phone: str) -> dict[str, Any]:
    def sms() -> dict[str, Any] | None:
        return next(
            (
                m
                for m in reversed(stack.outbox())
                if m.get("recipient") == phone and str(m.get("alert_id", "")).startswith("registration-")
            ),
            None,
        )

    return stack.wait_for(sms, timeout=90)


def register(city: City, block: Block) -> tuple[dict[str, Any], str, str]:
    """Registers and confirms as the app does (the code from the SMS): the body, her E.164 mobile, user id."""
    body, e164 = applicant(city.pack, block)
    started = city.stack.client().post("/v1/registrations", json=body)
    assert started.status_code == 202, started.text
    code = re.findall(r"\b\d{6}\b", registration_code(city.stack, e164)["body"])[0]
    confirmed = city.stack.client().post(
        f"/v1/registrations/{started.json()['registration_id']}/confirm", json={"code": code}
    )
    assert confirmed.status_code == 200, confirmed.text
    return body, e164, str(confirmed.json()["user_id"])


def resident(city: City, block: Block) -> tuple[requests.Session, dict[str, Any], str, str]:
    """A resident of `block`, registered, approved by the operator and signed in."""
    body, e164, user_id = register(city, block)
    approved = city.stack.client("operator").post(f"/v1/registrations/{user_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["block_id"] == block.block_id
    session = city.stack.client(None)
    session.headers["Authorization"] = f"Bearer {city.stack.sign_in(body['email'], PASSWORD)}"
    return session, body, e164, user_id


def a_block(pack: CityPack, *, sirens: bool) -> Block:
    """A block drawn anew each run (so alerts of earlier tests are elsewhere), with sirens or without (any
    block where the pack has none of that kind)."""
    blocks = [b for b in pack.blocks.values() if bool(b.sirens) == sirens] or list(pack.blocks.values())
    return blocks[uuid.uuid4().int % len(blocks)]


def first_type(pack: CityPack, target: str) -> str:
    """The pack's first public alert type whose protocol reaches `target`."""
    return next(code for code, t in pack.alert_types.items() if not t.silent and target in t.targets)


def local(pack: CityPack, instant: str) -> datetime:
    return clock.parse_iso(instant).astimezone(pack.zone_info)


# ---------------------------------------------------------------- the journeys
def test_a_resident_registers_with_her_local_mobile_and_is_approved_on_her_block(city: City) -> None:
    pack, stack = city.pack, city.stack
    block = a_block(pack, sirens=False)
    body, e164 = applicant(pack, block)
    assert not body["phone"].startswith("+")  # as she types it, without the country code
    assert phonenumbers.region_code_for_number(phonenumbers.parse(e164)) == pack.country_code

    started = stack.client().post("/v1/registrations", json=body)
    assert started.status_code == 202, started.text
    # the code comes by SMS to her number in E.164, worded by the city in its language
    sms = registration_code(stack, e164)
    (code,) = re.findall(r"\b\d{6}\b", sms["body"])
    assert sms["body"] == sms_text.fit(pack.message("registration_code", pack.locale, {"code": code}))
    assert stack.client().post(
        f"/v1/registrations/{started.json()['registration_id']}/confirm",
        json={"code": f"{(int(code) + 1) % 10**6:06d}"},
    ).status_code in (400, 422)
    confirmed = stack.client().post(
        f"/v1/registrations/{started.json()['registration_id']}/confirm", json={"code": code}
    )
    assert confirmed.status_code == 200, confirmed.text
    user_id = confirmed.json()["user_id"]

    she = stack.client(None)
    she.headers["Authorization"] = f"Bearer {stack.sign_in(body['email'], PASSWORD)}"
    me = she.get("/v1/me").json()
    assert (me["status"], me["phone"], me["locale"]) == ("pending", e164, pack.locale)
    assert me["national_id"] == body["national_id"]

    approved = stack.client("operator").post(f"/v1/registrations/{user_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["block_id"] == block.block_id
    # and her next sign-in says she is approved
    approved_token = stack.sign_in(body["email"], PASSWORD)
    she.headers["Authorization"] = f"Bearer {approved_token}"
    assert she.get("/v1/me").json()["status"] == "approved"


def block_phones(stack: LocalStackProcess, block_id: str) -> set[str]:
    """Every approved resident of the block as the by_block index holds them: whom a public alert texts."""
    answer = stack.aws("dynamodb").query(
        TableName=stack.outputs["Resources"]["ResidentsTable"],
        IndexName="by_block",
        KeyConditionExpression="block_id = :b",
        ExpressionAttributeValues={":b": {"S": block_id}},
    )
    return {i["phone"]["S"] for i in answer["Items"] if i.get("status", {}).get("S") == "approved"}


def seed_residents(city: City, block: Block, status: str, count: int) -> set[str]:
    """Residents of `block` with numbers of the pack's country, written straight into the Residents table."""
    dynamodb, table = city.stack.aws("dynamodb"), city.stack.outputs["Resources"]["ResidentsTable"]
    phones = set()
    for _ in range(count):
        n = uuid.uuid4().int
        phone = local_mobile(city.pack, n)[1]
        item = {
            "pk": {"S": f"e2e-city-{n % 10**12}"},
            "kind": {"S": "resident"},
            "full_name": {"S": "Vecina de la cuadra"},
            "phone": {"S": phone},
            "locale": {"S": city.pack.locale},
            "status": {"S": status},
            "block_id": {"S": block.block_id},
            "created_at": {"S": clock.iso(clock.now())},
            "address": {"S": block.name},
        }
        dynamodb.put_item(TableName=table, Item=item)
        phones.add(phone)
    return phones


def cap(body: str) -> dict[str, Any]:
    """A CAP 1.2 message the CAD received, validated against the schema, as a dict."""
    CAP_XSD.validate(body)
    return cast(dict[str, Any], CAP_XSD.to_dict(body))


def cad_received(stack: LocalStackProcess) -> list[dict[str, Any]]:
    url = stack.outputs["FakeCadUrl"].split("/cap/")[0] + "/received"
    return list(requests.get(url, timeout=10).json()["items"])


def all_sent(stack: LocalStackProcess, alert_id: str) -> list[dict[str, Any]] | None:
    view = stack.client("operator").get(f"/v1/alerts/{alert_id}/deliveries").json()
    items = view.get("items") or []
    return items if items and all(i["status"] == "sent" for i in items) else None


def test_each_service_is_reached_at_the_citys_numbers_within_its_limit_and_cancel_window(city: City) -> None:
    """Fire to the fire desk, medical to the medical desk, crime to the CAD as CAP 1.2, as the pack says; one
    alert more than the city's limit is refused; a cancel within its window is heard, after it refused."""
    pack, stack = city.pack, city.stack
    block = a_block(pack, sirens=True)
    citizen, body, sender_phone, user_id = resident(city, block)
    types = [first_type(pack, "provincial_police"), first_type(pack, "fire"), first_type(pack, "medical")]
    assert len(set(types)) == 3 <= pack.settings.alert_rate_limit.max_alerts
    lat, lon = block.centroid
    sent = {}
    for code in types:
        answer = citizen.post("/v1/alerts", json={"type": code, "location": {"lat": lat, "lon": lon}})
        assert answer.status_code == 202, answer.text
        sent[code] = answer.json()["alert_id"]
    seed_residents(city, block, "approved", 3)
    kept_out = seed_residents(city, block, "pending", 1) | seed_residents(city, block, "suspended", 1)
    neighbours = block_phones(stack, block.block_id) - {sender_phone}
    assert len(neighbours) >= 3
    cad = pack.dispatch.provincial_cad
    assert cad is not None
    operator = stack.client("operator")
    for code, alert_id in sent.items():
        alert_type = pack.alert_types[code]
        deliveries = stack.wait_for(lambda: all_sent(stack, alert_id), timeout=60)  # noqa: B023
        view = operator.get(f"/v1/alerts/{alert_id}").json()
        created = local(pack, view["created_at"])
        # the alert is the city's: its block, quadrant and local date in the city's time zone
        assert view["local_date"] == created.date().isoformat()
        assert (view["block_id"], view["quadrant_id"]) == (block.block_id, block.quadrant_id)
        mine = [m for m in stack.outbox() if m.get("alert_id") == alert_id]
        sms = {m["recipient"] for m in mine if m["channel"] == "sms"}
        expected = set()
        for target in alert_type.targets & {"community_police", "fire", "medical", "response_team"}:
            expected |= set(pack.dispatch.numbers_for(target))
        if "neighbours" in alert_type.targets:
            expected |= neighbours
        if "sender_confirmation" in alert_type.targets:
            expected.add(sender_phone)
        assert sms == expected, code
        assert not sms & kept_out
        # through the SMS channel its pack chose (make run rehearses it; End User Messaging: a stand-in)
        chosen = json.loads((ROOT / "infra/cities" / pack.city_id / "city.json").read_text())["sms_channel"]
        assert {m.get("sms_channel") for m in mine if m["channel"] == "sms"} == {chosen}, code
        # texts tell the time on the city's clock
        assert any(created.strftime("%H:%M") in m["body"] for m in mine if m["channel"] == "sms"), code
        sirens = {m["recipient"]: m for m in mine if m["channel"] == "siren"}
        assert set(sirens) == (
            {s.siren_id for s in block.sirens} if "sirens" in alert_type.targets else set()
        )
        assert all(m["topic"] == f"vigia/{pack.city_id}/sirens/{unit}/cmd" for unit, m in sirens.items())
        caps = [c for c in cad_received(stack) if alert_id in c["body"]]
        channels = {d["channel"] for d in deliveries}
        if "provincial_police" not in alert_type.targets:
            assert not caps, code
            assert "webhook" not in channels, code
            continue
        (message,) = caps
        assert message["signature_ok"]
        document = cap(message["body"])
        assert document["sender"] == cad.sender
        assert document["info"][0]["language"] == pack.locale
        assert document["info"][0]["category"] == [alert_type.cap.category]
        sent_at = datetime.fromisoformat(document["sent"])
        assert sent_at.utcoffset() == sent_at.astimezone(pack.zone_info).utcoffset()  # the city's offset
        assert document["info"][0]["area"][0]["areaDesc"].startswith(block.name)
        assert "webhook" in channels
        # the police hear who called, by the name she registered with (two surnames where people write both)
        police = [m for m in mine if m["recipient"] in pack.dispatch.community_police]
        if any(
            "{sender_name}" in step.text(pack.locale) for step in alert_type.steps_for("community_police")
        ):
            assert police
            # as written, or folded to GSM-7 where her accents would cost the SMS more parts
            names = {body["full_name"], sms_text.fold_to_gsm7(body["full_name"])}
            assert all(any(name in m["body"] for name in names) for m in police), police

    # One more within the city's window is refused until the first leaves it (the city's limit and window)
    limit = pack.settings.alert_rate_limit
    refused = citizen.post("/v1/alerts", json={"type": types[0], "location": {"lat": lat, "lon": lon}})
    assert refused.status_code == 429, refused.text
    first = clock.parse_iso(operator.get(f"/v1/alerts/{sent[types[0]]}").json()["created_at"])
    frees_in = (first + timedelta(seconds=limit.window_s) - datetime.now(UTC)).total_seconds()
    assert abs(int(refused.headers["Retry-After"]) - frees_in) <= 5  # when her first leaves the city's window
    assert pack.settings.helpline in refused.json()["detail"]

    # She cancels the crime within the city's cancel window: the neighbours read the city's words, the CAD a
    # CAP Cancel with the city's note
    crime = sent[types[0]]
    cancelled = citizen.post(f"/v1/alerts/{crime}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    fold = sms_text.fold_to_gsm7
    opening = fold(pack.texts["cancellation"][pack.locale].split("{")[0])

    def cancellations() -> list[dict[str, Any]]:
        told = [m for m in stack.outbox() if m.get("alert_id") == crime and m.get("kind") == "cancel"]
        return told if neighbours <= {m["recipient"] for m in told if m["channel"] == "sms"} else []

    told = stack.wait_for(cancellations, timeout=60)
    assert all(fold(m["body"]).startswith(opening) for m in told if m["recipient"] in neighbours)
    cancel_cap = stack.wait_for(
        lambda: [
            c for c in cad_received(stack) if crime in c["body"] and "<msgType>Cancel</msgType>" in c["body"]
        ],
        timeout=30,
    )[0]
    assert cap(cancel_cap["body"])["note"] == pack.message("cap_cancel_note", pack.locale, {})

    # An alert of hers older than the city's cancel window is for the helpline, not for cancelling
    window_s = pack.settings.cancel_window_s
    older = datetime.now(UTC) - timedelta(seconds=window_s + 20)
    item = alert_item(pack, block, older, 0, status="dispatched", sender_id=user_id)
    stack.aws("dynamodb").put_item(TableName=stack.outputs["Resources"]["AlertsTable"], Item=item)
    late = citizen.post(f"/v1/alerts/{item['pk']['S']}/cancel")
    assert late.status_code == 409, late.text
    assert late.json()["cancel_window_s"] == window_s
    assert pack.settings.helpline in late.json()["detail"]


def test_penalolens_wildfire_reaches_bomberos_and_conaf_and_drug_dealing_the_pdis_cad_under_its_own_key(
    city: City,
) -> None:
    """Peñalolén's own services (this module's city only): a wildfire texts Bomberos' and CONAF's desks; a
    report of drug dealing is POSTed to the PDI's CAD alone, signed with the PDI's own key (not the stack's
    CadSecret, which the provincial CAD holds), tells no neighbour and sounds no siren; its cancellation
    reaches the PDI's CAD too."""
    pack, stack = city.pack, city.stack
    conaf, pdi = pack.dispatch.services["conaf"], pack.dispatch.other_cads["pdi"]
    block = a_block(pack, sirens=True)
    citizen, details, sender_phone, _user_id = resident(city, block)
    seed_residents(city, block, "approved", 2)
    neighbours = block_phones(stack, block.block_id) - {sender_phone}
    assert neighbours
    lat, lon = block.centroid
    sent = {}
    for code in ("wildfire", "drug_dealing"):
        answer = citizen.post("/v1/alerts", json={"type": code, "location": {"lat": lat, "lon": lon}})
        assert answer.status_code == 202, answer.text
        sent[code] = answer.json()["alert_id"]

    # A wildfire: Bomberos and CONAF each get the fire text at their own numbers
    fire = sent["wildfire"]
    stack.wait_for(lambda: all_sent(stack, fire), timeout=60)
    texts = {
        m["recipient"]: m["body"]
        for m in stack.outbox()
        if m.get("alert_id") == fire and m["channel"] == "sms"
    }
    assert set(pack.dispatch.fire) | set(conaf.numbers) | neighbours <= set(texts)
    assert all("INCENDIO FORESTAL" in texts[number] for number in conaf.numbers)

    # Drug dealing: one CAP at the PDI's path, signed with the PDI's key; nobody else but the sender told
    drug = sent["drug_dealing"]
    stack.wait_for(lambda: all_sent(stack, drug), timeout=60)
    told = [m for m in stack.outbox() if m.get("alert_id") == drug]
    assert {m["recipient"] for m in told if m["channel"] == "sms"} == {sender_phone}
    assert not [m for m in told if m["channel"] == "siren"]
    (message,) = [c for c in cad_received(stack) if drug in c["body"]]
    assert (message["path"].rsplit("/", 1)[-1], message["cad"], message["signature_ok"]) == (
        "pdi",
        "pdi",
        True,
    )
    secret = stack.aws("secretsmanager").get_secret_value(SecretId=stack.outputs["Resources"]["CadSecret"])
    body, when, signature = message["body"].encode(), message["timestamp"], message["signature"]
    assert signing.verify(signing.cad_key(secret["SecretString"], "pdi"), body, when, signature)
    assert not signing.verify(secret["SecretString"], body, when, signature)  # not the provincial CAD's key
    document = cap(message["body"])
    assert document["sender"] == pdi.sender
    assert document["scope"] == "Private"
    assert details["full_name"] not in message["body"]  # the reporter stays anonymous, even to the PDI

    # She cancels it: the PDI's CAD gets the CAP Cancel, at its own path again
    assert citizen.post(f"/v1/alerts/{drug}/cancel").status_code == 202
    (cancel,) = stack.wait_for(
        lambda: [
            c for c in cad_received(stack) if drug in c["body"] and "<msgType>Cancel</msgType>" in c["body"]
        ],
        timeout=60,
    )
    assert (cancel["cad"], cancel["signature_ok"], cap(cancel["body"])["sender"]) == ("pdi", True, pdi.sender)


def test_a_silent_alarm_reaches_the_response_team_only(city: City) -> None:
    pack, stack = city.pack, city.stack
    silent = next(code for code, t in pack.alert_types.items() if t.silent)
    team = set(pack.dispatch.response_team)
    block = a_block(pack, sirens=True)
    she, body, phone, user_id = resident(city, block)
    seed_residents(city, block, "approved", 2)
    neighbours = block_phones(stack, block.block_id) - {phone}
    assert len(neighbours) >= 2
    lat, lon = block.centroid
    secrets = [body["full_name"], body["national_id"], phone, body["email"], body["address"]]

    sent = she.post("/v1/alerts", json={"type": silent, "location": {"lat": lat, "lon": lon}})
    assert sent.status_code == 202, sent.text
    assert set(sent.json()) == {"alert_id", "status", "created_at"}
    alert_id = sent.json()["alert_id"]

    def told() -> list[dict[str, Any]]:
        return [m for m in stack.outbox() if m.get("alert_id") == alert_id]

    operator = stack.client("operator")
    stack.wait_for(lambda: len(told()) >= len(team), timeout=30)
    stack.wait_for(
        lambda: operator.get(f"/v1/alerts/{alert_id}").json()["status"] == "dispatched", timeout=30
    )
    lines = told()
    assert {m["channel"] for m in lines} == {"sms"}, "no siren, no webhook, no push"
    assert {m["recipient"] for m in lines} == team
    assert len(lines) == len(team)
    assert not {m["recipient"] for m in lines} & (neighbours | {phone})
    assert all(s not in m["body"] for m in lines for s in secrets)
    assert not [c for c in cad_received(stack) if alert_id in c["body"]]

    # Unacknowledged 5 s past the city's target, the team is texted again: the every-minute watch, run at that
    # time (once: each run is a new process)
    created = clock.parse_iso(sent.json()["created_at"])
    target = timedelta(seconds=pack.settings.silent_ack_target_s)
    watched = stack.invoke(
        "SilentAckWatchFunction", {"time": clock.iso(created + target + timedelta(seconds=5))}
    )
    assert alert_id in watched["reminded"]
    again = stack.wait_for(lambda: [m for m in told() if m not in lines], timeout=30)
    assert {m["recipient"] for m in again} <= team
    assert all(s not in m["body"] for m in again for s in secrets)

    seen = operator.get(f"/v1/alerts/{alert_id}")
    assert seen.json()["category"] == "silent"
    assert all(s not in seen.text for s in [*secrets, user_id])
    read = stack.client("response_team").get(f"/v1/silent-alerts/{alert_id}", headers={"X-Reason": "llamada"})
    assert read.status_code == 200, read.text
    unsealed = read.json()
    assert (unsealed["sender"]["full_name"], unsealed["sender"]["phone"]) == (body["full_name"], phone)
    assert unsealed["local_date"] == local(pack, unsealed["created_at"]).date().isoformat()
    assert unsealed["zone"]["name"] == pack.quadrants[block.quadrant_id].name
    directory = unsealed["referral_directory"]
    assert {r["phone"] for r in directory} == {r.phone for r in pack.referral_directory}

    # the team contacts her and asks the police to go: a car of her quadrant is texted the place, and the CAD
    # gets CAP 1.2 scope Private, addressed to the city's gender-violence desk, without her name
    staff = stack.client("response_team")
    car = pack.units_in(block.quadrant_id)[0]
    for action in ("acknowledge", "contact"):
        answer = staff.post(f"/v1/alerts/{alert_id}/actions", json={"action": action})
        assert answer.status_code == 200, (action, answer.text)
    asked = staff.post(
        f"/v1/alerts/{alert_id}/actions",
        json={"action": "request_police", "unit_id": car.unit_id},
        headers={"X-Reason": "vecina pide apoyo policial"},
    )
    assert asked.status_code == 200, asked.text
    cad = pack.dispatch.provincial_cad
    assert cad is not None
    (message,) = stack.wait_for(lambda: [c for c in cad_received(stack) if alert_id in c["body"]], timeout=30)
    document = cap(message["body"])
    assert (document["sender"], document["scope"]) == (cad.sender, "Private")
    assert set(document["addresses"].split()) == set(cad.gender_violence_addresses)
    assert all(s not in message["body"] for s in secrets)
    texted = stack.wait_for(
        lambda: [m for m in stack.outbox() if m.get("alert_id") == alert_id and m["recipient"] == car.phone],
        timeout=30,
    )
    assert all(s not in texted[0]["body"] for s in secrets)
    closed = staff.post(f"/v1/alerts/{alert_id}/actions", json={"action": "close", "outcome": "referred"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"


def test_an_incident_runs_from_received_to_resolved_with_the_citys_first_unit(city: City) -> None:
    pack, stack = city.pack, city.stack
    operator, police = stack.client("operator"), stack.client("police")
    unit_id = stack.demo_user("police")["unit_id"]
    assert unit_id == next(iter(pack.units))
    code = first_type(pack, "community_police")
    block = a_block(pack, sirens=False)
    citizen, *_ = resident(city, block)
    lat, lon = block.centroid
    sent = citizen.post("/v1/alerts", json={"type": code, "location": {"lat": lat, "lon": lon}})
    assert sent.status_code == 202, sent.text
    alert_id = sent.json()["alert_id"]

    def act(session: requests.Session, action: str, **extra: Any) -> dict[str, Any]:
        answer = session.post(f"/v1/alerts/{alert_id}/actions", json={"action": action, **extra})
        assert answer.status_code == 200, (action, answer.text)
        return dict(answer.json())

    def unit_status() -> str:
        items = operator.get("/v1/units").json()["items"]
        return str(next(u for u in items if u["unit_id"] == unit_id)["status"])

    act(operator, "acknowledge", note="vecina al teléfono")
    act(operator, "assign", unit_id=unit_id)
    assert unit_status() == "responding"
    texted = stack.wait_for(
        lambda: [
            m
            for m in stack.outbox()
            if m["channel"] == "sms"
            and m["recipient"] == pack.units[unit_id].phone
            and m["alert_id"] == alert_id
        ]
    )
    created = local(pack, operator.get(f"/v1/alerts/{alert_id}").json()["created_at"])
    assert unit_id in texted[0]["body"]
    assert created.strftime("%H:%M") in texted[0]["body"]
    act(police, "en_route")
    act(police, "on_scene")
    assert unit_status() == "on_scene"
    assert act(police, "resolve", note="sin lesionados")["status"] == "resolved"
    assert unit_status() == "available"
    seen = operator.get(f"/v1/alerts/{alert_id}").json()
    assert seen["status"] == "resolved"
    assert [e["action"] for e in seen["timeline"] if e["actor_role"] in ("operator", "police")] == [
        "acknowledge",
        "assign",
        "en_route",
        "on_scene",
        "resolve",
    ]
    assert seen["local_date"] == created.date().isoformat()
    assert seen["met_target"] is (seen["response_time_s"] <= pack.settings.response_target_s)


def alert_item(pack: CityPack, block: Block, created: datetime, n: int, **extra: Any) -> dict[str, Any]:
    """An alert as intake stores it (its local date in the city's zone), with lifecycle fields if given."""
    kind = first_type(pack, "provincial_police")
    fields = {"sender_id": f"e2e-city-{n}", "status": "received", **extra}
    return wire(stored_alert(block, created, pack.zone_info, kind, **fields))


def test_hot_spots_and_a_patrol_schedule_on_the_citys_clock_and_minutes(city: City) -> None:
    pack, stack = city.pack, city.stack
    patrol = pack.settings.patrol
    quadrant = next(iter(pack.quadrants))
    busy = [b for b in pack.blocks.values() if b.quadrant_id == quadrant][:5]
    midnight = datetime.combine(PATROL_DAY, datetime.min.time(), pack.zone_info)
    dynamodb, table = stack.aws("dynamodb"), stack.outputs["Resources"]["AlertsTable"]
    for n in range(60):
        created = midnight - timedelta(hours=1 + 3.7 * n)  # ten days before the day, on five blocks
        dynamodb.put_item(TableName=table, Item=alert_item(pack, busy[n % 5], created, n))
    operator, police, analyst = (stack.client(r) for r in ("operator", "police", "analyst"))

    spots = operator.get("/v1/hotspots", params={"date": PATROL_DAY.isoformat(), "quadrant": quadrant})
    assert spots.status_code == 200, spots.text
    assert spots.json()["lookback_days"] == pack.settings.hotspots.lookback_days
    assert spots.json()["items"][0]["quadrant_id"] == quadrant
    assert spots.json()["alerts_counted"] == 60

    made = operator.post("/v1/patrol-schedules", json={"date": PATROL_DAY.isoformat(), "seed": 2026})
    assert made.status_code == 201, made.text
    schedule = made.json()
    assert (schedule["time_zone"], schedule["fixed_point_min"], schedule["patrol_min"]) == (
        pack.time_zone,
        patrol.fixed_point_min,
        patrol.patrol_min,
    )
    assert {u["unit_id"] for u in schedule["units"]} == set(pack.units)
    unit_id = next(iter(pack.units))
    unit = pack.units[unit_id]
    stops = next(u for u in schedule["units"] if u["unit_id"] == unit_id)["stops"]
    shift_min = sum(
        ((s.end.hour * 60 + s.end.minute) - (s.start.hour * 60 + s.start.minute)) % (24 * 60) or 24 * 60
        for s in unit.shifts
    )
    assert len(stops) == shift_min // (patrol.fixed_point_min + patrol.patrol_min)
    for stop in stops:
        start, end, patrol_end = (datetime.fromisoformat(stop[k]) for k in ("start", "end", "patrol_end"))
        assert end - start == timedelta(minutes=patrol.fixed_point_min)
        assert patrol_end - end == timedelta(minutes=patrol.patrol_min)
        assert (
            start.utcoffset() == start.astimezone(pack.zone_info).utcoffset()
        )  # written on the city's clock
        assert unit.on_duty(start.astimezone(pack.zone_info).time())
    first = datetime.fromisoformat(stops[0]["start"]).astimezone(pack.zone_info)
    assert (first.date(), first.time()) == (PATROL_DAY, min(s.start for s in unit.shifts))

    ics = police.get(
        f"/v1/patrol-schedules/{PATROL_DAY.isoformat()}/units/{unit_id}", params={"format": "ics"}
    )
    assert ics.status_code == 200, ics.text
    assert ics.headers["Content-Type"].startswith("text/calendar")
    starts = re.findall(r"\r\nDTSTART:(\d{8}T\d{6}Z)\r\n", ics.text.replace("\r\n ", ""))
    assert len(starts) == ics.text.count("BEGIN:VEVENT") == len(stops)
    assert datetime.strptime(starts[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == first

    stop = stops[0]
    checkin = police.post(
        "/v1/patrols/checkins",
        json={
            "unit_id": unit_id,
            "location": {"lat": stop["lat"] + 0.00054, "lon": stop["lon"], "accuracy_m": 10},
            "at": (first + timedelta(minutes=3)).isoformat(),
        },
    )
    assert checkin.status_code == 201, checkin.text
    assert checkin.json()["matched"] is True
    dosage = analyst.get("/v1/patrols/dosage", params={"date": PATROL_DAY.isoformat()})
    assert dosage.status_code == 200, dosage.text
    mine = next(u for u in dosage.json()["units"] if u["unit_id"] == unit_id)
    assert (mine["stops_done"], mine["done_min"]) == (1, patrol.fixed_point_min - 3)

    # a neighbour answers the city's own perception questions, on each question's scale
    answers = {q.question_id: q.scale[1] for q in pack.perception_questions.values()}
    survey = police.post(
        "/v1/surveys", json={"quadrant_id": quadrant, "unit_id": unit_id, "answers": answers}
    )
    assert survey.status_code == 201, survey.text
    summary = analyst.get("/v1/surveys/summary", params={"quadrant": quadrant})
    assert summary.status_code == 200, summary.text
    week = summary.json()["items"][-1]
    assert week["quadrant_id"] == quadrant
    assert set(week["questions"]) == set(answers)


def test_nightly_indicators_count_the_citys_local_day(city: City) -> None:
    """Seven alerts of one local day, two of them within an hour of its edges (where the day would end in
    another zone): counted all, with the day's window and every time on the city's clock."""
    pack, stack = city.pack, city.stack
    day = INDICATORS_DAY
    block = next(iter(pack.blocks.values()))
    midnight = datetime.combine(day, datetime.min.time(), pack.zone_info)
    dynamodb, table = stack.aws("dynamodb"), stack.outputs["Resources"]["AlertsTable"]
    target = pack.settings.response_target_s
    for n, minutes in enumerate((10, 180, 480, 720, 1020, 1260, 1430)):
        created = (midnight + timedelta(minutes=minutes)).astimezone(UTC)
        response = 300 + 20 * n
        extra = {
            "status": "resolved",
            "on_scene_at": clock.iso(created + timedelta(seconds=response)),
            "response_time_s": response,
            "met_target": response <= target,
        }
        dynamodb.put_item(TableName=table, Item=alert_item(pack, block, created, n, **extra))

    queued = stack.client("admin").post("/v1/indicator-runs", json={"date": day.isoformat()})
    assert queued.status_code == 202, queued.text
    assert queued.json()["dates"] == [day.isoformat()]
    query = {"from": day.isoformat(), "to": day.isoformat(), "zone": "city", "type": "all"}
    analyst = stack.client("analyst")

    def city_totals() -> list[dict[str, Any]]:
        answer = analyst.get("/v1/indicators", params=query)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    (item,) = stack.wait_for(city_totals, timeout=30)
    assert item["count"] == 7
    assert item["response_time_median_s"] == 360.0
    assert item["rate_per_100k"] == round(7 * 100_000 / pack.population, 2)
    public_iccs = sorted({t.iccs for t in pack.alert_types.values() if not t.silent and t.iccs})
    assert item["iccs"] == ";".join(public_iccs)

    s3, bucket = stack.aws("s3"), stack.outputs["Resources"]["ExportsBucket"]

    def exported(name: str) -> bytes:
        key = f"indicators/{pack.city_id}/{day.isoformat()}/{name}"
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    document = json.loads(exported("indicators.json"))
    assert (document["city"], document["time_zone"]) == (pack.city_id, pack.time_zone)
    assert document["window"] == {
        "start": midnight.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": (midnight + timedelta(days=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hours": 24,
    }
    feed = json.loads(exported("feed.json"))["alerts"]
    assert len(feed) == 7
    for alert in feed:
        sent = datetime.fromisoformat(alert["sent"])
        assert sent.utcoffset() == sent.astimezone(pack.zone_info).utcoffset()
        assert sent.astimezone(pack.zone_info).date() == day


def test_the_app_lists_the_citys_alert_types_in_its_words_as_its_api_document_says(city: City) -> None:
    """The types the app offers are the pack's, labelled in its locales; the document the city's stack serves
    describes that answer without naming another city's locales or questions."""
    pack, stack = city.pack, city.stack
    answer = stack.client("citizen").get("/v1/alert-types")
    assert answer.status_code == 200, answer.text
    assert answer.json()["locale"] == pack.locale
    assert {i["code"]: i["labels"] for i in answer.json()["items"]} == {
        code: dict(t.labels) for code, t in pack.alert_types.items()
    }
    schemas = stack.client().get("/v1/openapi.json").json()["components"]["schemas"]
    labels = schemas["AlertTypesAnswer"]["properties"]["items"]["items"]["properties"]["labels"]
    assert set(labels.get("properties", {})) <= set(pack.locales), labels
    summary = schemas["SurveySummaryAnswer"]["properties"]
    for questions in (summary["questions"], summary["items"]["items"]["properties"]["questions"]):
        named = set(questions.get("properties", {})) | set(questions.get("required", []))
        assert named <= set(pack.perception_questions), questions
        texts = [q["properties"].get("text", {}) for q in questions.get("properties", {}).values()]
        assert all(set(t.get("properties", {})) <= set(pack.locales) for t in texts), texts


def typed_national_id(pack: CityPack, stored: str) -> str:
    """The national id as people of the pack's country write it: a RUT with dots, a DNI with dots."""
    body, dash, check = stored.partition("-")
    grouped = f"{int(body):,}".replace(",", ".")
    return f"{grouped}{dash}{check}"


def test_a_resident_signs_up_in_the_app_in_her_citys_words_and_her_alert_reaches_its_service(
    city: City, browser: Browser
) -> None:
    """The residents' app on a phone, in the city's Spanish (tuteo and RUT in Chile, voseo and DNI in
    Argentina), from sign-up with her national id and mobile as she writes them, through the operator's
    approval on the console, to an alert whose buttons carry the pack's labels and reaches its service."""
    pack, stack = city.pack, city.stack
    words = app_words(pack.locale)
    block = a_block(pack, sirens=False)
    body, e164 = applicant(pack, block)
    lat, lon = block.centroid
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale=pack.locale,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 15},
        permissions=["geolocation"],
    )
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{stack.api}/app/")
        expect(page.locator("body")).to_have_attribute("data-state", "ready")
        # Then the app speaks the city's own Spanish
        expect(page.locator("html")).to_have_attribute("lang", pack.locale)
        page.locator("[data-go-register]").click()
        id_field = page.get_by_label(words["national_id"], exact=True)
        assert id_field.get_attribute("inputmode") == words["national_id_keyboard"]
        expect(page.locator("#national-id-hint")).to_have_text(words["national_id_hint"])
        expect(page.locator("[data-register]")).to_contain_text(words["register_intro"])
        # When she registers with her id and mobile as people of her country write them
        page.get_by_label(words["full_name"]).fill(body["full_name"])
        id_field.fill(typed_national_id(pack, body["national_id"]))
        page.get_by_label(words["phone"]).fill(body["phone"])
        page.get_by_label(words["email"]).fill(body["email"])
        page.get_by_label(words["password"], exact=True).fill(PASSWORD)
        page.get_by_label(words["address"]).fill(body["address"])
        page.locator("[data-register] button[type=submit]").click()
        (code,) = re.findall(r"\b\d{6}\b", registration_code(stack, e164)["body"])
        page.get_by_label(words["code"]).fill(code)
        page.locator("[data-confirm] button[type=submit]").click()
        expect(page.locator("[data-pending='pending']")).to_be_visible()
        expect(page.locator("[data-pending='pending']")).to_contain_text(words["pending_intro"])

        # And an operator approves her on the console, which speaks the city's language too
        operator = stack.client("operator")
        pending = operator.get("/v1/registrations", params={"status": "pending"}).json()["items"]
        user_id = next(item["user_id"] for item in pending if item.get("email") == body["email"])
        desk_context = browser.new_context(locale=pack.locale, viewport={"width": 1440, "height": 900})
        try:
            desk = Console(desk_context.new_page(), f"{stack.api}/console/", stack)
            desk.sign_in("operator")
            expect(desk.page.locator("html")).to_have_attribute("lang", pack.locale)
            desk.go("registrations")
            row = desk.page.locator(f"[data-registrations] tr[data-user-id='{user_id}']")
            expect(row).to_contain_text(body["full_name"])
            # by keyboard, as an operator may (a click can land on the map beside while the page settles)
            row.locator("[data-decision='approve']").focus()
            desk.page.keyboard.press("Enter")
            expect(row).to_have_count(0)
            assert not desk.errors, desk.errors
        finally:
            desk_context.close()
        page.locator("[data-check-again]").click()

        # Then her buttons are the pack's public types, in its words
        public = {code: t for code, t in pack.alert_types.items() if not t.silent}
        buttons = page.locator("[data-alert-type]")
        expect(buttons).to_have_count(len(public))
        for code, alert_type in public.items():
            expect(page.locator(f"[data-alert-type='{code}']")).to_contain_text(
                alert_type.labels[pack.locale]
            )
        # When she taps the type that calls the fire service
        fire = first_type(pack, "fire")
        page.locator(f"[data-alert-type='{fire}']").click()
        sent = page.locator("[data-sent]")
        expect(sent).to_be_visible()
        alert_id = sent.get_attribute("data-alert-id")
        assert alert_id
        # Then the city's fire service gets it at its numbers, and she is told in her city's words
        expect(page.locator("[data-cancel]")).to_be_visible()
        assert words["cancel_until"].split("{s}")[0] in (page.locator("[data-sent]").inner_text())
        stack.wait_for(lambda: all_sent(stack, alert_id), timeout=60)
        told = {m["recipient"] for m in stack.outbox() if m.get("alert_id") == alert_id}
        assert set(pack.dispatch.numbers_for("fire")) <= told
        assert (e164 in told) == ("sender_confirmation" in pack.alert_types[fire].targets)
    finally:
        context.close()
    assert not errors, errors
