"""A victim is never blocked because someone misused her phone: a suspended resident's silent alert counts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.silent_support import register_victim, silent_body


def test_a_suspended_residents_silent_alert_is_accepted_and_only_the_team_is_told(
    stack: Stack, api: Any, staff_claims: Any
) -> None:
    # Given a resident suspended after someone else's false alarms from her phone
    victim = register_victim(api, staff_claims)
    approved = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims)
    stack.set_resident_status(victim.user_id, "suspended")
    # When she sends a silent alert
    answer = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims)
    # Then it is accepted, with the same neutral answer as anyone's (the phone shows nothing else)
    assert answer.status == 202, answer.body
    assert set(answer.json) == set(approved.json) == {"alert_id", "status", "created_at"}
    assert "suspend" not in answer.body
    alert_id = answer.json["alert_id"]
    # And operators see the sealed view, without the flag
    sealed = api("GET", f"/v1/alerts/{alert_id}", claims=staff_claims("operator"))
    assert sealed.status == 200
    assert "suspend" not in sealed.body
    # And nothing in the stored record says so either (it is inside the envelope)
    assert "suspend" not in repr(stack.alert_item(alert_id))
    # And the response team, opening it, sees that her account is suspended
    opened = api(
        "GET",
        f"/v1/silent-alerts/{alert_id}",
        claims=staff_claims("response_team"),
        headers={"X-Reason": "primer contacto"},
    )
    assert opened.status == 200, opened.body
    assert opened.json["sender_suspended"] is True
    before = api(
        "GET",
        f"/v1/silent-alerts/{approved.json['alert_id']}",
        claims=staff_claims("response_team"),
        headers={"X-Reason": "primer contacto"},
    )
    assert before.json["sender_suspended"] is False
    # But a public alert from her is still refused, naming her status and the helpline
    public = api(
        "POST", "/v1/alerts", {**silent_body(victim, note=None), "type": "robbery"}, claims=victim.claims
    )
    assert public.status == 403
    assert public.json["resident_status"] == "suspended"


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_silent_alert_from_someone_not_yet_or_never_approved_is_refused(
    stack: Stack, api: Any, staff_claims: Any, status: str
) -> None:
    # Given a registration that is not approved (or was rejected)
    victim = register_victim(api, staff_claims)
    stack.set_resident_status(victim.user_id, status)
    # When a silent alert is sent from that account
    answer = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims)
    # Then it is refused with her status and the helpline to call
    assert answer.status == 403
    assert answer.json["resident_status"] == status
    assert answer.json["helpline"]
