"""People are sent to where the alert is: every message names the alert's block and a map link of the
reported coordinates; the sender's home address only when the alert was raised at home (issue 10, rule 5)."""

from __future__ import annotations

import html

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import godoy_cruz_pack
from vigia.alerts.submission import Alert
from vigia.city.geo import haversine_m
from vigia.dispatch import cap, protocol, sms_text
from vigia.dispatch.protocol import Neighbour, Sender, Told
from vigia.incidents import notices
from vigia.incidents.lifecycle import Incident

PACK = godoy_cruz_pack()
HOME_BLOCK = PACK.blocks["B-0001"]  # Perito Moreno y Rivadavia, quadrant Q-01
FAR_BLOCK = PACK.blocks["B-0481"]  # Belgrano y Uruguay, quadrant Q-08, about 2.8 km away
HOME_ADDRESS = "Castelli y Bolivia 1234"
PUBLIC_TYPES = [code for code, t in PACK.alert_types.items() if not t.silent]
TEXT_TARGETS = {"neighbours", "community_police", "medical", "fire", "sender_confirmation"}
CREATED = "2026-03-14T21:07:12.345Z"


def sender_at(block) -> Sender:
    lat, lon = block.centroid
    return Sender("u-sender", "Maria Gonzalez", "+5492615550999", HOME_ADDRESS, "es-AR", lat, lon)


def alert_at(block, type_: str = "robbery", *, offset=(0.0002, -0.0001), block_source="location") -> Alert:
    lat, lon = block.centroid[0] + offset[0], block.centroid[1] + offset[1]
    return Alert(
        "01JQ8Z6V4M3K2N1P0R9S8T7V6W",
        type_,
        False,
        2,
        "u-sender",
        lat,
        lon,
        12.0,
        None,
        block.block_id,
        block.quadrant_id,
        block_source,
        "received",
        CREATED,
        CREATED[:10],
    )


def map_link(alert: Alert) -> str:
    return f"mlat={alert.lat:.5f}&mlon={alert.lon:.5f}"


def texts_of(plan: protocol.Plan) -> list[tuple[str, str]]:
    """(target, readable text) of every SMS and of the CAP's headline, description and area."""
    out = []
    for d in plan.deliveries:
        if d.channel == protocol.SMS:
            out.append((d.target, d.body))
        elif d.channel == protocol.WEBHOOK:
            root = cap.parse(d.body.encode())
            ns = {"cap": cap.CAP_NS}
            for tag in ("headline", "description"):
                out.append(
                    (f"cap:{tag}", html.unescape(root.findtext(f".//cap:info/cap:{tag}", namespaces=ns)))
                )
            out.append(("cap:areaDesc", root.findtext(".//cap:area/cap:areaDesc", namespaces=ns)))
    return out


def plan_for(alert: Alert, sender: Sender) -> protocol.Plan:
    people = [Neighbour(f"n-{i}", f"+549261555{i:04d}", "es-AR" if i % 2 else "en") for i in range(4)]
    return protocol.plan_alert(alert, PACK.alert_types[alert.type], PACK, sender=sender, neighbours=people)


# ------------------------------------------------------------------ raised away from home
@pytest.mark.parametrize("type_", PUBLIC_TYPES)
def test_an_alert_raised_on_a_far_block_names_that_block_and_a_map_of_it_never_the_home(type_):
    # Given a resident living on B-0001 who raises an alert on B-0481, in another quadrant
    sender = sender_at(HOME_BLOCK)
    alert = alert_at(FAR_BLOCK, type_)
    assert FAR_BLOCK.quadrant_id != HOME_BLOCK.quadrant_id
    # When the protocol runs
    texts = texts_of(plan_for(alert, sender))
    # Then every SMS and the CAP name B-0481's place, link to the reported point, and not her home
    assert texts
    for target, text in texts:
        assert FAR_BLOCK.name in text, (target, text)
        assert HOME_ADDRESS not in text, (target, text)
        assert HOME_BLOCK.name not in text, (target, text)
        if target != "cap:areaDesc":  # the area carries the circle of the point itself
            assert map_link(alert) in text, (target, text)


def test_the_cap_area_is_the_far_block_and_a_circle_at_the_reported_point():
    alert = alert_at(FAR_BLOCK)
    [webhook] = [
        d for d in plan_for(alert, sender_at(HOME_BLOCK)).deliveries if d.channel == protocol.WEBHOOK
    ]
    root = cap.parse(webhook.body.encode())
    circle = root.findtext(".//cap:area/cap:circle", namespaces={"cap": cap.CAP_NS})
    assert circle.startswith(f"{alert.lat:.6f},{alert.lon:.6f} ")


# ------------------------------------------------------------------ raised at home
def test_an_alert_raised_at_home_adds_the_home_address_where_the_sender_is_disclosed():
    sender = sender_at(HOME_BLOCK)
    alert = alert_at(HOME_BLOCK, offset=(0.0001, 0.0001))  # about 15 m from her door
    texts = dict(texts_of(plan_for(alert, sender)))
    for target in ("community_police", "neighbours", "cap:headline", "cap:description"):
        assert HOME_ADDRESS in texts[target], (target, texts[target])
        assert HOME_BLOCK.name in texts[target], (target, texts[target])
        assert map_link(alert) in texts[target], (target, texts[target])


def test_an_alert_placed_on_the_home_block_because_the_phone_was_outside_adds_the_home_address():
    # block_source "home": the reported point fell outside every block, so the alert took her home block
    sender = sender_at(HOME_BLOCK)
    alert = alert_at(HOME_BLOCK, offset=(0.05, 0.05), block_source="home")
    texts = dict(texts_of(plan_for(alert, sender)))
    assert HOME_ADDRESS in texts["community_police"]
    assert map_link(alert) in texts["community_police"]


def test_a_step_that_hides_the_sender_never_adds_the_home_address_even_at_home():
    sender = sender_at(HOME_BLOCK)
    alert = alert_at(HOME_BLOCK, "suspicious_activity", offset=(0.0001, 0.0001))
    neighbours = [t for target, t in texts_of(plan_for(alert, sender)) if target == "neighbours"]
    assert neighbours
    assert all(HOME_ADDRESS not in t and HOME_BLOCK.name in t for t in neighbours)


# ------------------------------------------------------------------ cancellations, assignment, escalation
def test_cancellation_notices_name_the_alerts_place_and_map_not_the_home():
    alert = alert_at(FAR_BLOCK)
    told = [
        Told("sms", "neighbours", "+5492615550001", "es-AR"),
        Told("sms", "community_police", PACK.dispatch.community_police[0], "es-AR"),
        Told("webhook", "provincial_police", protocol.PROVINCIAL_CAD, "es-AR"),
    ]
    plan = protocol.plan_cancel(alert, PACK.alert_types["robbery"], PACK, told, cancelled_at=_at(CREATED))
    texts = texts_of(plan)
    assert len(texts) == 5
    for target, text in texts:
        assert FAR_BLOCK.name in text, (target, text)
        assert HOME_ADDRESS not in text
        if target != "cap:areaDesc":
            assert map_link(alert) in text, (target, text)


def incident_at(block, alert: Alert) -> Incident:
    return Incident(
        alert.alert_id,
        alert.type,
        2,
        False,
        alert.sender_id,
        alert.created_at,
        "acknowledged",
        block_id=block.block_id,
        quadrant_id=block.quadrant_id,
        lat=alert.lat,
        lon=alert.lon,
    )


def test_a_community_police_cars_assignment_names_the_block_and_a_map_of_the_point():
    alert = alert_at(FAR_BLOCK)
    sms = notices.unit_assignment(incident_at(FAR_BLOCK, alert), "GC-08", PACK)
    assert sms is not None
    assert FAR_BLOCK.name in sms.body
    assert map_link(alert) in sms.body


def test_an_escalation_to_the_cad_names_the_block_and_a_map_of_the_point():
    alert = alert_at(FAR_BLOCK, "suspicious_activity")  # its protocol does not call the CAD
    delivery = notices.escalation_to_cad(incident_at(FAR_BLOCK, alert), PACK)
    assert delivery is not None
    root = cap.parse(delivery.body.encode())
    headline = root.findtext(".//cap:info/cap:headline", namespaces={"cap": cap.CAP_NS})
    assert FAR_BLOCK.name in headline
    assert map_link(alert) in headline


def _at(iso: str):
    from vigia import clock

    return clock.parse_iso(iso)


# ------------------------------------------------------------------ for any block and any home
far_apart = st.tuples(st.sampled_from(sorted(PACK.blocks)), st.sampled_from(sorted(PACK.blocks))).filter(
    lambda pair: haversine_m(PACK.blocks[pair[0]].centroid, PACK.blocks[pair[1]].centroid) > 300
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=far_apart, type_=st.sampled_from(PUBLIC_TYPES))
def test_for_any_block_and_home_far_apart_messages_point_at_the_alert(pair, type_):
    home, where = PACK.blocks[pair[0]], PACK.blocks[pair[1]]
    alert = alert_at(where, type_, offset=(0.0, 0.0))
    for target, text in texts_of(plan_for(alert, sender_at(home))):
        assert where.name in text, (target, text)
        assert HOME_ADDRESS not in text, (target, text)
        if target != "cap:areaDesc":
            assert map_link(alert) in text, (target, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block_id=st.sampled_from(sorted(PACK.blocks)), type_=st.sampled_from(PUBLIC_TYPES))
def test_resident_sms_stay_within_two_parts_wherever_the_alert_is(block_id, type_):
    block = PACK.blocks[block_id]
    alert = alert_at(block, type_, offset=(0.0001, 0.0001))
    for d in plan_for(alert, sender_at(block)).deliveries:
        if d.channel == protocol.SMS and d.target in TEXT_TARGETS:
            assert sms_text.measure(d.body).parts <= 2, (d.target, d.body)
