"""A city on SmsChannel=end_user_messaging: an alert's neighbours get their SMS through AWS End User Messaging
SMS (the local stack's fake SendTextMessage, as moto has none), from the city's short code, exactly once —
through redelivery, throttling and a refusal that needs a person."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest

from infra.local.fake_cad import FakeCad
from infra.local.fake_sms_voice import FakeSmsVoice
from tests.integration.conftest import NEAR_CENTRE
from tests.integration.dispatch_harness import announce, deliveries, dlq_depth, outbox, pump, seed
from vigia import runtime

BLOCK = "B-0001"  # the block that holds NEAR_CENTRE, where the `citizen` fixture lives
SHORT_CODE = "28282"
CONFIGURATION_SET = "vigia-godoy-cruz"


@pytest.fixture
def eum(stack, tmp_path, monkeypatch):
    """The stack as deployed with SmsChannel=end_user_messaging, the fake End User Messaging listening."""
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.environment["CAD_SECRET_ARN"])
    cad = FakeCad(secret=secret["SecretString"]).start()
    fake = FakeSmsVoice().start()
    box = tmp_path / "outbox.jsonl"
    for key, value in {
        "VIGIA_OUTBOX_PATH": str(box),
        "SMS_SENDS_PER_S": "0",
        "DELIVERY_RETRY_BASE_S": "0",
        "PROVINCIAL_CAD_URL": cad.url,
        "CAD_ATTEMPTS": "1",
        "SMS_CHANNEL": "end_user_messaging",
        "SMS_ORIGINATION_IDENTITY": SHORT_CODE,
        "SMS_CONFIGURATION_SET": CONFIGURATION_SET,
        "SMS_VOICE_ENDPOINT_URL": fake.url,
    }.items():
        monkeypatch.setenv(key, value)
    runtime.reset()
    yield SimpleNamespace(fake=fake, outbox_path=box)
    fake.stop()
    cad.stop()


def raise_alert(api, stack, citizen) -> str:
    lat, lon = NEAR_CENTRE
    answer = api(
        "POST",
        "/v1/alerts",
        {"type": "robbery", "location": {"lat": lat, "lon": lon, "accuracy_m": 8}},
        claims=citizen.claims,
    )
    assert answer.status == 202, answer.body
    alert_id = answer.json["alert_id"]
    announce(stack, alert_id)
    return alert_id


def sns_sms_count() -> int:
    from moto.sns.models import sns_backends

    return len(sns_backends["123456789012"]["us-east-1"].sms_messages)


def test_neighbours_hear_of_a_robbery_through_end_user_messaging_from_the_short_code_once(
    api, stack, citizen, eum
):
    # Given a city sending SMS through End User Messaging from its short code, and neighbours on the block
    neighbours = seed(BLOCK, 6)
    phones = {p.phone for p in neighbours}
    # When a robbery is raised and every message is handed over twice (SQS redelivers; the relay repeats)
    alert_id = raise_alert(api, stack, citizen)
    announce(stack, alert_id)
    pump(stack, twice=True)
    # Then each neighbour got one SMS, through End User Messaging, from the city's short code
    sent = [m for m in outbox(eum.outbox_path) if m["alert_id"] == alert_id and m["recipient"] in phones]
    assert Counter(m["recipient"] for m in sent) == dict.fromkeys(phones, 1)
    assert {m["channel"] for m in sent} == {"sms"}
    assert {m["sms_channel"] for m in sent} == {"end_user_messaging"}
    assert {m["origination_identity"] for m in sent} == {SHORT_CODE}
    # the provider was asked once per neighbour, transactional, in the city's configuration set
    asked = [r for r in eum.fake.received if r["DestinationPhoneNumber"] in phones]
    assert Counter(r["DestinationPhoneNumber"] for r in asked) == dict.fromkeys(phones, 1)
    assert {(r["OriginationIdentity"], r["ConfigurationSetName"], r["MessageType"]) for r in asked} == {
        (SHORT_CODE, CONFIGURATION_SET, "TRANSACTIONAL")
    }
    # each request names its delivery in Context, which the provider's delivery events carry
    assert {r["Context"]["vigia_delivery"] for r in asked} == {f"{alert_id}#alert#sms#{p}" for p in phones}
    # and nothing went through SNS
    assert sns_sms_count() == 0
    assert {r["status"] for r in deliveries(stack, alert_id) if r.get("channel") == "sms"} == {"sent"}


def test_a_throttled_send_is_retried_and_still_sent_once(api, stack, citizen, eum):
    # Given End User Messaging throttles the next several calls (more than one SQS receive's worth of
    # botocore retries)
    neighbours = seed(BLOCK, 3)
    phones = {p.phone for p in neighbours}
    eum.fake.fail_next(4, "ThrottlingException")
    # When a robbery is dispatched
    alert_id = raise_alert(api, stack, citizen)
    pump(stack, twice=True)
    # Then every neighbour still gets exactly one SMS, and nothing is left in the SMS DLQ
    sent = [m for m in outbox(eum.outbox_path) if m["alert_id"] == alert_id and m["recipient"] in phones]
    assert Counter(m["recipient"] for m in sent) == dict.fromkeys(phones, 1)
    assert eum.fake.failed == 4
    assert dlq_depth(stack, "SmsDLQ") == 0


def test_a_refused_origination_dead_letters_the_sms_and_says_it_is_permanent(api, stack, citizen, eum):
    # Given End User Messaging refuses every send (an unregistered origination identity)
    seed(BLOCK, 2)
    eum.fake.fail_next(10_000, "ValidationException")
    # When a robbery is dispatched
    alert_id = raise_alert(api, stack, citizen)
    pump(stack)
    # Then no SMS left, the SMS deliveries are dead letters whose last error says a redrive alone cannot help
    sms = [r for r in deliveries(stack, alert_id) if r.get("channel") == "sms"]
    assert sms
    assert {r["status"] for r in sms} == {"dead_letter"}
    assert all("ValidationException (permanent" in r["last_error"] for r in sms)
    assert not [m for m in outbox(eum.outbox_path) if m["alert_id"] == alert_id and m["channel"] == "sms"]
    assert dlq_depth(stack, "SmsDLQ") == len(sms)
