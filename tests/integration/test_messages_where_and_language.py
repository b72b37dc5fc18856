"""What people receive, end to end on the emulator: every message sends them to where the alert is (its
block and a map of the reported point; the sender's home only when raised there), in the city's language.

One run collects everything the outbox got: neighbours', police and medical SMS, the sender's confirmation,
the CAP to the provincial CAD, a police car's assignment, cancellations, a suspension and a reinstatement.
"""

from __future__ import annotations

import re

import pytest

from tests.integration import test_dispatch_flow
from tests.integration.conftest import home_block_id, near_centre, staff
from tests.integration.dispatch_harness import announce, outbox, pump, seed
from vigia.dispatch import cap

HOME_ADDRESS = "Calle Vecina 123"  # the `citizen` fixture's, on home_block_id()
OPERATOR = staff("operator")
dispatch = test_dispatch_flow.dispatch  # the fixture: outbox on, the fake provincial CAD listening
ENGLISH = re.compile(
    r"\b(the|your|you|account|alert|alarms?|false|automatic|cancell?ed|suspended|approved|questions|please|"
    r"received|police|respond|reported|action|needed|handed|over|go|at|is|was|for|from|only|services|"
    r"window|resident|who|sent|home|stay|keep|safe|near|notified)\b",
    re.IGNORECASE,
)


def raise_alert(api, person, lat: float, lon: float, type_: str = "robbery") -> str:
    answer = api(
        "POST",
        "/v1/alerts",
        {"type": type_, "location": {"lat": lat, "lon": lon, "accuracy_m": 8}},
        claims=person.claims,
    )
    assert answer.status == 202, answer.body
    return answer.json["alert_id"]


def act(api, alert_id: str, action: str, **extra):
    answer = api("POST", f"/v1/alerts/{alert_id}/actions", {"action": action, **extra}, claims=OPERATOR)
    assert answer.status == 200, answer.body
    return answer


def map_of(lat: float, lon: float) -> str:
    return f"mlat={lat:.5f}&mlon={lon:.5f}"


def cap_text(body: str) -> str:
    root = cap.parse(body.encode())
    ns = {"cap": cap.CAP_NS}
    parts = [root.findtext(f"cap:{tag}", namespaces=ns) or "" for tag in ("restriction", "note")]
    for tag in ("event", "headline", "description", "instruction", "senderName"):
        parts += [e.text or "" for e in root.iterfind(f".//cap:info/cap:{tag}", ns)]
    parts += [e.text or "" for e in root.iterfind(".//cap:area/cap:areaDesc", ns)]
    return " ".join(parts)


@pytest.mark.cities
def test_messages_send_people_to_the_alert_in_the_citys_language(
    api, stack, citizen, other_citizen, dispatch
):
    home = stack.pack.blocks[home_block_id()]
    # a block in another quadrant than her home's, and a unit to send there
    far = next(b for b in stack.pack.blocks.values() if b.quadrant_id != home.quadrant_id)
    unit = (stack.pack.units_in(far.quadrant_id) or tuple(stack.pack.units.values()))[0]
    neighbours = {p.phone for p in seed(far.block_id, 3)}
    seed(home.block_id, 3, prefix="h")
    police = set(stack.pack.dispatch.community_police)
    sender_phone = stack.resident_item(citizen.user_id)["phone"]
    car = unit.phone
    far_lat, far_lon = far.centroid[0] + 0.0002, far.centroid[1] - 0.0001

    # When the citizen raises a robbery on the far block, and another at her door
    away = raise_alert(api, citizen, far_lat, far_lon)
    at_home = raise_alert(api, citizen, *near_centre())
    for alert_id in (away, at_home):
        announce(stack, alert_id)
    pump(stack)
    # and an operator sends a community-police car to the first; she cancels the second
    act(api, away, "acknowledge")
    act(api, away, "assign", unit_id=unit.unit_id)
    assert api("POST", f"/v1/alerts/{at_home}/cancel", claims=citizen.claims).status == 202
    # and as many of another resident's alerts as the city's policy allows are marked false (suspended),
    # then he is reinstated
    policy = stack.pack.settings.false_alarm_policy
    false_ones = [
        raise_alert(api, other_citizen, *near_centre(), type_="suspicious_activity")
        for _ in range(policy.strikes)
    ]
    answers = [act(api, a, "false_alarm") for a in false_ones]
    assert answers[-1].json.get("sender_suspended") is True
    reinstated = api(
        "POST",
        f"/v1/residents/{other_citizen.user_id}/reinstate",
        {"reason": "llamo y explico"},
        claims=OPERATOR,
    )
    assert reinstated.status == 200, reinstated.body
    pump(stack)

    sent = outbox(dispatch.outbox_path)
    sms = [m for m in sent if m["channel"] == "sms"]
    # Then every SMS about the far alert names its block and links to the reported point, never her home
    about_away = [m for m in sms if m["alert_id"] == away]
    reached = {m["recipient"] for m in about_away}
    assert neighbours | police | {sender_phone, car} <= reached, reached
    for m in about_away:
        assert far.name in m["body"], m
        assert map_of(far_lat, far_lon) in m["body"], m
        assert HOME_ADDRESS not in m["body"], m
        assert home.name not in m["body"], m
    # and so does the CAP the provincial CAD got: headline, description and area
    [away_cap] = [c for c in dispatch.cad.received if f"vigia-{stack.pack.city_id}-{away}<" in c["body"]]
    assert away_cap["valid"], away_cap["problems"]
    assert far.name in cap_text(away_cap["body"])
    assert map_of(far_lat, far_lon) in cap_text(away_cap["body"])
    assert HOME_ADDRESS not in away_cap["body"]
    # The alert raised at her door adds her address where the protocol names the sender
    police_at_home = [
        m for m in sms if m["alert_id"] == at_home and m["recipient"] in police and m["kind"] == "alert"
    ]
    assert police_at_home
    assert all(HOME_ADDRESS in m["body"] and home.name in m["body"] for m in police_at_home)
    # its cancellation tells where it was, with the map
    cancels = [m for m in sms if m["alert_id"] == at_home and m["kind"] == "cancel"]
    assert cancels
    assert all(home.name in m["body"] and "mlat=" in m["body"] for m in cancels)
    # the suspension and the reinstatement reached him
    his_phone = stack.resident_item(other_citizen.user_id)["phone"]
    notices = [m["body"] for m in sms if m.get("kind") == "notice" and m["recipient"] == his_phone]
    assert len(notices) == 2, notices
    assert policy.reason_text.format(count=policy.strikes, days=policy.window_days) in notices[0]
    assert "falsas alarmas" in notices[0]

    # And nothing anyone received speaks English: the city's residents and officers read its Spanish
    readable = [m["body"] for m in sms] + [cap_text(c["body"]) for c in dispatch.cad.received]
    assert len(readable) > 15
    english = {text: ENGLISH.findall(text) for text in readable if ENGLISH.findall(text)}
    assert not english, english
