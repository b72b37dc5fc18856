"""What the home plans for an alert raised in a partner city (vigia.dispatch.roaming): one federation
delivery, its Cancel naming the Report, and the fallback — her SMS in her locale and CAP to our own CAD."""

from __future__ import annotations

from datetime import timedelta

from tests.support import godoy_cruz_pack
from vigia import clock
from vigia.alerts.model import Alert
from vigia.api.validation import validate
from vigia.dispatch import roaming, tasks
from vigia.dispatch.protocol import FEDERATION, SMS, WEBHOOK, Sender
from vigia.federation.messages import read_message

PACK = godoy_cruz_pack()
CREATED = clock.parse_iso("2026-03-14T22:05:07.123Z")
ALERT = Alert(
    alert_id="01JQ8Z4C3M0000000000000000",
    type="robbery",
    silent=False,
    priority=2,
    sender_id="u-1",
    lat=-33.4712,
    lon=-70.5601,
    accuracy_m=12.0,
    note=None,
    block_id=None,
    quadrant_id=None,
    block_source=None,
    status="received",
    created_at=clock.iso(CREATED),
    local_date="2026-03-14",
    roaming={"partner": "penalolen", "status": "forwarding"},
)
ANA = Sender(
    "u-1", "Ana María Pérez", "+5492615550101", "Calle Falsa 123", "en", home_lat=-32.9, home_lon=-68.8
)


def test_a_forwarded_alert_is_one_federation_task_the_queue_schema_accepts():
    plan = roaming.plan_roaming(ALERT, PACK.alert_types["robbery"], PACK, sender=ANA)

    (delivery,) = plan.deliveries
    assert (delivery.channel, delivery.recipient, delivery.target) == (FEDERATION, "penalolen", "partner")
    validate("events/delivery-task.json", tasks.to_message(delivery, city_id=PACK.city_id))
    report = read_message(delivery.body.encode("utf-8"))
    assert report.distribution_id == f"godoy-cruz-{ALERT.alert_id}-report"
    assert report.alert is not None
    assert report.alert.caller_name == "Ana"
    assert report.alert.callback_phone == ANA.phone
    for never in ("Pérez", "María", "Calle Falsa"):
        assert never not in delivery.body


def test_every_try_is_the_same_report():
    first = roaming.plan_roaming(ALERT, PACK.alert_types["robbery"], PACK, sender=ANA)
    again = roaming.plan_roaming(ALERT, PACK.alert_types["robbery"], PACK, sender=ANA)
    assert first.deliveries[0].body == again.deliveries[0].body


def test_the_cancel_names_the_report_and_goes_the_same_way():
    plan = roaming.plan_cancel(ALERT, PACK, "penalolen", cancelled_at=CREATED + timedelta(seconds=40))

    (delivery,) = plan.deliveries
    validate("events/delivery-task.json", tasks.to_message(delivery, city_id=PACK.city_id))
    cancel = read_message(delivery.body.encode("utf-8"))
    assert cancel.kind == "Cancel"
    assert cancel.in_reply_to == f"godoy-cruz-{ALERT.alert_id}-report"


def test_the_fallback_texts_her_in_her_locale_and_gives_our_cad_the_place():
    plan = roaming.plan_fallback(
        ALERT, PACK.alert_types["robbery"], PACK, sender=ANA, partner_name="Peñalolén"
    )

    by_channel = {d.channel: d for d in plan.deliveries}
    assert set(by_channel) == {SMS, WEBHOOK}
    sms = by_channel[SMS]
    assert sms.recipient == ANA.phone
    assert sms.locale == "en"
    assert "did not confirm your Robbery alert" in sms.body
    cap = by_channel[WEBHOOK]
    assert cap.target == "provincial_police"
    assert "-33.471200,-70.560100" in cap.body
    assert "Peñalolén" in cap.body
    for delivery in plan.deliveries:
        validate("events/delivery-task.json", tasks.to_message(delivery, city_id=PACK.city_id))


def test_the_fallback_is_due_at_the_partners_deadline_or_on_the_last_attempt():
    early = CREATED + timedelta(seconds=20)
    assert roaming.fallback_due(ALERT, 60, now=early, last_attempt=False) == 40.0
    assert roaming.fallback_due(ALERT, 60, now=early, last_attempt=True) is None
    assert roaming.fallback_due(ALERT, 60, now=CREATED + timedelta(seconds=61), last_attempt=False) is None
