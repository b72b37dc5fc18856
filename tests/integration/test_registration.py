"""Formal registration: sign-up, duplicates refused, an operator approves onto the home block."""

from tests.integration.conftest import NEAR_CENTRE, registration_body


def test_registration_is_pending_and_the_resident_can_sign_in(api, stack):
    answer = api("POST", "/v1/registrations", registration_body("ana"))
    assert answer.status == 201, answer.body
    assert answer.json["status"] == "pending"
    tokens = stack.sign_in("ana@example.ar", "Segura-2026x")
    assert tokens["IdToken"]


def test_duplicate_email_phone_or_national_id_is_409(api):
    assert api("POST", "/v1/registrations", registration_body("bea")).status == 201
    for field, value in (
        ("email", "bea@example.ar"),
        ("phone", registration_body("bea")["phone"]),
        ("national_id", registration_body("bea")["national_id"]),
    ):
        body = registration_body("carla")
        body[field] = value
        answer = api("POST", "/v1/registrations", body)
        assert answer.status == 409, (field, answer.body)
        assert answer.json["errors"][0]["path"] == f"/{field}"


def test_phone_is_stored_in_e164(api, stack):
    body = registration_body("dora")
    body["phone"] = "0261 15 444-1234"
    user_id = api("POST", "/v1/registrations", body).json["user_id"]
    assert stack.resident_item(user_id)["phone"] == "+5492614441234"


def test_bad_registrations_name_the_field(api):
    body = registration_body("eva")
    body["phone"] = "123"
    assert api("POST", "/v1/registrations", body).json["errors"][0]["path"] == "/phone"
    body = registration_body("eva")
    del body["email"]
    answer = api("POST", "/v1/registrations", body)
    assert answer.status == 400
    assert answer.json["errors"][0]["path"] == "/email"
    body = registration_body("eva")
    body["home_location"] = {"lat": -34.6, "lon": -58.4}
    assert api("POST", "/v1/registrations", body).status == 422


def test_operator_approves_onto_the_home_block_and_adds_the_citizen_group(api, stack, staff_claims):
    user_id = api("POST", "/v1/registrations", registration_body("flor")).json["user_id"]
    answer = api("POST", f"/v1/registrations/{user_id}/approve", claims=staff_claims("operator"))
    assert answer.status == 200, answer.body
    assert answer.json["status"] == "approved"
    assert answer.json["block_id"] == stack.pack.block_at(*NEAR_CENTRE).block_id
    assert "citizen" in stack.groups_of("flor@example.ar")
    again = api("POST", f"/v1/registrations/{user_id}/approve", claims=staff_claims("operator"))
    assert again.status == 409


def test_only_operators_approve(api, staff_claims, citizen):
    user_id = api("POST", "/v1/registrations", registration_body("gina")).json["user_id"]
    assert api("POST", f"/v1/registrations/{user_id}/approve", claims=citizen.claims).status == 403
    assert api("POST", f"/v1/registrations/{user_id}/approve", claims=staff_claims("analyst")).status == 403
    assert api("POST", "/v1/registrations/nobody/approve", claims=staff_claims("operator")).status == 404


def test_me_shows_status_and_block(api, citizen, registered):
    me = api("GET", "/v1/me", claims=citizen.claims).json
    assert me["status"] == "approved"
    assert me["block_id"]
    assert api("GET", "/v1/me", claims=registered.claims).json["status"] == "pending"
