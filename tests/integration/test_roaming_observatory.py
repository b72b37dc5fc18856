"""Roaming, both observatories stay honest (issue 15): the home's nightly indicators leave a resident's alert
forwarded to a partner city out of its ordinary counts and report it as raised abroad, the host's count
a visitor's alert where it happened and as a visitor's; the home's hot spots never read a forwarded alert;
the sender audits every message it sends (a Report, a Cancel, the host's Update) and every Ack it gets
back (no personal data in the trail).

The partner is test_federation_forwarding.py's stand-in Peñalolén (a signed Ack, or down).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from infra.local.engine.pumps import drain_all
from tests.integration.conftest import staff
from tests.integration.test_federation_forwarding import (
    HOME,
    IN_PENALOLEN,
    PARTNER,
    pump_all,
    relay,
    roaming,
    send,
)
from tests.integration.test_federation_receiving import partners, post, report, visitor_alerts
from tests.support import FakeContext
from tests.support.template_pumps import queue_pump
from vigia import clock, runtime
from vigia.dispatch import roaming as home_roaming

__all__ = ["partners", "roaming"]  # the fixtures, used by name


def run_night(day: str) -> Any:
    from vigia.handlers.nightly_indicators import lambda_handler

    return lambda_handler({"date": day}, FakeContext("NightlyIndicatorsFunction", 1024, remaining_ms=900_000))


def audit_lines(stack, action: str) -> list[dict[str, Any]]:
    return sorted(
        (i for i in stack.table("AuditTable").scan()["Items"] if i["action"] == action),
        key=lambda i: i["at"],
    )


def test_the_nightly_run_counts_a_forwarded_alert_as_raised_abroad_not_in_the_homes_counts(
    api, stack, citizen, roaming, staff_claims
):
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)
    day = stack.alert_item(alert_id)["local_date"]

    run = run_night(day)

    assert run["computed"][0]["alerts"] == 0  # none of the home's: its alert happened in Peñalolén
    answer = api(
        "GET",
        "/v1/indicators",
        claims=staff_claims("analyst"),
        query={"from": day, "to": day, "zone": "city", "type": "all"},
    )
    assert answer.status == 200, answer.body
    (city,) = answer.json["items"]
    assert city["count"] == 0
    assert city["raised_abroad"] == "<5"  # one alert: a small cell, held back, but there
    assert city["visitors"] == 0
    stored = stack.table("IndicatorsTable").get_item(Key={"pk": day, "sk": "city#all"})["Item"]
    assert json.loads(stored["stats"])["raised_abroad"] == 1  # kept exactly
    assert json.loads(stored["stats"])["count"] == 0
    blocks = stack.table("IndicatorsTable").query(
        KeyConditionExpression="pk = :d", ExpressionAttributeValues={":d": day}
    )["Items"]
    assert not [r for r in blocks if r["sk"].startswith("B-")]  # no block of Godoy Cruz saw it


def test_the_home_audits_the_report_and_cancel_it_sends_and_the_ack_it_gets(api, stack, citizen, roaming):
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)
    assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims).status == 202
    pump_all(stack)

    report, cancel = roaming.stand_in.accepted
    sent = audit_lines(stack, "federation_message_sent")
    assert [(a["target_id"], a["actor_role"]) for a in sent] == [(alert_id, "federation_sender")] * 2
    assert report.distribution_id in sent[0]["reason"]
    assert "Report" in sent[0]["reason"]
    assert PARTNER in sent[0]["reason"]
    assert cancel.distribution_id in sent[1]["reason"]
    assert "Cancel" in sent[1]["reason"]
    assert report.distribution_id == home_roaming.report_distribution_id(runtime.city_pack(), alert_id)
    (acked,) = audit_lines(stack, "federation_ack_received")  # a Cancel asks for no Ack
    assert acked["actor_id"] == PARTNER
    assert acked["target_id"] == alert_id
    assert report.distribution_id in acked["reason"]
    resident = stack.resident_item(citizen.user_id)
    for line in [*sent, acked]:
        for never in (resident["phone"], "Vecina", resident["national_id"], resident["address"]):
            assert str(never) not in json.dumps(line, default=str)


def test_every_attempt_to_a_partner_that_is_down_is_audited_as_failed(api, stack, citizen, roaming):
    roaming.stand_in.mode = "down"
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)

    attempts = len(roaming.stand_in.bodies)
    failed = audit_lines(stack, "federation_message_failed")
    assert attempts >= 2
    assert len(failed) == attempts  # one line per message sent, answered or not
    assert all(f["target_id"] == alert_id and "503" in f["reason"] for f in failed)
    assert audit_lines(stack, "federation_ack_received") == []


def test_the_hosts_nightly_run_counts_a_visitor_alert_where_it_happened_and_in_visitors(
    api, stack, partners, staff_claims
):
    body, signature = report(partners["penalolen"])
    assert post(api, body, signature).status == 200
    (visitor,) = visitor_alerts(stack)
    day, block = visitor["local_date"], visitor["block_id"]

    run = run_night(day)

    assert run["computed"][0]["alerts"] == 1  # it happened here: the host's police answered it
    for zone in ("city", block):
        answer = api(
            "GET",
            "/v1/indicators",
            claims=staff_claims("analyst"),
            query={"from": day, "to": day, "zone": zone, "type": "robbery"},
        )
        assert answer.status == 200, answer.body
        (row,) = answer.json["items"]
        assert row["count"] == 1, (zone, row)
        assert row["visitors"] == "<5"  # one visitor: a small cell, held back
    stored = stack.table("IndicatorsTable").get_item(Key={"pk": day, "sk": "city#all"})["Item"]
    assert json.loads(stored["stats"])["visitors"] == 1
    assert json.loads(stored["stats"])["raised_abroad"] == 0


def test_the_homes_hot_spots_read_no_forwarded_alert(api, stack, citizen, roaming):
    from vigia.adapters.dynamodb.alerts import DynamoAlertHistory

    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)
    day = stack.alert_item(alert_id)["local_date"]

    assert list(DynamoAlertHistory().on_date(day)) == []  # its point is in Peñalolén, never a hot spot here


def test_the_host_audits_the_update_it_sends_and_the_homes_ack(api, stack, partners, monkeypatch):
    from vigia.federation.forwarding import Answer
    from vigia.federation.jws import sign_detached
    from vigia.federation.messages import Envelope, ack, read_message

    body, signature = report(partners["penalolen"])
    assert post(api, body, signature).status == 200
    (visitor,) = visitor_alerts(stack)
    answer = api(
        "POST", f"/v1/alerts/{visitor['pk']}/actions", {"action": "acknowledge"}, claims=staff("operator")
    )
    assert answer.status == 200, answer.body
    sent_ids: list[str] = []

    def home_answers(*, alert_id: str, kind: str) -> Any:  # the home city Acks the Update, signed
        def post_it(url: str, sent: bytes, header: str) -> Answer:
            update = read_message(sent)
            sent_ids.append(update.distribution_id)
            now = clock.now().replace(microsecond=0)
            envelope = Envelope(
                f"ack-{update.distribution_id}", "penalolen", HOME, now, now + timedelta(minutes=5)
            )
            answer = ack(envelope, references=update.reference)
            return Answer(200, answer, sign_detached(answer, partners["penalolen"].signer()))

        return post_it

    monkeypatch.setattr(runtime, "post_to_partner", home_answers)
    drain_all([queue_pump(stack, "FederationQueue")], rounds=50)

    (update_id,) = sent_ids
    (sent,) = audit_lines(stack, "federation_message_sent")
    assert sent["target_id"] == visitor["pk"]
    assert sent["reason"] == f"Update {update_id} to penalolen: HTTP 200"
    (acked,) = audit_lines(stack, "federation_ack_received")
    assert (acked["actor_id"], acked["target_id"]) == ("penalolen", visitor["pk"])
    assert update_id in acked["reason"]
