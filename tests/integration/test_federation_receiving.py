"""The host's side of roaming: a partner's signed Report becomes a visitor alert run by the host's protocol.

Godoy Cruz's stack is the host; Peñalolén (and, for the attacker's cases, Las Heras) are its partners, each
with a throwaway P-256 key whose public half is in a federation.json written for the test.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.conftest import ROOT, home_block_id, near_centre, staff
from tests.integration.dispatch_harness import announce, pump, seed
from tests.integration.test_dispatch_flow import dispatch  # noqa: F401 - the fixture
from vigia import runtime
from vigia.federation import messages
from vigia.federation.jws import KeySigner, public_jwk, public_key, sign_detached, thumbprint, verify_detached

HOST = "godoy-cruz"
PARTNER = "penalolen"
OTHER = "las-heras"
ROUTE = "/v1/federation/messages"
PENALOLEN_PLACE = (-33.4712, -70.5601)  # inside Peñalolén, far outside Godoy Cruz's service area


class Partner:
    def __init__(self, partner_id: str, kid: str) -> None:
        self.partner_id = partner_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = kid
        self.jwk = public_jwk(self.key.public_key(), kid)

    def signer(self) -> KeySigner:
        return KeySigner(self.key, self.kid)


def write_agreement(path: Path) -> dict[str, Partner]:
    """Godoy Cruz's agreement with Peñalolén and Las Heras, each with a key made for this test, at `path`."""
    found = {PARTNER: Partner(PARTNER, "penalolen-test-1"), OTHER: Partner(OTHER, "las-heras-test-1")}
    document = json.loads((ROOT / "infra/cities/godoy-cruz/federation.json").read_text(encoding="utf-8"))
    (penalolen,) = document["partners"]
    penalolen["endpoint"] = "https://penalolen.example/v1/federation/messages"
    penalolen["keys"] = {"keys": [found[PARTNER].jwk]}
    square = [[-68.9, -32.9], [-68.8, -32.9], [-68.8, -32.8], [-68.9, -32.8], [-68.9, -32.9]]
    document["partners"].append(
        {
            "partner_id": OTHER,
            "name": "Las Heras",
            "endpoint": "https://las-heras.example/v1/federation/messages",
            "keys": {"keys": [found[OTHER].jwk]},
            "jurisdiction": {"type": "Polygon", "coordinates": [square]},
            "alert_types": ["robbery", "domestic_violence"],  # a silent type, agreed by mistake
        }
    )
    path.write_text(json.dumps(document), encoding="utf-8")
    return found


@pytest.fixture
def partners(stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Partner]:
    """The stack runs with the test's agreement (FEDERATION_AGREEMENT_PATH)."""
    found = write_agreement(tmp_path / "federation.json")
    monkeypatch.setenv("FEDERATION_AGREEMENT_PATH", str(tmp_path / "federation.json"))
    runtime.reset()
    return found


def report(
    partner: Partner,
    *,
    distribution_id: str = "penalolen-R1-report",
    alert_id: str = "R1",
    alert_type: str = "robbery",
    place: tuple[float, float] | None = None,
    sender: str | None = None,
    recipient: str = HOST,
    sent: datetime | None = None,
    lifetime: timedelta = timedelta(minutes=10),
    signer: Any = None,
    status: str = "Actual",
) -> tuple[bytes, str]:
    """A Report as a partner's stack sends it, and its Vigia-Signature."""
    lat, lon = place or near_centre()
    sent = sent or datetime.now(UTC).replace(microsecond=0)
    sender = sender or partner.partner_id
    envelope = messages.Envelope(distribution_id, sender, recipient, sent, sent + lifetime, status)
    body = messages.roaming_alert(
        envelope,
        alert_id=alert_id,
        alert_type=alert_type,
        type_label="Robo",
        lat=lat,
        lon=lon,
        accuracy_m=12.0,
        raised_at=sent - timedelta(seconds=2),
        callback_phone="+56912345678",
        caller_name="Ana",
    )
    return body, sign_detached(body, signer or partner.signer())


def cancel_of(partner: Partner, report_body: bytes, *, distribution_id: str = "penalolen-R1-cancel") -> tuple:
    sent = datetime.now(UTC).replace(microsecond=0)
    envelope = messages.Envelope(
        distribution_id, partner.partner_id, HOST, sent, sent + timedelta(minutes=10)
    )
    body = messages.cancel(envelope, references=messages.read_message(report_body).reference)
    return body, sign_detached(body, partner.signer())


def post(api, body: bytes, signature: str | None) -> Any:
    headers = {"content-type": messages.CONTENT_TYPE}
    if signature is not None:
        headers["Vigia-Signature"] = signature
    return api("POST", ROUTE, body.decode("utf-8", errors="replace"), headers=headers)


def visitor_alerts(stack) -> list[dict[str, Any]]:
    return [i for i in stack.table("AlertsTable").scan()["Items"] if i.get("sk") == "ALERT"]


def replay_marks(stack) -> list[dict[str, Any]]:
    return [i for i in stack.table("FederationTable").scan()["Items"] if str(i["pk"]).startswith("replay#")]


def refusals(stack) -> list[dict[str, Any]]:
    return [
        i for i in stack.table("AuditTable").scan()["Items"] if i["action"] == "federation_message_refused"
    ]


def host_keys(api) -> dict[str, Any]:
    answer = api("GET", "/v1/federation/keys")
    assert answer.status == 200, answer.body
    return answer.json


def checked_ack(api, answer, report_body: bytes, status: int = 200) -> messages.Message:
    """The Ack in `answer`, verified with the key GET /v1/federation/keys publishes (409: a replay's)."""
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith("application/xml")
    keys = {k["kid"]: public_key(k) for k in host_keys(api)["keys"]}
    body = answer.body.encode("utf-8")
    verify_detached(body, answer.headers["Vigia-Signature"], keys.get)
    ack = messages.read_message(body)
    original = messages.read_message(report_body)
    assert (ack.kind, ack.sender_id, ack.recipient_id) == ("Ack", HOST, original.sender_id)
    assert ack.in_reply_to == original.distribution_id
    return ack


def test_the_keys_are_a_public_jwks_whose_kid_is_the_thumbprint(api, stack, partners):
    jwks = host_keys(api)
    (jwk,) = jwks["keys"]
    assert {"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256"}.items() <= jwk.items()
    assert not set(jwk) & {"d", "p", "q"}
    assert jwk["kid"] == thumbprint(jwk)
    public_key(jwk)  # a point on P-256
    assert host_keys(api) == jwks  # stable


def test_a_partners_report_becomes_one_visitor_alert_run_by_the_hosts_protocol(
    api,
    stack,
    partners,
    dispatch,  # noqa: F811
):
    neighbours = seed(home_block_id(), 3)
    body, signature = report(partners[PARTNER])
    answer = post(api, body, signature)
    checked_ack(api, answer, body)

    (item,) = visitor_alerts(stack)
    alert_id = item["pk"]
    assert item["visitor"]["partner"] == PARTNER
    assert item["visitor"]["remote_id"] == "R1"
    assert item["block_id"] == home_block_id()
    assert item["type"] == "robbery"
    # the operators see it in their queue like any other
    queue = api("GET", "/v1/alerts", claims=staff("operator"))
    assert queue.status == 200, queue.body
    assert [row["alert_id"] for row in queue.json["items"]] == [alert_id]
    # the host's own protocol for a robbery at that block: its police, neighbours, siren, CAD, the caller
    announce(stack, alert_id)
    pump(stack)
    sms = Counter(m["recipient"] for m in dispatch.sent("alert", "sms") if m["alert_id"] == alert_id)
    police = set(stack.pack.dispatch.community_police)
    assert set(sms) == {n.phone for n in neighbours} | police | {"+56912345678"}
    assert set(sms.values()) == {1}
    to_neighbours = [m for m in dispatch.sent("alert", "sms") if m["recipient"] == neighbours[0].phone]
    assert "Ana" in to_neighbours[0]["body"]
    sirens = {m["recipient"] for m in dispatch.sent("alert", "siren") if m["alert_id"] == alert_id}
    assert sirens == {s.siren_id for s in stack.pack.blocks[home_block_id()].sirens}
    assert len(dispatch.cad.received) == 1
    assert dispatch.cad.received[0]["valid"]
    audit = [
        i for i in stack.table("AuditTable").scan()["Items"] if i["action"] == "federation_message_received"
    ]
    assert [a["actor_id"] for a in audit] == [PARTNER]


def test_the_same_report_twice_is_one_alert(api, stack, partners):
    body, signature = report(partners[PARTNER])
    assert post(api, body, signature).status == 200
    # a replay is answered 409 with this city's signed Ack of it again: the home's proof it was received
    checked_ack(api, post(api, body, signature), body, status=409)
    assert [r["reason"][:26] for r in refusals(stack)] == ["409 federation-replayed: t"]  # still audited
    # re-signed (a fresh signature over the same bytes) is the same message
    assert post(api, body, sign_detached(body, partners[PARTNER].signer())).status == 409
    # the home's alert sent again under a new distributionID: acknowledged, still one alert
    body2, signature2 = report(partners[PARTNER], distribution_id="penalolen-R1-report-2")
    checked_ack(api, post(api, body2, signature2), body2)
    assert len(visitor_alerts(stack)) == 1


def _refused(api, stack, body: bytes, signature: str | None, status: int, problem: str) -> None:
    before = len(refusals(stack))
    answer = post(api, body, signature)
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json["type"].endswith("/" + problem), answer.json
    assert "Ana" not in answer.body
    assert "+56912345678" not in answer.body
    assert visitor_alerts(stack) == []
    assert replay_marks(stack) == []
    assert len(refusals(stack)) == before + 1


def test_tampered_wrong_key_unknown_expired_oversized_and_misaddressed_are_refused(api, stack, partners):
    penalolen, las_heras = partners[PARTNER], partners[OTHER]
    body, signature = report(penalolen)
    _refused(
        api, stack, body.replace(b"-report<", b"-reporT<", 1), signature, 401, "federation-bad-signature"
    )
    _refused(api, stack, body, None, 401, "federation-unsigned")
    # a key the partner does not have, under the partner's kid
    forger = KeySigner(ec.generate_private_key(ec.SECP256R1()), penalolen.kid)
    _refused(api, stack, *report(penalolen, signer=forger), 401, "federation-bad-signature")
    # nobody's key
    stranger = KeySigner(ec.generate_private_key(ec.SECP256R1()), "stranger-1")
    _refused(api, stack, *report(penalolen, signer=stranger), 401, "federation-unknown-key")
    # one partner's key signing for another partner
    _refused(api, stack, *report(penalolen, signer=las_heras.signer()), 401, "federation-wrong-sender")
    # for another city
    _refused(api, stack, *report(penalolen, recipient="mendoza"), 401, "federation-wrong-recipient")
    old = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    _refused(api, stack, *report(penalolen, sent=old), 400, "federation-expired")
    padded = body + b" " * messages.MAX_MESSAGE_BYTES
    _refused(api, stack, padded, sign_detached(padded, penalolen.signer()), 413, "federation-oversized")
    # a type this agreement does not exchange with that partner
    _refused(api, stack, *report(las_heras, alert_type="fire"), 400, "federation-type-not-agreed")


def test_a_place_outside_the_hosts_service_area_is_refused(api, stack, partners):
    body, signature = report(partners[PARTNER], place=PENALOLEN_PLACE)
    _refused(api, stack, body, signature, 422, "federation-outside-service-area")
    # and once refused, the same distributionID is not burnt: the partner may send it right
    fixed, fixed_signature = report(partners[PARTNER])
    assert post(api, fixed, fixed_signature).status == 200


def test_what_the_host_cannot_take_is_refused_before_any_mark(api, stack, partners):
    las_heras = partners[OTHER]
    # a silent alarm from a partner whose agreement lists the type but does not say silent_alarms
    silent = report(las_heras, alert_type="domestic_violence", distribution_id="lh-1-report", alert_id="L1")
    _refused(api, stack, *silent, 422, "federation-silent-not-agreed")
    # an Ack answers something this host never sent; so does an Update of an alert it never forwarded
    sent = datetime.now(UTC).replace(microsecond=0)
    envelope = messages.Envelope("penalolen-x-ack", PARTNER, HOST, sent, sent + timedelta(minutes=5))
    reference = f"{HOST},{HOST}-A1-report,{messages.cap_time(sent, 'UTC')}"
    for body, slug in (
        (messages.ack(envelope, references=reference), "federation-kind-not-taken"),
        (messages.update(envelope, references=reference, status="on_scene"), "federation-unknown-alert"),
    ):
        _refused(api, stack, body, sign_detached(body, partners[PARTNER].signer()), 422, slug)


@pytest.mark.parametrize("status", ["Exercise", "Test"])
def test_an_exercise_or_test_report_is_acknowledged_and_dispatches_nothing(api, stack, partners, status):
    # a city joining tests with Exercise or Test first (docs/roaming.md): no police is sent for a drill
    body, signature = report(partners[PARTNER], status=status)
    ack = checked_ack(api, post(api, body, signature), body)
    assert ack.status == status
    assert visitor_alerts(stack) == []
    received = [
        i for i in stack.table("AuditTable").scan()["Items"] if i["action"] == "federation_message_received"
    ]
    assert [(a["actor_id"], a["target_id"]) for a in received] == [(PARTNER, f"federation#{PARTNER}")]
    assert post(api, body, signature).status == 409  # a drill is marked like any message


def test_the_visitor_alert_reads_as_a_visitor_for_staff(api, stack, partners):
    body, signature = report(partners[PARTNER])
    assert post(api, body, signature).status == 200
    (item,) = visitor_alerts(stack)
    seen = api("GET", f"/v1/alerts/{item['pk']}", claims=staff("operator"))
    assert seen.status == 200, seen.body
    # the monitoring centre reads the partner city by its name and whom to call back (docs/roaming.md)
    assert seen.json["visitor"] == {
        "partner": PARTNER,
        "partner_name": "Peñalolén",
        "remote_id": "R1",
        "caller_name": "Ana",
        "callback_phone": "+56912345678",
    }
    assert seen.json["sender_id"] == f"visitor#{PARTNER}#R1"
    assert seen.headers["Cache-Control"] == "no-store"
    queue = api("GET", "/v1/alerts", claims=staff("operator"))
    (row,) = queue.json["items"]
    assert row["visitor"] == {"partner": PARTNER, "partner_name": "Peñalolén"}
    # police and analysts read where she comes from, not her phone
    for role in ("police", "analyst"):
        seen = api("GET", f"/v1/alerts/{item['pk']}", claims=staff(role))
        assert seen.status == 200, seen.body
        assert seen.json["visitor"] == {"partner": PARTNER, "partner_name": "Peñalolén", "remote_id": "R1"}
        assert "+56912345678" not in seen.body


def test_a_cancel_after_dispatch_tells_everyone_told_and_a_late_one_is_refused(
    api,
    stack,
    partners,
    dispatch,  # noqa: F811
    monkeypatch,
):
    neighbours = seed(home_block_id(), 2)
    body, signature = report(partners[PARTNER])
    assert post(api, body, signature).status == 200
    (item,) = visitor_alerts(stack)
    announce(stack, item["pk"])
    pump(stack)
    cancel_body, cancel_signature = cancel_of(partners[PARTNER], body)
    checked_ack(api, post(api, cancel_body, cancel_signature), cancel_body)
    pump(stack)
    told = {m["recipient"] for m in dispatch.sent("cancel", "sms") if m["alert_id"] == item["pk"]}
    assert {n.phone for n in neighbours} <= told
    # a second visitor alert, cancelled after the host's window: refused, the alert untouched, no mark
    body2, signature2 = report(partners[PARTNER], distribution_id="penalolen-R2-report", alert_id="R2")
    assert post(api, body2, signature2).status == 200
    (second,) = [i for i in visitor_alerts(stack) if i["pk"] != item["pk"]]
    from vigia import clock

    later = clock.now() + timedelta(seconds=stack.pack.settings.cancel_window_s + 5)
    monkeypatch.setattr(clock, "now", lambda: later)
    late = cancel_of(partners[PARTNER], body2, distribution_id="penalolen-R2-cancel")
    answer = post(api, *late)
    assert answer.status == 422, answer.body
    assert answer.json["type"].endswith("/federation-cancel-refused")
    assert stack.alert_item(second["pk"])["status"] != "cancelled"
    assert not [m for m in replay_marks(stack) if m["pk"].endswith("penalolen-R2-cancel")]


def test_a_cancel_withdraws_what_the_host_has_not_sent(
    api,
    stack,
    partners,
    dispatch,  # noqa: F811
):
    seed(home_block_id(), 2)
    body, signature = report(partners[PARTNER])
    assert post(api, body, signature).status == 200
    (item,) = visitor_alerts(stack)
    cancel_body, cancel_signature = cancel_of(partners[PARTNER], body)
    answer = post(api, cancel_body, cancel_signature)
    checked_ack(api, answer, cancel_body)
    assert stack.alert_item(item["pk"])["status"] == "cancelled"
    announce(stack, item["pk"])
    pump(stack)
    assert [m for m in dispatch.sent("alert") if m["alert_id"] == item["pk"]] == []
    # another partner cannot cancel Peñalolén's visitor alert, even naming the same Report
    las_heras = partners[OTHER]
    sent = datetime.now(UTC).replace(microsecond=0)
    envelope = messages.Envelope("las-heras-x-cancel", OTHER, HOST, sent, sent + timedelta(minutes=5))
    forged = messages.cancel(
        envelope, references=f"{OTHER},penalolen-R1-report,{messages.cap_time(sent, 'UTC')}"
    )
    refused = post(api, forged, sign_detached(forged, las_heras.signer()))
    assert refused.status == 422, refused.body


def test_a_report_whose_first_attempt_died_is_taken_over_once_that_attempt_cannot_be_running(
    api, stack, partners, monkeypatch
):
    from vigia import clock
    from vigia.adapters.dynamodb import federation as federation_store
    from vigia.federation import hosting

    body, signature = report(partners[PARTNER])
    # the first attempt dies after its mark, before the alert, without a chance to take the mark back
    monkeypatch.setattr(federation_store.DynamoReplayGuard, "forget", lambda *args: None)
    real = hosting.receive_report

    def dies(*args, **kwargs):
        raise RuntimeError("the execution environment was stopped")

    monkeypatch.setattr(hosting, "receive_report", dies)
    assert post(api, body, signature).status == 500
    monkeypatch.setattr(hosting, "receive_report", real)
    # while that attempt might still be running, the partner's retry is asked to come back, not "delivered"
    soon = post(api, body, signature)
    assert soon.status == 503, soon.body
    assert soon.json["type"].endswith("/federation-in-progress")
    assert visitor_alerts(stack) == []
    # once it cannot be (past the lease), the retry takes over: one alert, Acked; after that a replay is 409
    later = clock.now() + timedelta(seconds=federation_store.LEASE_S + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    checked_ack(api, post(api, body, signature), body)
    assert len(visitor_alerts(stack)) == 1
    assert post(api, body, signature).status == 409


def test_operators_work_a_visitor_alert_like_any_other_and_a_false_alarm_strikes_no_resident(
    api, stack, partners
):
    body, signature = report(partners[PARTNER])
    assert post(api, body, signature).status == 200
    (item,) = visitor_alerts(stack)
    operator = staff("operator")
    for action, extra in (("acknowledge", {}), ("assign", {"unit_id": "GC-01"}), ("false_alarm", {})):
        answer = api("POST", f"/v1/alerts/{item['pk']}/actions", {"action": action, **extra}, claims=operator)
        assert answer.status == 200, (action, answer.body)
    assert stack.alert_item(item["pk"])["status"] == "false_alarm"
    assert stack.table("ResidentsTable").scan()["Items"] == []  # no resident was made or struck
