"""Registration checks the national id by the pack's country (DNI, RUT) and stores it in one form."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import registration_body, registration_code
from vigia import runtime

pytestmark = pytest.mark.cities  # each pack's stack: Godoy Cruz's DNI, Peñalolén's RUT

# The pack's country → (an id as typed, as stored, the same id typed another way, a wrong one)
EXAMPLES = {
    "AR": ("30.123.456", "30123456", "30123456", "301234"),  # a DNI, dotted; 6 digits is no DNI
    "CL": ("12.345.678-5", "12345678-5", "123456785", "12.345.678-4"),  # a RUT; its check digit wrong
}


def _examples() -> tuple[str, str, str, str]:
    return EXAMPLES[runtime.city_pack().country_code]


def test_a_national_id_typed_with_dots_is_stored_as_the_countrys_one_form(api, stack):
    # Given a resident types her national id as printed on her card
    typed, stored, _, _ = _examples()
    body = {**registration_body("nidia"), "national_id": typed}
    # When she registers and confirms the code
    started = api("POST", "/v1/registrations", body, source_ip="203.0.113.61")
    assert started.status == 202, started.body
    confirmed = api(
        "POST",
        f"/v1/registrations/{started.json['registration_id']}/confirm",
        {"code": registration_code(body["phone"])},
    )
    assert confirmed.status == 200, confirmed.body
    # Then she is stored, and shown to her, with the country's one form of it
    assert stack.resident_item(confirmed.json["user_id"])["national_id"] == stored


def test_a_wrong_national_id_is_a_422_naming_the_field_and_no_code_is_sent(api, stack):
    # Given a registration whose national id is not the country's (a DNI too short, a RUT's wrong digit)
    *_, wrong = _examples()
    body = {**registration_body("wanda"), "national_id": wrong}
    # When it is sent
    answer = api("POST", "/v1/registrations", body, source_ip="203.0.113.62")
    # Then it is refused with a problem naming /national_id, and nobody is texted a code
    assert answer.status == 422, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert [e["path"] for e in answer.json["errors"]] == ["/national_id"]
    assert wrong not in json.dumps(answer.json)
    assert [json.loads(m["Body"])["target"] for m in stack.queue_messages("SmsQueue", 100)] == []


def test_the_same_national_id_typed_another_way_is_not_a_second_account(api, stack):
    # Given a resident registered with her national id as printed
    typed, _, other_way, _ = _examples()
    owner = {**registration_body("olga"), "national_id": typed}
    started = api("POST", "/v1/registrations", owner, source_ip="203.0.113.63")
    code = registration_code(owner["phone"])
    assert (
        api("POST", f"/v1/registrations/{started.json['registration_id']}/confirm", {"code": code}).status
        == 200
    )
    # When someone registers with the same id without dots (or dash), from another phone and e-mail
    intruder = {**registration_body("ines"), "national_id": other_way}
    again = api("POST", "/v1/registrations", intruder, source_ip="203.0.113.64")
    assert again.status == 202  # the same answer as anyone's: registration does not tell who is known
    code = registration_code(intruder["phone"])
    # Then the confirmation creates nobody: it is the same person's id
    refused = api("POST", f"/v1/registrations/{again.json['registration_id']}/confirm", {"code": code})
    assert refused.status == 422
