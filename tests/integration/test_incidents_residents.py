"""Residents on the emulator: pending registrations, rejection, suspension by false alarms, reinstating."""

import json

import pytest

from tests.integration.conftest import near_centre, register_confirmed, registration_body


def alert_body(type_="robbery"):
    lat, lon = near_centre()
    return {"type": type_, "location": {"lat": lat, "lon": lon}}


@pytest.fixture
def operator(staff_claims):
    return staff_claims("operator")


def notices(stack):
    return [
        t
        for t in (json.loads(m["Body"]) for m in stack.queue_messages("SmsQueue", 50))
        if t["kind"] == "notice"
    ]


def test_operators_list_pending_registrations_oldest_first_a_page_at_a_time(api, operator, citizen):
    for name in ("ana", "bea", "carla"):
        register_confirmed(api, registration_body(name))
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api("GET", "/v1/registrations", claims=operator, query=query)
        assert page.status == 200, page.body
        seen += page.json["items"]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert [r["email"] for r in seen] == ["ana@example.ar", "bea@example.ar", "carla@example.ar"]
    assert all(r["status"] == "pending" and r["home_block_id"] for r in seen)
    approved = api("GET", "/v1/registrations", claims=operator, query={"status": "approved"}).json["items"]
    assert [r["user_id"] for r in approved] == [citizen.user_id]
    bad = api("GET", "/v1/registrations", claims=operator, query={"status": "maybe"})
    assert bad.status == 400
    assert bad.json["errors"][0]["path"] == "/status"


@pytest.mark.cities
def test_a_rejected_registrant_is_told_why_and_whom_to_call(api, stack, operator, registered):
    answer = api(
        "POST",
        f"/v1/registrations/{registered.user_id}/reject",
        {"reason": "domicilio fuera de la ciudad"},
        claims=operator,
    )
    assert answer.status == 200, answer.body
    assert answer.json["status"] == "rejected"
    assert stack.resident_item(registered.user_id)["review_reason"] == "domicilio fuera de la ciudad"
    [sms] = notices(stack)
    assert "domicilio fuera de la ciudad" in sms["body"]
    assert stack.pack.settings.helpline in sms["body"]
    again = api(
        "POST", f"/v1/registrations/{registered.user_id}/reject", {"reason": "otra vez"}, claims=operator
    )
    assert again.status == 409
    assert again.json["resident_status"] == "rejected"


def test_reviews_need_a_reason_and_a_known_resident(api, operator, registered):
    no_reason = api("POST", f"/v1/registrations/{registered.user_id}/reject", {}, claims=operator)
    assert no_reason.status == 400
    assert no_reason.json["errors"][0]["path"] == "/reason"
    assert api("POST", "/v1/residents/nobody/suspend", {"reason": "abuso"}, claims=operator).status == 404
    # a pending resident is not suspended: they are rejected
    pending = api("POST", f"/v1/residents/{registered.user_id}/suspend", {"reason": "abuso"}, claims=operator)
    assert pending.status == 409


def test_a_suspended_resident_gets_403_with_the_helpline_until_reinstated(api, stack, operator, citizen):
    suspended = api(
        "POST", f"/v1/residents/{citizen.user_id}/suspend", {"reason": "uso indebido"}, claims=operator
    )
    assert suspended.status == 200, suspended.body
    refused = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims)
    assert refused.status == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json["resident_status"] == "suspended"
    assert stack.pack.settings.helpline in refused.json["detail"]
    reinstated = api("POST", f"/v1/residents/{citizen.user_id}/reinstate", claims=operator)
    assert reinstated.status == 200, reinstated.body
    assert api("POST", "/v1/alerts", alert_body(), claims=citizen.claims).status == 202
    assert [n["target"] for n in notices(stack)] == ["resident_suspended", "resident_approved"]


def test_the_third_false_alarm_suspends_the_sender_and_tells_them(api, stack, operator, citizen):
    from vigia.adapters.dynamodb import audit

    alert_ids = [
        api("POST", "/v1/alerts", alert_body(), claims=citizen.claims).json["alert_id"] for _ in range(3)
    ]
    answers = [
        api("POST", f"/v1/alerts/{a}/actions", {"action": "false_alarm"}, claims=operator) for a in alert_ids
    ]
    assert [a.status for a in answers] == [200, 200, 200]
    assert [a.json.get("sender_suspended", False) for a in answers] == [False, False, True]
    assert stack.resident_item(citizen.user_id)["status"] == "suspended"
    assert len(stack.resident_item(citizen.user_id)["strikes"]) == 3
    [sms] = notices(stack)
    assert sms["alert_id"] == alert_ids[2]
    assert sms["recipient"] == stack.resident_item(citizen.user_id)["phone"]
    trail = audit.list_for(citizen.user_id)
    assert [(e.action, e.reason) for e in trail] == [
        ("approve", None),
        ("suspend", "3 falsas alarmas en 90 dias (automatica)"),  # the city's words (its pack's texts)
    ]
    # reinstated, the old strikes are forgiven: the next false alarm does not suspend again
    api("POST", f"/v1/residents/{citizen.user_id}/reinstate", {"reason": "llamó y explicó"}, claims=operator)
    assert stack.resident_item(citizen.user_id)["status"] == "approved"


def test_a_silent_alert_never_counts_against_its_sender(api, stack, operator, citizen, staff_claims):
    answer = api("POST", "/v1/alerts", alert_body("domestic_violence"), claims=citizen.claims)
    assert answer.status == 202, answer.body
    actions = f"/v1/alerts/{answer.json['alert_id']}/actions"
    # operators cannot mark it false: it belongs to the response team (docs/silent-alarms.md)
    assert api("POST", actions, {"action": "false_alarm"}, claims=operator).status == 403
    # and however the team closes it, no strike is added
    team = staff_claims("response_team")
    for step in ({"action": "acknowledge"}, {"action": "close", "outcome": "no_action_needed"}):
        done = api("POST", actions, step, claims=team)
        assert done.status == 200, done.body
    assert "strikes" not in stack.resident_item(citizen.user_id)
    assert notices(stack) == []


def test_only_operators_and_admins_review_residents(api, staff_claims, citizen, registered):
    for role in ("police", "analyst", "response_team"):
        answer = api(
            "POST", f"/v1/residents/{citizen.user_id}/suspend", {"reason": "x" * 5}, claims=staff_claims(role)
        )
        assert answer.status == 403
    assert api("GET", "/v1/registrations", claims=citizen.claims).status == 403
    assert api("GET", "/v1/registrations", claims=registered.claims).status == 403
    admin = api(
        "POST", f"/v1/residents/{citizen.user_id}/suspend", {"reason": "abuso"}, claims=staff_claims("admin")
    )
    assert admin.status == 200


def test_approvals_are_audited_with_the_operators_note(api, operator, registered):
    from vigia.adapters.dynamodb import audit

    answer = api(
        "POST", f"/v1/registrations/{registered.user_id}/approve", {"note": "DNI visto"}, claims=operator
    )
    assert answer.status == 200, answer.body
    [entry] = audit.list_for(registered.user_id)
    assert (entry.action, entry.actor_id, entry.actor_role, entry.reason) == (
        "approve",
        operator["sub"],
        "operator",
        "DNI visto",
    )
