"""An incident on the local stack, over HTTP: a resident's robbery alert goes received → acknowledged →
assigned → en route → on scene → resolved by the demo operator and the demo police officer (unit GC-01),
the unit's status follows, the unit is texted, and the response time is reported."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.support import godoy_cruz_pack

pytestmark = pytest.mark.e2e
PACK = godoy_cruz_pack()
LAT, LON = next(iter(PACK.blocks.values())).centroid


def new_resident(stack) -> requests.Session:
    """A resident registered and approved through the API, signed in (not the demo citizen: its rate limit
    is shared with other tests)."""
    suffix = f"{uuid.uuid4().int % 1_000_000:06d}"
    email = f"incident-{suffix}@example.ar"
    body = {
        "full_name": "Rosa Funes",
        "national_id": f"2{suffix}7",
        "phone": f"+5492614{suffix}",
        "email": email,
        "password": "Segura-2026x",
        "address": "San Martín 1200",
        "home_location": {"lat": LAT, "lon": LON},
    }
    user_id = stack.register(body)
    approved = stack.client("operator").post(f"/v1/registrations/{user_id}/approve", json={})
    assert approved.status_code == 200, approved.text
    session = stack.client(None)
    session.headers["Authorization"] = f"Bearer {stack.sign_in(email, 'Segura-2026x')}"
    return session


def unit(stack, unit_id: str) -> dict:
    items = stack.client("operator").get("/v1/units").json()["items"]
    return next(u for u in items if u["unit_id"] == unit_id)


def test_an_incident_runs_from_received_to_resolved_over_http(local_stack):
    operator, police = local_stack.client("operator"), local_stack.client("police")
    unit_id = local_stack.demo_user("police")["unit_id"]
    assert unit_id == "GC-01"
    phone = PACK.units[unit_id].phone
    # Given a resident's robbery alert, in the operators' queue
    resident = new_resident(local_stack)
    sent = resident.post(
        "/v1/alerts",
        json={
            "type": "robbery",
            "location": {"lat": LAT, "lon": LON},
        },
    )
    assert sent.status_code == 202, sent.text
    alert_id = sent.json()["alert_id"]
    queue = operator.get("/v1/alerts", params={"type": "robbery"}).json()
    assert alert_id in [i["alert_id"] for i in queue["items"]]
    assert unit(local_stack, unit_id)["status"] == "available"

    def act(session, action, **extra):
        answer = session.post(f"/v1/alerts/{alert_id}/actions", json={"action": action, **extra})
        assert answer.status_code == 200, (action, answer.text)
        return answer.json()

    # When the operator acknowledges it and assigns the demo officer's car
    act(operator, "acknowledge", note="vecina al teléfono")
    act(operator, "assign", unit_id=unit_id)
    # Then the car is responding and is texted the type and place
    assert unit(local_stack, unit_id)["status"] == "responding"
    texted = local_stack.wait_for(
        lambda: [
            m
            for m in local_stack.outbox()
            if m["channel"] == "sms" and m["recipient"] == phone and m["alert_id"] == alert_id
        ]
    )
    assert unit_id in texted[0]["body"]
    # When the officer goes, arrives and closes it
    act(police, "en_route")
    assert unit(local_stack, unit_id)["status"] == "responding"
    act(police, "on_scene")
    assert unit(local_stack, unit_id)["status"] == "on_scene"
    resolved = act(police, "resolve", note="sin heridos")
    # Then the car is free, the alert is closed, and its times are reported
    assert resolved["status"] == "resolved"
    assert unit(local_stack, unit_id)["status"] == "available"
    seen = operator.get(f"/v1/alerts/{alert_id}").json()
    assert seen["status"] == "resolved"
    assert [e["action"] for e in seen["timeline"] if e["actor_role"] in ("operator", "police")] == [
        "acknowledge",
        "assign",
        "en_route",
        "on_scene",
        "resolve",
    ]
    assert seen["response_time_s"] >= seen["dispatch_time_s"] >= 0
    assert seen["met_target"] is True
    assert alert_id not in [i["alert_id"] for i in operator.get("/v1/alerts").json()["items"]]
    closed = operator.get("/v1/alerts", params={"status": "resolved"}).json()["items"]
    assert alert_id in [i["alert_id"] for i in closed]
    # and the sender sees it closed, without who closed it
    mine = resident.get(f"/v1/alerts/{alert_id}").json()
    assert mine["status"] == "resolved"
    assert all("actor_id" not in e for e in mine["timeline"])


def test_an_officer_cannot_act_on_an_alert_their_car_does_not_have(local_stack):
    operator, police = local_stack.client("operator"), local_stack.client("police")
    resident = new_resident(local_stack)
    alert_id = resident.post(
        "/v1/alerts",
        json={"type": "suspicious_activity", "location": {"lat": LAT, "lon": LON}},
    ).json()["alert_id"]
    assert police.post(f"/v1/alerts/{alert_id}/actions", json={"action": "en_route"}).status_code == 403
    assert (
        operator.post(
            f"/v1/alerts/{alert_id}/actions", json={"action": "assign", "unit_id": "GC-02"}
        ).status_code
        == 200
    )
    refused = police.post(f"/v1/alerts/{alert_id}/actions", json={"action": "on_scene"})
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    operator.post(f"/v1/alerts/{alert_id}/actions", json={"action": "cancel", "note": "prueba"})
    assert unit(local_stack, "GC-02")["status"] == "available"
