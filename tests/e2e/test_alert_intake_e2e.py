"""A resident's first alert, over HTTP on the local stack, with real Cognito sign-in."""

import uuid

import pytest

pytestmark = pytest.mark.e2e


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_new_resident_registers_is_approved_and_her_alert_is_stored_and_published(local_stack):
    import requests

    api = local_stack.api
    operator = local_stack.client("operator")
    demo_citizen = local_stack.outputs["DemoUsers"]["citizen"]
    home = operator.get(f"{api}/v1/me").json()  # any staff call works; home comes from the demo citizen
    assert home["roles"] == ["operator"]
    block_home = local_stack.client("citizen").get(f"{api}/v1/me").json()["home_location"]

    # Given a resident who registers from the app
    email = f"vecina-{uuid.uuid4().hex[:8]}@example.ar"
    suffix = f"{uuid.uuid4().int % 1_000_000:06d}"
    registration = {
        "full_name": "Lucía Fernández",
        "national_id": f"4{suffix[:7]:0<7}",
        "phone": f"+5492614{suffix}",
        "email": email,
        "password": "Segura-2026x",
        "address": "Perú 1450",
        "home_location": block_home,
    }
    user_id = local_stack.register(registration)

    # When she signs in before approval, she can read /v1/me but cannot send alerts
    pending = requests.Session()
    pending.headers.update(bearer(local_stack.sign_in(email, "Segura-2026x")))
    assert pending.get(f"{api}/v1/me", timeout=10).json()["status"] == "pending"
    refused = pending.post(f"{api}/v1/alerts", json={"type": "robbery", "location": block_home}, timeout=10)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")

    # And once an operator approves her (a fresh token carries the citizen group)
    approved = operator.post(f"{api}/v1/registrations/{user_id}/approve", timeout=10)
    assert approved.status_code == 200, approved.text
    assert approved.json()["block_id"]
    citizen = requests.Session()
    citizen.headers.update(bearer(local_stack.sign_in(email, "Segura-2026x")))

    # Then her alert is accepted once, even if the app retries with the same key
    body = {"type": "robbery", "location": block_home, "note": "dos personas en moto"}
    first = citizen.post(f"{api}/v1/alerts", json=body, headers={"Idempotency-Key": "tap-1"}, timeout=10)
    retry = citizen.post(f"{api}/v1/alerts", json=body, headers={"Idempotency-Key": "tap-1"}, timeout=10)
    assert first.status_code == retry.status_code == 202, first.text
    alert_id = first.json()["alert_id"]
    assert retry.json()["alert_id"] == alert_id

    # And the operator sees it, and the protocol starts (the stream relay published it for dispatch)
    seen = operator.get(f"{api}/v1/alerts/{alert_id}", timeout=10)
    assert seen.status_code == 200
    assert seen.json()["sender_id"] == user_id
    local_stack.wait_for(
        lambda: operator.get(f"{api}/v1/alerts/{alert_id}", timeout=10).json()["status"] != "received",
        timeout=30,
    )
    # And another resident cannot see it
    other = local_stack.client("citizen")
    assert other.get(f"{api}/v1/alerts/{alert_id}", timeout=10).status_code == 404
    assert demo_citizen["username"] != email


def test_requests_without_a_valid_token_get_401_problems(local_stack):
    import requests

    api = local_stack.api
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        answer = requests.post(f"{api}/v1/alerts", json={"type": "robbery"}, headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["status"] == 401


def test_bad_input_over_http_is_a_problem_never_a_500(local_stack):
    api = local_stack.api
    citizen = local_stack.new_citizen()
    malformed = citizen.post(
        f"{api}/v1/alerts", data="{oops", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["path"] == "/"
    far = citizen.post(
        f"{api}/v1/alerts", json={"type": "robbery", "location": {"lat": -34.6, "lon": -58.4}}, timeout=10
    )
    assert far.status_code == 422
    unknown = citizen.post(
        f"{api}/v1/alerts", json={"type": "ufo", "location": {"lat": -32.93, "lon": -68.84}}, timeout=10
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["path"] == "/type"


def test_health_and_openapi_are_public(local_stack):
    import requests

    assert requests.get(f"{local_stack.api}/v1/health", timeout=10).json() == {"status": "ok"}
    doc = requests.get(f"{local_stack.api}/v1/openapi.json", timeout=10).json()
    assert doc["openapi"] == "3.1.0"
    assert {"/v1/alerts", "/v1/registrations", "/v1/me", "/v1/alert-types"} <= set(doc["paths"])
