"""Roaming a silent alarm (issue 15): only where the agreement says `silent_alarms`, and then only to the
partner's response team, sealed on both sides as at home.

The home (Godoy Cruz) forwards to a stand-in Peñalolén (tests/integration/test_federation_forwarding.py);
as host, Godoy Cruz takes a signed Report from Las Heras (tests/integration/test_federation_receiving.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.local.engine.pumps import drain_all
from tests.integration.dispatch_harness import deliveries, outbox
from tests.integration.silent_support import Pumps, register_victim
from tests.integration.test_federation_forwarding import IN_PENALOLEN, PARTNER, roaming  # noqa: F401
from tests.integration.test_federation_receiving import OTHER, post, report, visitor_alerts, write_agreement
from tests.support.template_pumps import queue_pump
from vigia import clock, runtime

SILENT = "domestic_violence"
QUEUES = ("SilentQueue", "DispatchQueue", "SmsQueue", "SirenQueue", "WebhookQueue", "FederationQueue")
ROAMING_TYPES = ["robbery", "suspicious_activity", "medical_emergency", "fire", "panic", SILENT]


@pytest.fixture
def victim(api, staff_claims):
    return register_victim(api, staff_claims)


def raise_abroad(api, victim) -> Any:
    lat, lon = IN_PENALOLEN
    body = {"type": SILENT, "location": {"lat": lat, "lon": lon, "accuracy_m": 8}, "note": "en el auto"}
    return api("POST", "/v1/alerts", body, claims=victim.claims)


def agree_both_ways(roaming) -> None:  # noqa: F811
    """Both agreements say silent_alarms and list the type: ours, and the stand-in Peñalolén's."""
    roaming.agree(alert_types=ROAMING_TYPES, silent_alarms=True)
    theirs = roaming.stand_in.agreement
    (home,) = theirs.partners
    home = replace(home, alert_types=home.alert_types | {SILENT}, silent_alarms=True)
    roaming.stand_in.agreement = replace(theirs, partners=(home,))


def run(stack) -> None:
    """The Alerts stream into the relay, then every queue a silent alarm can cross, the federation's too."""
    Pumps(stack).stream()
    drain_all([queue_pump(stack, queue) for queue in QUEUES], rounds=500)


def her_details(victim, body: str) -> list[str]:
    """What of her (beyond the first name and phone the Report carries) a text shows."""
    me = victim.details
    surname = me["full_name"].split()[1]
    return [s for s in (surname, me["national_id"], me["email"], me["address"], "en el auto") if s in body]


# ------------------------------------------------------------------ the home's side


def test_a_silent_alarm_roams_only_where_the_agreement_says_so(api, stack, victim, roaming):  # noqa: F811
    assert raise_abroad(api, victim).status == 422  # the committed agreement: silent_alarms false
    roaming.agree(alert_types=ROAMING_TYPES)  # the type listed, silent_alarms still not said
    assert raise_abroad(api, victim).status == 422
    roaming.agree(alert_types=["robbery"], silent_alarms=True)  # said, but the type is not exchanged
    assert raise_abroad(api, victim).status == 422
    assert stack.alerts_of(victim.user_id) == []


def test_where_agreed_it_is_sealed_at_home_and_reaches_the_partner_once_with_no_one_else_told(
    api,
    stack,
    victim,
    roaming,  # noqa: F811
):
    agree_both_ways(roaming)
    answer = raise_abroad(api, victim)
    assert answer.status == 202, answer.body
    # her app's answer is the neutral one of every silent alarm: whoever holds the phone learns nothing
    assert set(answer.json) == {"alert_id", "status", "created_at"}
    alert_id = answer.json["alert_id"]
    item = stack.alert_item(alert_id)
    assert item["roaming"] == {"partner": PARTNER, "status": "forwarding"}
    assert item["type"] == "silent"  # sealed as at home
    assert item.get("sealed")
    stored = json.dumps(item, default=str)
    assert her_details(victim, stored) == []
    assert f"{IN_PENALOLEN[0]:.4f}" not in stored
    assert victim.details["phone"] not in stored

    run(stack)

    (message,) = roaming.stand_in.accepted  # one Report, verified with the home's key
    assert message.kind == "Report"
    assert message.alert is not None
    assert message.alert.alert_type == SILENT
    assert message.alert.caller_name == victim.details["full_name"].split()[0]  # her first name only
    assert message.alert.callback_phone == victim.details["phone"]  # so the team can call her
    assert (message.alert.lat, message.alert.lon) == pytest.approx(IN_PENALOLEN, abs=1e-5)
    assert her_details(victim, roaming.stand_in.bodies[0].decode("utf-8")) == []
    # nothing local: no SMS (not to her, not to our team), no siren, no CAD
    assert roaming.sent("sms") == []
    assert roaming.sent("siren") == []
    assert roaming.fake_cad.received == []
    assert [(r["channel"], r["status"]) for r in deliveries(stack, alert_id)] == [("federation", "sent")]
    assert stack.alert_item(alert_id)["roaming"]["status"] == "delivered"
    # the router's opening of her envelope is on the trail, as at home
    trail = [i for i in stack.table("AuditTable").scan()["Items"] if i.get("target_id") == alert_id]
    assert ("SilentRouterFunction", "unseal") in {(e["actor_id"], e["action"]) for e in trail}


def test_partner_down_our_response_team_is_told_never_her_phone_then_delivered_once(
    api,
    stack,
    victim,
    roaming,  # noqa: F811
    monkeypatch,
):
    agree_both_ways(roaming)
    roaming.stand_in.mode = "down"
    alert_id = raise_abroad(api, victim).json["alert_id"]
    later = clock.now() + timedelta(seconds=61)  # past Peñalolén's deadline_s (60)
    monkeypatch.setattr(clock, "now", lambda: later)
    run(stack)

    team = set(stack.pack.dispatch.response_team)
    sent = roaming.sent("sms")
    assert {m["recipient"] for m in sent} == team  # our response team, each once, and nobody else
    assert len(sent) == len(team)
    for line in sent:
        assert "Peñalolén" in line["body"]  # where, roughly: the partner city
        assert alert_id in line["body"]
        assert her_details(victim, line["body"]) == []
        assert victim.details["phone"] not in line["body"]
        assert victim.details["full_name"].split()[0] not in line["body"]
    assert roaming.fake_cad.received == []  # no CAD: the place is sealed, the team decides
    assert stack.alert_item(alert_id)["roaming"]["status"] == "fallback"

    roaming.stand_in.mode = "up"  # the partner comes back; the dead letter is redriven
    assert runtime.redrive()("federation") == 1
    run(stack)
    run(stack)
    assert len(roaming.stand_in.accepted) == 1  # delivered once
    assert len(roaming.sent("sms")) == len(team)  # the team told once
    assert stack.alert_item(alert_id)["roaming"]["status"] == "delivered"


# ------------------------------------------------------------------ the host's side


@pytest.fixture
def las_heras(stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Godoy Cruz as host, its agreement with Las Heras saying silent_alarms (Peñalolén's does not)."""
    path = tmp_path / "federation.json"
    found = write_agreement(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    next(p for p in document["partners"] if p["partner_id"] == OTHER)["silent_alarms"] = True
    path.write_text(json.dumps(document), encoding="utf-8")
    box = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("FEDERATION_AGREEMENT_PATH", str(path))
    monkeypatch.setenv("VIGIA_OUTBOX_PATH", str(box))
    monkeypatch.setenv("SMS_SENDS_PER_S", "0")
    runtime.reset()
    return found, box


def test_the_host_seals_a_partners_silent_alarm_and_tells_its_response_team_only(
    api, stack, staff_claims, las_heras
):
    found, box = las_heras
    body, signature = report(found[OTHER], alert_type=SILENT, distribution_id="lh-S1-report", alert_id="S1")
    answer = post(api, body, signature)
    assert answer.status == 200, answer.body  # the signed Ack

    (item,) = visitor_alerts(stack)
    alert_id = item["pk"]
    assert item["type"] == "silent"
    assert item.get("sealed")
    assert item["visitor"]["partner"] == OTHER
    stored = json.dumps(item, default=str)
    assert "Ana" not in stored  # her name and phone only in the envelope
    assert "+56912345678" not in stored
    # in the operators' queue as any silent alarm: sealed, no action, the response team's to handle
    queue = api("GET", "/v1/alerts", claims=staff_claims("operator"))
    (row,) = [row for row in queue.json["items"] if row["alert_id"] == alert_id]
    assert (row["actions"], row["handled_by"]) == ([], "response_team")
    assert "Ana" not in json.dumps(row)
    assert "+56912345678" not in json.dumps(row)
    seen = api("GET", f"/v1/alerts/{alert_id}", claims=staff_claims("operator"))
    assert seen.status == 200
    assert "Ana" not in seen.body
    assert "+56912345678" not in seen.body

    run(stack)

    team = set(stack.pack.dispatch.response_team)
    sent = [m for m in outbox(box) if m["channel"] == "sms"]
    assert {m["recipient"] for m in sent} == team  # neutral SMS, the team only, each once
    assert len(sent) == len(team)
    assert all("Ana" not in m["body"] and "+56912345678" not in m["body"] for m in sent)
    assert stack.queue_messages("DispatchQueue") == []  # never the public fan-out
    # the response team opens it (audited) and sees whom to call back
    read = api(
        "GET",
        f"/v1/silent-alerts/{alert_id}",
        claims=staff_claims("response_team"),
        headers={"X-Reason": "llamar a la visitante"},
    )
    assert read.status == 200, read.body
    assert (read.json["sender"]["full_name"], read.json["sender"]["phone"]) == ("Ana", "+56912345678")
    assert read.json["type"] == SILENT


def test_the_same_silent_report_twice_is_one_sealed_alert(api, stack, las_heras):
    found, _ = las_heras
    first = report(found[OTHER], alert_type=SILENT, distribution_id="lh-S2-report", alert_id="S2")
    again = report(found[OTHER], alert_type=SILENT, distribution_id="lh-S2-again", alert_id="S2")
    assert post(api, *first).status == 200
    assert post(api, *again).status == 200  # another distributionID for the same home alert
    assert len(visitor_alerts(stack)) == 1
