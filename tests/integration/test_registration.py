"""Formal registration: one answer for everyone, a code by SMS, then an operator approves onto the block."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.conftest import (
    near_centre,
    register_confirmed,
    registration_body,
    registration_code,
)
from tests.support.people import local_mobile
from vigia import clock

FRESH_IP = "203.0.113.7"
# A mobile as people of the pack's country type it at home, and the E.164 it is stored as.
NATIONAL_FORM = {"AR": ("0261 15 444-1234", "+5492614441234"), "CL": ("9 9444 1234", "+56994441234")}


def sms_tasks(stack) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in stack.queue_messages("SmsQueue", 100)]


def start(api, body, source_ip: str = FRESH_IP):
    return api("POST", "/v1/registrations", body, source_ip=source_ip)


def confirm(api, registration_id: str, code: str):
    return api("POST", f"/v1/registrations/{registration_id}/confirm", {"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.mark.cities
def test_registration_is_confirmed_by_the_sms_code_and_the_resident_can_sign_in(api, stack):
    # Given someone registers
    body = registration_body("ana")
    started = start(api, body)
    # Then the answer says only that a code was sent
    assert started.status == 202, started.body
    assert set(started.json) == {"registration_id", "status"}
    assert started.json["status"] == "confirmation_sent"
    # When she sends the code her phone got
    code = registration_code(body["phone"])
    confirmed = confirm(api, started.json["registration_id"], code)
    # Then she is a pending resident operators review, and she can sign in
    assert confirmed.status == 200, confirmed.body
    assert confirmed.json["status"] == "pending"
    assert stack.resident_item(confirmed.json["user_id"])["status"] == "pending"
    assert stack.sign_in("ana@example.ar", "Segura-2026x")["IdToken"]


def test_a_mixed_case_email_is_one_account_and_signs_in_in_any_case(api, stack):
    body = {**registration_body("bruna"), "email": "Bruna.Paz@Example.AR"}
    user_id = register_confirmed(api, body)
    assert stack.resident_item(user_id)["email"] == "bruna.paz@example.ar"
    assert stack.sign_in("BRUNA.PAZ@example.ar", "Segura-2026x")["IdToken"]
    assert stack.sign_in("bruna.paz@example.ar", "Segura-2026x")["IdToken"]
    # the same address in other letters is the same person: it confirms nobody new
    again = start(api, {**registration_body("otra"), "email": "bRUNA.paz@example.AR"})
    code = registration_code(registration_body("otra")["phone"])
    assert confirm(api, again.json["registration_id"], code).status == 422


def _without_id(answer) -> tuple[int, dict[str, str], dict[str, Any]]:
    body = dict(answer.json)
    body.pop("registration_id")
    return answer.status, answer.headers, body


@pytest.mark.cities
def test_known_and_unknown_people_get_the_same_answer_and_owners_are_told(api, stack):
    # Given a resident and a staff member who already use Vigía
    owner = registration_body("duena")
    register_confirmed(api, owner)
    staff_phone = local_mobile(stack.pack.country_code, 9_999)
    stack.client("cognito-idp").admin_create_user(
        UserPoolId=stack.resources["UserPool"],
        Username="jefa@city.example",
        UserAttributes=[
            {"Name": "email", "Value": "jefa@city.example"},
            {"Name": "phone_number", "Value": staff_phone},
        ],
        MessageAction="SUPPRESS",
    )
    attempts = {
        "known e-mail": {**registration_body("intrusa1"), "email": "DUENA@example.ar"},
        "known phone": {**registration_body("intrusa2"), "phone": owner["phone"]},
        "known national id": {**registration_body("intrusa3"), "national_id": owner["national_id"]},
        "staff e-mail": {**registration_body("intrusa4"), "email": "jefa@city.example"},
        "fresh person": registration_body("nueva"),
    }
    # When each is tried from its own address
    answers = {
        what: start(api, body, source_ip=f"198.51.100.{i}") for i, (what, body) in enumerate(attempts.items())
    }
    # Then every answer is the same but for the registration id
    shapes = {what: _without_id(answer) for what, answer in answers.items()}
    assert all(shape == shapes["fresh person"] for shape in shapes.values()), shapes
    assert shapes["fresh person"][0] == 202
    ids = [a.json["registration_id"] for a in answers.values()]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == len(ids[0]) for i in ids)
    # And the owners were told someone tried; no code went to the owner's phone
    tasks = sms_tasks(stack)
    told = [t["recipient"] for t in tasks if t["target"] == "registration_attempt"]
    # (her phone's third registration SMS this hour: her own code, then two notices; see the cap below)
    assert sorted(told) == sorted([owner["phone"]] * 2 + [staff_phone])
    codes = [t["recipient"] for t in tasks if t["target"] == "registration_code"]
    assert owner["phone"] not in codes
    assert registration_body("nueva")["phone"] in codes
    assert "Vigia" in next(t["body"] for t in tasks if t["target"] == "registration_attempt")


def _problem(answer) -> tuple[int, str, dict[str, Any]]:
    return answer.status, answer.headers.get("Content-Type", ""), answer.json


def test_every_refused_confirmation_is_the_same_problem(api, stack, monkeypatch):
    owner = registration_body("titular")
    register_confirmed(api, owner)
    # a wrong code
    fresh = start(api, registration_body("fresca"))
    fresh_code = registration_code(registration_body("fresca")["phone"])
    wrong_code = confirm(api, fresh.json["registration_id"], wrong(fresh_code))
    # an unknown registration
    unknown = confirm(api, "x" * len(fresh.json["registration_id"]), "123456")
    # the right code for an identity that is already registered (her e-mail, someone else's phone)
    taken = start(api, {**registration_body("copiona"), "email": owner["email"]})
    taken_code = registration_code(registration_body("copiona")["phone"])
    taken_answer = confirm(api, taken.json["registration_id"], taken_code)
    # the right code, eleven minutes late
    late = start(api, registration_body("tardia"))
    late_code = registration_code(registration_body("tardia")["phone"])
    later = clock.now() + timedelta(minutes=11)
    with monkeypatch.context() as m:
        m.setattr(clock, "now", lambda: later)
        expired = confirm(api, late.json["registration_id"], late_code)
    refusals = [wrong_code, unknown, taken_answer, expired]
    assert {a.status for a in refusals} == {422}
    assert all(_problem(a) == _problem(wrong_code) for a in refusals), [a.body for a in refusals]
    assert wrong_code.json["type"].endswith("/registration-not-confirmed")
    # and the wrong code did not burn the registration: the right one still confirms it
    assert confirm(api, fresh.json["registration_id"], fresh_code).status == 200


def test_the_sixth_try_is_refused_even_with_the_right_code(api, stack):
    body = registration_body("probadora")
    started = start(api, body)
    code = registration_code(body["phone"])
    guesses = [wrong(code)] * 5
    assert [confirm(api, started.json["registration_id"], g).status for g in guesses] == [422] * 5
    sixth = confirm(api, started.json["registration_id"], code)
    assert sixth.status == 422
    assert stack.table("ResidentsTable").scan(Select="COUNT")["Count"] == 0


def test_confirming_twice_creates_one_resident(api, stack):
    body = registration_body("doble")
    started = start(api, body)
    code = registration_code(body["phone"])
    first = confirm(api, started.json["registration_id"], code)
    second = confirm(api, started.json["registration_id"], code)
    assert (first.status, second.status) == (200, 422)
    residents = [i for i in stack.table("ResidentsTable").scan()["Items"] if i.get("kind") == "resident"]
    assert [r["pk"] for r in residents] == [first.json["user_id"]]


def test_registration_ids_are_unguessable_and_nothing_secret_is_stored_in_plain(api, stack):
    body = registration_body("secreta")
    started = [start(api, {**body, "email": f"s{i}@example.ar"}, f"192.0.2.{i}") for i in range(6)]
    ids = [a.json["registration_id"] for a in started]
    assert all(len(i) >= 32 for i in ids)  # at least 192 random bits, URL-safe
    assert len({i[:6] for i in ids}) == len(ids)  # not sequential, not time-ordered
    codes = {t["body"] for t in sms_tasks(stack) if t["target"] == "registration_code"}
    stored = json.dumps(stack.table("RegistrationsTable").scan()["Items"], default=str)
    for secret in [*ids, "Segura-2026x", *(f"192.0.2.{i}" for i in range(6))]:
        assert secret not in stored
    for text in codes:
        code = next(word for word in text.replace(".", " ").split() if word.isdigit() and len(word) == 6)
        assert code not in stored


def test_registrations_from_one_address_stop_at_the_limit_with_retry_after(api, stack):
    answers = [start(api, registration_body(f"vecina{i}"), "192.0.2.50") for i in range(7)]
    assert [a.status for a in answers] == [202] * 5 + [429] * 2
    assert answers[-1].json["type"].endswith("/too-many-registrations")
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 3600
    assert start(api, registration_body("otra"), "192.0.2.51").status == 202  # another address is not held


@pytest.mark.cities
def test_bad_registrations_name_the_field(api):
    body = registration_body("eva")
    body["phone"] = "123"
    answer = start(api, body)
    assert answer.status == 400  # shorter than the document's 6 characters
    assert answer.json["errors"][0]["path"] == "/phone"
    body["phone"] = "000000"
    answer = start(api, body)
    assert answer.status == 422  # the document's shape, but no number of the city's plan
    assert answer.json["errors"][0]["path"] == "/phone"
    body = registration_body("eva")
    del body["email"]
    answer = start(api, body)
    assert answer.status == 400
    assert answer.json["errors"][0]["path"] == "/email"
    body = registration_body("eva")
    body["home_location"] = {"lat": -34.6, "lon": -58.4}  # Buenos Aires: outside every city's service area
    assert start(api, body).status == 422
    bad_code = confirm(api, "whatever", "12345")
    assert bad_code.status == 400
    assert bad_code.json["errors"][0]["path"] == "/code"


@pytest.mark.cities
def test_phone_is_stored_in_e164(api, stack):
    typed, e164 = NATIONAL_FORM[stack.pack.country_code]
    body = registration_body("dora")
    body["phone"] = typed
    started = start(api, body)
    code = registration_code(e164)
    user_id = confirm(api, started.json["registration_id"], code).json["user_id"]
    assert stack.resident_item(user_id)["phone"] == e164


@pytest.mark.cities
def test_operator_approves_onto_the_home_block_and_adds_the_citizen_group(api, stack, staff_claims):
    user_id = register_confirmed(api, registration_body("flor"))
    answer = api("POST", f"/v1/registrations/{user_id}/approve", claims=staff_claims("operator"))
    assert answer.status == 200, answer.body
    assert answer.json["status"] == "approved"
    assert answer.json["block_id"] == stack.pack.block_at(*near_centre()).block_id
    assert "citizen" in stack.groups_of("flor@example.ar")
    again = api("POST", f"/v1/registrations/{user_id}/approve", claims=staff_claims("operator"))
    assert again.status == 409


def test_only_operators_approve(api, stack, staff_claims, citizen):
    user_id = register_confirmed(api, registration_body("gina"))
    assert api("POST", f"/v1/registrations/{user_id}/approve", claims=citizen.claims).status == 403
    assert api("POST", f"/v1/registrations/{user_id}/approve", claims=staff_claims("analyst")).status == 403
    assert api("POST", "/v1/registrations/nobody/approve", claims=staff_claims("operator")).status == 404


def test_me_shows_status_and_block(api, citizen, registered):
    me = api("GET", "/v1/me", claims=citizen.claims).json
    assert me["status"] == "approved"
    assert me["block_id"]
    assert api("GET", "/v1/me", claims=registered.claims).json["status"] == "pending"


def test_a_rejected_resident_is_told_rejected_not_pending(api, staff_claims, registered):
    # Given an operator rejected her registration
    rejected = api(
        "POST",
        f"/v1/registrations/{registered.user_id}/reject",
        {"reason": "domicilio no verificable"},
        claims=staff_claims("operator"),
    )
    assert rejected.status == 200, rejected.body
    # Then her profile and the alert route say so
    assert api("GET", "/v1/me", claims=registered.claims).json["status"] == "rejected"
    refused = api(
        "POST",
        "/v1/alerts",
        {"type": "robbery", "location": {"lat": near_centre()[0], "lon": near_centre()[1]}},
        claims=registered.claims,
        headers={"Idempotency-Key": "k-rejected"},
    )
    assert refused.status == 403
    assert refused.json["resident_status"] == "rejected"
    assert "pending" not in refused.json["detail"]


def test_a_known_and_an_unknown_person_cost_the_same_aws_calls(api, stack, monkeypatch):
    """Timing's proxy: the same reads, one write and one enqueue whether or not the person exists."""
    from collections import Counter

    import botocore.client

    owner = registration_body("conocida")
    register_confirmed(api, owner)
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(client, operation, params):
        calls[operation] += 1
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    costs = {}
    for i, (what, body) in enumerate(
        {
            "fresh": registration_body("desconocida"),
            "known e-mail": {**registration_body("imitadora"), "email": owner["email"]},
            "known phone": {**registration_body("imitadora2"), "phone": owner["phone"]},
        }.items()
    ):
        calls.clear()
        assert start(api, body, f"192.0.2.{100 + i}").status == 202
        costs[what] = dict(calls)
    assert costs["known e-mail"] == costs["fresh"] == costs["known phone"], costs


def test_one_phone_gets_at_most_three_registration_sms_an_hour_whoever_asks(api, stack):
    """No SMS bombing or pumping through registration: codes and notices to one phone are capped."""
    # Given a stranger's phone used for five registrations, each from its own address
    target = registration_body("blanco")["phone"]
    answers = [
        start(api, {**registration_body(f"bomba{i}"), "phone": target}, f"192.0.2.{150 + i}")
        for i in range(5)
    ]
    # Then every answer is the same 202, but only three codes went to that phone
    assert {a.status for a in answers} == {202}
    codes = [t for t in sms_tasks(stack) if t["recipient"] == target]
    assert len(codes) == 3
    # And an owner whose e-mail is tried five times is told until her phone's three are spent (her own
    # code this hour was the first)
    owner = registration_body("acosada")
    register_confirmed(api, owner)
    for i in range(5):
        start(api, {**registration_body(f"acoso{i}"), "email": owner["email"]}, f"192.0.2.{170 + i}")
    told = [
        t
        for t in sms_tasks(stack)
        if t["recipient"] == owner["phone"] and t["target"] == "registration_attempt"
    ]
    assert len(told) == 2
