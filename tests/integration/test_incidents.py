"""Incidents on the emulator: the lifecycle by operator and police, units following, the queue, times."""

import json
from decimal import Decimal

import pytest

from tests.integration.conftest import near_centre
from vigia import runtime

POLICE = {"sub": "officer-1", "email": "officer@city.example", "cognito:groups": "[police]"}
OTHER_POLICE = {"sub": "officer-2", "email": "officer2@city.example", "cognito:groups": "[police]"}


def alert_body(type_="robbery"):
    lat, lon = near_centre()
    return {"type": type_, "location": {"lat": lat, "lon": lon, "accuracy_m": 10}}


def first_cars() -> list[str]:
    """The running stack's city's first two units (Godoy Cruz's GC-01 and GC-02)."""
    return list(runtime.city_pack().units)[:2]


@pytest.fixture
def operator(staff_claims):
    return staff_claims("operator")


@pytest.fixture
def crewed(api, operator):
    """The city's first car (GC-01) is staffed by officer-1, its second (GC-02) by officer-2."""
    for unit, officer in zip(first_cars(), (POLICE, OTHER_POLICE), strict=True):
        answer = api("PUT", f"/v1/units/{unit}/crew", {"user_ids": [officer["sub"]]}, claims=operator)
        assert answer.status == 200, answer.body
    return POLICE


@pytest.fixture
def alert_id(api, citizen):
    answer = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims)
    assert answer.status == 202, answer.body
    return answer.json["alert_id"]


def act(api, alert_id, claims, action, **extra):
    return api("POST", f"/v1/alerts/{alert_id}/actions", {"action": action, **extra}, claims=claims)


def unit_status(api, claims, unit_id):
    items = api("GET", "/v1/units", claims=claims).json["items"]
    return next(u for u in items if u["unit_id"] == unit_id)


def sms_bodies(stack):
    return [json.loads(m["Body"]) for m in stack.queue_messages("SmsQueue", 50)]


@pytest.mark.cities
def test_an_alert_goes_from_received_to_resolved_by_operator_and_police(
    api, stack, alert_id, operator, crewed
):
    unit = first_cars()[0]  # Godoy Cruz's GC-01, Peñalolén's SP-01
    # Given a robbery alert and the city's first car staffed by officer-1
    assert unit_status(api, operator, unit)["status"] == "available"
    # When the operator acknowledges it and assigns the city's first car
    assert act(api, alert_id, operator, "acknowledge", note="llamando").status == 200
    assigned = act(api, alert_id, operator, "assign", unit_id=unit)
    assert assigned.status == 200, assigned.body
    assert assigned.json["status"] == "assigned"
    assert "dispatch_time_s" in assigned.json
    # Then the unit is responding and has been sent the address and type by SMS
    assert unit_status(api, operator, unit)["status"] == "responding"
    [task] = [t for t in sms_bodies(stack) if t["target"] == "assigned_unit"]
    assert task["recipient"] == stack.pack.units[unit].phone
    assert unit in task["body"]
    assert stack.pack.blocks[stack.alert_item(alert_id)["block_id"]].name in task["body"]
    # When the officer goes en route, arrives and resolves
    assert act(api, alert_id, crewed, "en_route").status == 200
    assert unit_status(api, operator, unit)["status"] == "responding"
    on_scene = act(api, alert_id, crewed, "on_scene")
    assert on_scene.status == 200, on_scene.body
    assert unit_status(api, operator, unit)["status"] == "on_scene"
    assert act(api, alert_id, crewed, "resolve", note="sin novedad").status == 200
    # Then the unit is available again and the alert shows its timeline and times
    assert unit_status(api, operator, unit)["status"] == "available"
    seen = api("GET", f"/v1/alerts/{alert_id}", claims=operator).json
    assert seen["status"] == "resolved"
    actions = [e["action"] for e in seen["timeline"] if e["actor_role"] != "system"]
    assert actions == ["acknowledge", "assign", "en_route", "on_scene", "resolve"]
    assert [e["actor_role"] for e in seen["timeline"][-3:]] == ["police"] * 3
    times = [e["at"] for e in seen["timeline"]]
    assert times == sorted(times)
    assert seen["dispatch_time_s"] <= seen["response_time_s"]
    assert seen["met_target"] is True  # seconds, against the city's target (Godoy Cruz's 7 minutes)
    item = stack.alert_item(alert_id)
    assert item["queue_status"] == "closed"
    assert item["on_scene_at"] >= item["assigned_at"] >= item["created_at"]


def test_the_sender_sees_the_steps_but_not_who_took_them(api, alert_id, citizen, operator):
    act(api, alert_id, operator, "acknowledge", note="interno")
    seen = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims).json
    assert seen["status"] == "acknowledged"
    entry = seen["timeline"][-1]
    assert entry == {"action": "acknowledge", "at": entry["at"], "actor_role": "operator"}


def test_an_invalid_transition_is_409_listing_the_allowed_actions(api, alert_id, operator):
    answer = act(api, alert_id, operator, "on_scene")
    assert answer.status == 409
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["alert_status"] in ("received", "dispatched")
    assert set(answer.json["allowed_actions"]) == {
        "acknowledge",
        "assign",
        "false_alarm",
        "cancel",
        "escalate",
    }
    act(api, alert_id, operator, "cancel")
    closed = act(api, alert_id, operator, "acknowledge")
    assert closed.status == 409
    assert closed.json["allowed_actions"] == []


def test_the_second_of_two_operators_acting_at_once_gets_409(stack, alert_id):
    from vigia import clock, runtime
    from vigia.incidents import lifecycle

    store = runtime.incidents()
    incident = store.incident(alert_id)
    now = clock.now()
    steps = [
        lifecycle.plan(
            incident,
            "acknowledge",
            actor=lifecycle.Actor(who, "operator"),
            now=now,
            response_target_s=420,
            units={},
        )
        for who in ("op-a", "op-b")
    ]
    store.write(steps[0], audit=[], deliveries=[])
    from vigia.incidents.service import StepRefused

    with pytest.raises(StepRefused) as refused:
        store.write(steps[1], audit=[], deliveries=[])
    assert refused.value.what == "alert"
    assert [e["actor_id"] for e in store.incident(alert_id).timeline] == ["op-a"]


def test_police_act_only_on_their_units_assignment(api, alert_id, operator, crewed):
    # Before any unit has it, no officer may touch it; officers never acknowledge or assign
    assert act(api, alert_id, crewed, "en_route").status == 403
    assert act(api, alert_id, crewed, "acknowledge").status == 403
    assert act(api, alert_id, crewed, "assign", unit_id="GC-01").status == 403
    act(api, alert_id, operator, "assign", unit_id="GC-02")
    # GC-02's officer may; GC-01's may not
    refused = act(api, alert_id, crewed, "en_route")
    assert refused.status == 403, refused.body
    assert act(api, alert_id, OTHER_POLICE, "en_route").status == 200
    assert act(api, alert_id, OTHER_POLICE, "false_alarm").status == 403


def test_reassigning_frees_the_first_unit(api, alert_id, operator, crewed):
    act(api, alert_id, operator, "assign", unit_id="GC-01")
    act(api, alert_id, crewed, "en_route")
    moved = act(api, alert_id, operator, "assign", unit_id="GC-02")
    assert moved.status == 200, moved.body
    assert unit_status(api, operator, "GC-01")["status"] == "available"
    assert unit_status(api, operator, "GC-02")["status"] == "responding"
    assert act(api, alert_id, crewed, "on_scene").status == 403  # no longer their assignment
    assert act(api, alert_id, OTHER_POLICE, "on_scene").status == 200


def test_a_busy_or_out_of_service_unit_cannot_be_assigned(api, citizen, other_citizen, operator):
    first = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims).json["alert_id"]
    second = api("POST", "/v1/alerts", alert_body(), claims=other_citizen.claims).json["alert_id"]
    act(api, first, operator, "assign", unit_id="GC-01")
    busy = act(api, second, operator, "assign", unit_id="GC-01")
    assert busy.status == 409
    assert busy.json["unit_alert_id"] == first
    # a unit on an incident cannot be taken out of service; a free one can, and is then not assignable
    assert api("POST", "/v1/units/GC-01/status", {"status": "out_of_service"}, claims=operator).status == 409
    out = api("POST", "/v1/units/GC-03/status", {"status": "out_of_service"}, claims=operator)
    assert out.status == 200, out.body
    assert out.json["status"] == "out_of_service"
    assert act(api, second, operator, "assign", unit_id="GC-03").status == 409
    unknown = act(api, second, operator, "assign", unit_id="GC-99")
    assert unknown.status == 400
    assert unknown.json["errors"][0]["path"] == "/unit_id"


def test_a_unit_left_on_an_alert_its_sender_cancelled_is_available_again(
    api, citizen, other_citizen, operator
):
    first = api("POST", "/v1/alerts", alert_body(), claims=citizen.claims).json["alert_id"]
    act(api, first, operator, "assign", unit_id="GC-01")
    assert api("POST", f"/v1/alerts/{first}/cancel", claims=citizen.claims).status == 202
    assert unit_status(api, operator, "GC-01")["status"] == "available"
    second = api("POST", "/v1/alerts", alert_body(), claims=other_citizen.claims).json["alert_id"]
    answer = act(api, second, operator, "assign", unit_id="GC-01")
    assert answer.status == 200, answer.body


def test_an_operator_cancelling_tells_the_dispatcher_and_frees_the_unit(api, stack, alert_id, operator):
    act(api, alert_id, operator, "assign", unit_id="GC-01")
    answer = act(api, alert_id, operator, "cancel", note="duplicada")
    assert answer.status == 200, answer.body
    assert "cancellation" in answer.json["notified"]
    events = [json.loads(m["Body"]) for m in stack.queue_messages("DispatchQueue", 50)]
    assert {"event_type": "AlertCancelled", "alert_id": alert_id}.items() <= events[-1].items()
    assert stack.alert_item(alert_id)["cancelled_at"]
    assert unit_status(api, operator, "GC-01")["status"] == "available"


@pytest.mark.cities
def test_escalating_an_alert_the_cad_never_got_hands_it_over_in_cap(api, stack, citizen, operator):
    alert_id = api("POST", "/v1/alerts", alert_body("suspicious_activity"), claims=citizen.claims).json[
        "alert_id"
    ]
    answer = act(api, alert_id, operator, "escalate", note="armas a la vista")
    assert answer.status == 200, answer.body
    assert answer.json["notified"] == ["provincial_police"]
    [task] = [json.loads(m["Body"]) for m in stack.queue_messages("WebhookQueue", 10)]
    assert (task["alert_id"], task["recipient"]) == (alert_id, "provincial_cad")
    assert "<scope>Restricted</scope>" in task["body"]


def test_escalation_hands_over_and_releases_the_unit(api, alert_id, operator):
    act(api, alert_id, operator, "assign", unit_id="GC-01")
    answer = act(api, alert_id, operator, "escalate", note="arma de fuego")
    assert answer.status == 200
    assert answer.json["status"] == "escalated"
    assert unit_status(api, operator, "GC-01")["status"] == "available"
    assert act(api, alert_id, operator, "resolve").json["queue_status"] == "closed"


def test_every_staff_action_is_audited(api, alert_id, operator, crewed):
    from vigia.adapters.dynamodb import audit

    act(api, alert_id, operator, "assign", unit_id="GC-01", note="más cercana")
    act(api, alert_id, crewed, "en_route")
    trail = audit.list_for(alert_id)
    assert [(e.action, e.actor_role, e.actor_id) for e in trail] == [
        ("assign", "operator", operator["sub"]),
        ("en_route", "police", POLICE["sub"]),
    ]
    assert trail[0].reason == "más cercana"
    assert [e.action for e in audit.list_for("GC-01")] == ["unit_crew"]


def test_bad_actions_get_a_problem_naming_the_field(api, alert_id, operator):
    for body, path in (
        ({"action": "teleport"}, "/action"),
        ({}, "/action"),
        ({"action": "assign"}, "/unit_id"),
        ({"action": "acknowledge", "unit_id": "GC-01"}, "/unit_id"),
        ({"action": "resolve", "colour": "red"}, "/colour"),
    ):
        answer = api("POST", f"/v1/alerts/{alert_id}/actions", body, claims=operator)
        assert answer.status == 400, (body, answer.body)
        assert path in [e["path"] for e in answer.json["errors"]], (body, answer.json)
    assert act(api, "01NOSUCHALERT", operator, "acknowledge").status == 404


# ------------------------------------------------------------------ the queue
def put_alerts(stack, rows):
    table = stack.table("AlertsTable")
    with table.batch_writer() as batch:
        for alert_id, priority, created_at, extra in rows:
            batch.put_item(
                Item={
                    "pk": alert_id,
                    "sk": "ALERT",
                    "type": extra.get("type", "robbery"),
                    "silent": False,
                    "priority": priority,
                    "sender_id": "someone",
                    "location": {"lat": Decimal("-32.9"), "lon": Decimal("-68.8")},
                    "block_id": "B-0001",
                    "quadrant_id": extra.get("quadrant_id", "Q-01"),
                    "status": extra.get("status", "received"),
                    "created_at": created_at,
                    "local_date": created_at[:10],
                    "queue_status": extra.get("queue_status", "open"),
                    "queue_order": f"{priority:02d}#{created_at}",
                }
            )


def test_the_queue_is_ordered_by_priority_then_age_and_paginates(api, stack, operator):
    put_alerts(
        stack,
        [
            ("A-low-old", 3, "2026-03-01T10:00:00.000Z", {"type": "suspicious_activity"}),
            ("A-high-new", 1, "2026-03-01T10:05:00.000Z", {"type": "panic"}),
            ("A-high-old", 1, "2026-03-01T10:01:00.000Z", {"type": "panic", "quadrant_id": "Q-02"}),
            ("A-mid", 2, "2026-03-01T09:00:00.000Z", {}),
            ("A-done", 1, "2026-03-01T08:00:00.000Z", {"status": "resolved", "queue_status": "closed"}),
        ],
    )
    seen, cursor = [], None
    while True:
        page = api(
            "GET",
            "/v1/alerts",
            claims=operator,
            query={"limit": "2", **({"cursor": cursor} if cursor else {})},
        )
        assert page.status == 200, page.body
        seen += [i["alert_id"] for i in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert seen == ["A-high-old", "A-high-new", "A-mid", "A-low-old"]
    panic_q2 = api("GET", "/v1/alerts", claims=operator, query={"type": "panic", "zone": "Q-02"}).json[
        "items"
    ]
    assert [i["alert_id"] for i in panic_q2] == ["A-high-old"]
    since = api("GET", "/v1/alerts", claims=operator, query={"since": "2026-03-01T10:00:30Z"}).json["items"]
    assert [i["alert_id"] for i in since] == ["A-high-old", "A-high-new"]
    closed = api("GET", "/v1/alerts", claims=operator, query={"status": "resolved"}).json
    assert [i["alert_id"] for i in closed["items"]] == ["A-done"]
    assert closed["queue"] == "closed"


def test_bad_queue_filters_get_a_problem_naming_the_parameter(api, operator):
    for params, path in (
        ({"status": "lost"}, "/status"),
        ({"status": "received,resolved"}, "/status"),
        ({"type": "alien_landing"}, "/type"),
        ({"zone": "Q-99"}, "/zone"),
        ({"since": "yesterday"}, "/since"),
        ({"limit": "0"}, "/limit"),
        ({"cursor": "%%%"}, "/cursor"),
    ):
        answer = api("GET", "/v1/alerts", claims=operator, query=params)
        assert answer.status == 400, (params, answer.body)
        assert answer.json["errors"][0]["path"] == path, params
    # a cursor of the document's shape that no page starts at (here: an open-queue cursor): 422
    for cursor in ("eyJhIjoiQSIsInEiOiJvcGVuIiwibyI6IjAxIn0", "MP47Eat07MG"):
        answer = api("GET", "/v1/alerts", claims=operator, query={"status": "resolved", "cursor": cursor})
        assert answer.status == 422, (cursor, answer.body)
        assert answer.json["errors"][0]["path"] == "/cursor"


@pytest.mark.cities
def test_units_come_from_the_city_pack_with_their_shifts(api, stack, staff_claims):
    items = api("GET", "/v1/units", claims=staff_claims("police")).json["items"]
    assert [u["unit_id"] for u in items] == list(stack.pack.units)
    assert {u["status"] for u in items} == {"available"}
    assert all(isinstance(u["on_duty"], bool) for u in items)
