"""A silent alert on the emulator, hop by hop: sealed at intake, routed apart by the relay, sent to the
response team only by the SilentRouter, readable in full only by the response team, each read audited."""

from __future__ import annotations

import json

import pytest

from tests.integration.silent_support import (
    SILENT_TYPE,
    Pumps,
    neighbours,
    outbox,
    queue_depth,
    register_victim,
    silent_body,
)
from vigia import runtime


@pytest.fixture
def outbox_path(stack, tmp_path, monkeypatch):
    path = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("VIGIA_OUTBOX_PATH", str(path))
    runtime.reset()
    return path


@pytest.fixture
def victim(api, staff_claims):
    return register_victim(api, staff_claims)


def send_silent(api, victim, **headers):
    answer = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims, headers=headers)
    assert answer.status == 202, answer.body
    return answer


def leaks(text: str, victim) -> list[str]:
    return [secret for secret in victim.secrets() if secret in text]


def test_the_app_gets_a_neutral_202_and_the_record_keeps_only_what_others_may_see(api, victim, stack):
    # When she sends a domestic-violence alert
    answer = send_silent(api, victim)
    # Then the app's answer names neither the type nor anything about her
    assert set(answer.json) == {"alert_id", "status", "created_at"}
    assert answer.json["status"] == "received"
    # And the stored record keeps the category, the quadrant, the time and the status — and a sealed envelope
    item = stack.alert_item(answer.json["alert_id"])
    assert item["type"] == "silent"
    assert item["silent"] is True
    assert item["quadrant_id"]
    assert item["status"] == "received"
    assert item["created_at"]
    assert item["sender_id"] == f"sealed#{answer.json['alert_id']}"
    assert not {"location", "block_id", "note", "block_source"} & {
        k for k, v in item.items() if v is not None
    }
    assert item["sealed"]
    assert SILENT_TYPE not in json.dumps(item, default=str)
    assert leaks(json.dumps(item, default=str), victim) == []
    assert victim.user_id not in json.dumps(item, default=str)


def test_a_retry_with_the_same_key_gets_the_same_alert_and_the_claim_names_no_one(api, victim, stack):
    first = send_silent(api, victim, **{"Idempotency-Key": "tap-5f0e"})
    again = send_silent(api, victim, **{"Idempotency-Key": "tap-5f0e"})
    assert first.json == again.json
    items = stack.table("IdempotencyTable").scan()["Items"]
    claims = [i for i in items if i["pk"].startswith("alert#")]  # the rest: the silent limit's window
    assert len(claims) == 1
    stored = json.dumps(claims, default=str)
    assert victim.user_id not in stored
    assert "tap-5f0e" not in stored


def test_the_relay_routes_it_to_the_silent_queue_never_to_alert_events(api, victim, stack):
    alert_id = send_silent(api, victim).json["alert_id"]
    Pumps(stack).stream()
    assert stack.queue_messages("DispatchQueue") == []
    [message] = stack.queue_messages("SilentQueue")
    event = json.loads(message["Body"])
    from vigia.api.validation import validate

    validate("events/silent-alert-created.json", event)
    assert event["alert_id"] == alert_id
    assert leaks(message["Body"], victim) == []
    assert SILENT_TYPE not in message["Body"]


@pytest.mark.cities
def test_only_the_response_team_is_texted_with_a_neutral_sms(api, victim, stack, outbox_path):
    # Given approved neighbours on her block
    alert_id = send_silent(api, victim).json["alert_id"]
    block_id = stack.resident_item(victim.user_id)["block_id"]
    phones = {n.phone for n in neighbours(block_id)}
    # When the stream and every queue are pumped
    pumps = Pumps(stack)
    pumps.run()
    # Then the response team's numbers got one SMS each, and nobody else got anything
    sent = outbox(outbox_path)
    team = set(stack.pack.dispatch.response_team)
    assert {line["recipient"] for line in sent} == team
    assert len(sent) == len(team)
    assert all(line["channel"] == "sms" for line in sent)
    assert not phones & {line["recipient"] for line in sent}
    for line in sent:
        assert alert_id in line["body"]
        assert leaks(line["body"], victim) == []
        assert "violencia" not in line["body"].lower()
    # And no dispatcher, siren or webhook function ever ran for it
    assert not {"DispatchQueue", "SirenQueue", "WebhookQueue"} & set(pumps.ran)
    assert stack.alert_item(alert_id)["status"] == "dispatched"


def test_the_router_audits_its_own_unsealing_and_a_redelivery_sends_nothing_twice(
    api, victim, stack, outbox_path
):
    alert_id = send_silent(api, victim).json["alert_id"]
    pumps = Pumps(stack)
    pumps.stream()
    [message] = stack.queue_messages("SilentQueue")
    from tests.integration.silent_support import _record
    from tests.support import FakeContext
    from vigia.handlers.silent_router import lambda_handler

    event = {"Records": [_record(message, "arn:aws:sqs:us-east-1:123456789012:silent")]}
    lambda_handler(event, FakeContext())
    lambda_handler(event, FakeContext())  # SQS hands it over again
    pumps.queues()
    assert len(outbox(outbox_path)) == len(stack.pack.dispatch.response_team)
    trail = api(
        "GET", "/v1/audit", query={"alert_id": alert_id}, claims={"sub": "a", "cognito:groups": "[admin]"}
    )
    assert {(e["actor_id"], e["actor_role"]) for e in trail.json["items"]} == {
        ("SilentRouterFunction", "system")
    }


@pytest.mark.cities
def test_staff_see_the_sealed_view_the_response_team_the_person_and_each_read_is_audited(
    api, victim, stack, staff_claims
):
    alert_id = send_silent(api, victim).json["alert_id"]
    # The operator, the police and the analyst see category, zone, time and status only
    for role in ("operator", "police", "analyst"):
        seen = api("GET", f"/v1/alerts/{alert_id}", claims=staff_claims(role))
        assert seen.status == 200, seen.body
        assert seen.json["category"] == "silent"
        assert seen.json["zone"]["quadrant_id"]
        assert leaks(seen.body, victim) == []
        assert SILENT_TYPE not in seen.body
    # The response team gets the sealed view here too (ApiFunction cannot decrypt), with where to open it
    linked = api("GET", f"/v1/alerts/{alert_id}", claims=staff_claims("response_team"))
    assert linked.status == 200
    assert linked.json["unsealed_view"] == f"/v1/silent-alerts/{alert_id}"
    assert leaks(linked.body, victim) == []
    # and there (SilentApiFunction) sees who she is, where she was, and where to refer her
    read = api(
        "GET",
        f"/v1/silent-alerts/{alert_id}",
        claims=staff_claims("response_team"),
        headers={"X-Reason": "primer contacto"},
    )
    assert read.status == 200, read.body
    assert read.headers.get("Cache-Control") == "no-store"
    body = read.json
    assert body["type"] == SILENT_TYPE
    assert body["sender"]["full_name"] == "Rosalía Quiroga Benavídez"
    assert body["sender"]["phone"] == victim.details["phone"]  # her country's mobile and national id
    assert body["sender"]["national_id"] == victim.details["national_id"]
    assert body["location"]["lat"] == pytest.approx(victim.lat)
    assert body["note"] == "está en la cocina con un cuchillo"
    # where her city refers her (Godoy Cruz's línea 144, Peñalolén's Fono 1455 and women's centre)
    assert {r["referral_id"] for r in body["referral_directory"]} == {
        r.referral_id for r in stack.pack.referral_directory
    }
    # Her own account, an admin and another resident get 404 (an abuser may hold her phone)
    assert api("GET", f"/v1/alerts/{alert_id}", claims=victim.claims).status == 404
    assert api("GET", f"/v1/alerts/{alert_id}", claims=staff_claims("admin")).status == 404
    # The admin reads the audit trail: one entry, the response team's, with its reason
    trail = api("GET", "/v1/audit", query={"alert_id": alert_id}, claims=staff_claims("admin"))
    assert trail.status == 200
    [entry] = trail.json["items"]
    assert (entry["actor_id"], entry["actor_role"]) == ("staff-response_team", "response_team")
    assert (entry["action"], entry["target_id"], entry["reason"]) == ("unseal", alert_id, "primer contacto")
    assert (
        api("GET", "/v1/audit", query={"alert_id": alert_id}, claims=staff_claims("operator")).status == 403
    )


def test_the_audit_route_without_a_filter_reads_the_latest_entries_and_refuses_a_malformed_alert_id(
    api, staff_claims
):
    """Since the trail is filterable (issue 12, docs/api.md), no filter is the newest entries, not a 400."""
    answer = api("GET", "/v1/audit", claims=staff_claims("admin"))
    assert answer.status == 200
    assert set(answer.json) == {"items", "next_cursor"}
    bad = api("GET", "/v1/audit", query={"alert_id": "x" * 80}, claims=staff_claims("admin"))
    assert bad.status == 400
    assert bad.json["errors"][0]["path"] == "/alert_id"


def test_when_kms_is_down_nothing_is_stored_and_the_app_is_told_to_try_again(api, victim, stack):
    from vigia.adapters.aws import client

    kms = client("kms")

    def down(**_):
        raise ConnectionError("KMS unreachable")

    kms.meta.events.register("before-call.kms.GenerateDataKey", down, unique_id="down")
    try:
        answer = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims)
    finally:
        kms.meta.events.unregister("before-call.kms.GenerateDataKey", unique_id="down")
    assert answer.status == 503
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert stack.pack.settings.helpline in answer.json["detail"]
    assert leaks(answer.body, victim) == []
    assert stack.table("AlertsTable").scan()["Items"] == []
    assert queue_depth(stack, "SilentQueue") == 0


def test_an_envelope_moved_to_another_alert_does_not_open(api, victim, stack, staff_claims):
    first = send_silent(api, victim).json["alert_id"]
    second = api("POST", "/v1/alerts", silent_body(victim, note=None), claims=victim.claims).json["alert_id"]
    table = stack.table("AlertsTable")
    table.update_item(
        Key={"pk": second, "sk": "ALERT"},
        UpdateExpression="SET sealed = :s",
        ExpressionAttributeValues={":s": stack.alert_item(first)["sealed"]},
    )
    answer = api("GET", f"/v1/silent-alerts/{second}", claims=staff_claims("response_team"))
    assert answer.status == 500
    assert leaks(answer.body, victim) == []


def test_a_silent_submit_costs_at_most_four_aws_calls_and_one_kms_call(api, victim, citizen, monkeypatch):
    """The submit budget: ≤ 4 AWS calls, plus the one KMS call only a silent alert makes."""
    import botocore.session

    from vigia.adapters import aws
    from vigia.adapters.dynamodb import binding

    calls: list[str] = []
    original = botocore.session.Session.create_client

    def counting(session, *args, **kwargs):
        client = original(session, *args, **kwargs)
        client.meta.events.register(
            "before-call", lambda model, **_: calls.append(f"{model.service_model.service_name}.{model.name}")
        )
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    aws.reset()
    binding.reset()  # new clients, counted
    spent = {}
    robbery = {"type": "robbery", "location": silent_body(victim)["location"]}
    for label, claims, body, headers in (
        ("silent", victim.claims, silent_body(victim), {}),
        ("silent with key", victim.claims, silent_body(victim), {"Idempotency-Key": "k-budget"}),
        ("public", citizen.claims, robbery, {}),
        ("public with key", citizen.claims, robbery, {"Idempotency-Key": "k-budget"}),
    ):
        calls.clear()
        assert api("POST", "/v1/alerts", body, claims=claims, headers=headers).status == 202
        spent[label] = list(calls)
    for label, made in spent.items():
        kms = [c for c in made if c.startswith("kms.")]
        assert len(made) - len(kms) <= 4, (label, made)
        assert kms == (["kms.GenerateDataKey"] if label.startswith("silent") else []), (label, made)


def test_the_response_team_lists_open_silent_alerts_sealed(api, victim, citizen, staff_claims):
    # Given a silent alert and a public one
    alert_id = send_silent(api, victim).json["alert_id"]
    robbery = {"type": "robbery", "location": silent_body(victim)["location"]}
    assert api("POST", "/v1/alerts", robbery, claims=citizen.claims).status == 202
    # When the response team opens its console
    listed = api("GET", "/v1/silent-alerts", claims=staff_claims("response_team"))
    # Then it lists the silent alert only, sealed (opening it is the audited read)
    assert listed.status == 200
    assert [item["alert_id"] for item in listed.json["items"]] == [alert_id]
    assert listed.json["items"][0]["category"] == "silent"
    assert leaks(listed.body, victim) == []
    assert api("GET", "/v1/silent-alerts", claims=staff_claims("operator")).status == 403
    bad = api("GET", "/v1/silent-alerts", query={"limit": "0"}, claims=staff_claims("response_team"))
    assert bad.status == 400
    assert bad.json["errors"][0]["path"] == "/limit"
