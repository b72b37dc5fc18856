# ruff: noqa: F811 - the fixtures imported from the two federation test files are used by name
"""Roaming, the answer coming home (issue 15): as the host's incident moves, the host sends signed CAP Updates
back; the home records them on the resident's alert, and her GET /v1/alerts/{id} shows them.

Host: Godoy Cruz's stack with a visitor alert from a throwaway-keyed Peñalolén (test_federation_receiving's
fixtures); its operator's steps plan one federation delivery each, signed when sent. Home: Godoy Cruz's
stack with a stand-in Peñalolén (test_federation_forwarding's fixtures) that signs the Updates.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from infra.local.engine.pumps import drain_all
from tests.integration.conftest import near_centre, staff
from tests.integration.dispatch_harness import deliveries
from tests.integration.test_federation_forwarding import (  # noqa: F401 - the fixture
    IN_PENALOLEN,
    pump_all,
    relay,
    roaming,
    send,
)
from tests.integration.test_federation_receiving import (  # noqa: F401 - the fixture
    PARTNER,
    host_keys,
    partners,
    post,
    report,
    visitor_alerts,
)
from tests.support.template_pumps import queue_pump
from vigia import clock, runtime
from vigia.federation import messages
from vigia.federation.forwarding import Answer, check_ack
from vigia.federation.jws import SIGNATURE_HEADER, KeySigner, public_key, sign_detached, verify_detached

HOME = "godoy-cruz"
STEPS = (
    ("acknowledge", {}, "acknowledged"),
    ("assign", {"unit_id": "GC-01"}, "assigned"),
    ("en_route", {}, "en_route"),
    ("on_scene", {}, "on_scene"),
    ("resolve", {}, "resolved"),
)


def at_home_body() -> dict[str, Any]:
    lat, lon = near_centre()
    return {"type": "robbery", "location": {"lat": lat, "lon": lon, "accuracy_m": 12}}


# ------------------------------------------------------------------ the host sends


def test_each_step_of_a_visitor_alert_plans_one_signed_update_to_the_partner(
    api, stack, partners, monkeypatch
):
    body, signature = report(partners[PARTNER])
    assert post(api, body, signature).status == 200
    original = messages.read_message(body)
    (item,) = visitor_alerts(stack)
    alert_id = item["pk"]
    operator = staff("operator")
    for action, extra, _ in STEPS:
        answer = api("POST", f"/v1/alerts/{alert_id}/actions", {"action": action, **extra}, claims=operator)
        assert answer.status == 200, (action, answer.body)
    # a step refused (already resolved) plans nothing more
    again = api("POST", f"/v1/alerts/{alert_id}/actions", {"action": "resolve"}, claims=operator)
    assert again.status == 409

    federation = [r for r in deliveries(stack, alert_id) if r["channel"] == "federation"]
    assert sorted(r["kind"] for r in federation) == sorted(f"update_{s}" for *_, s in STEPS)
    assert {r["recipient"] for r in federation} == {PARTNER}

    # the sender signs each with the host's key and POSTs it to the partner, who Acks it
    posted: list[tuple[bytes, str]] = []
    partner = partners[PARTNER]

    def fake_post(*, alert_id: str, kind: str):
        def post_it(url: str, sent: bytes, header: str) -> Answer:
            posted.append((sent, header))
            update = messages.read_message(sent)
            now = clock.now().replace(microsecond=0)
            envelope = messages.Envelope(
                f"{PARTNER}-{update.distribution_id}-ack", PARTNER, HOME, now, now + timedelta(minutes=5)
            )
            ack = messages.ack(envelope, references=update.reference)
            return Answer(200, ack, sign_detached(ack, partner.signer()))

        return post_it

    monkeypatch.setattr(runtime, "post_to_partner", fake_post)
    drain_all([queue_pump(stack, "FederationQueue")], rounds=50)

    keys = {k["kid"]: public_key(k) for k in host_keys(api)["keys"]}
    statuses = []
    for sent, header in posted:
        verify_detached(sent, header, keys.get)  # the host's published key signed it
        update = messages.read_message(sent)
        assert (update.kind, update.sender_id, update.recipient_id) == ("Update", HOME, PARTNER)
        assert update.in_reply_to == original.distribution_id  # the partner's own Report
        assert update.in_reply_to_sender == PARTNER
        statuses.append(update.incident_status)
    assert sorted(statuses) == sorted(s for *_, s in STEPS)  # once each
    records = [r for r in deliveries(stack, alert_id) if r["channel"] == "federation"]
    assert {r["status"] for r in records} == {"sent"}


def test_a_residents_own_alert_plans_no_update(api, stack, citizen):
    alert_id = api(
        "POST",
        "/v1/alerts",
        at_home_body(),
        claims=citizen.claims,
    ).json["alert_id"]
    answer = api(
        "POST", f"/v1/alerts/{alert_id}/actions", {"action": "acknowledge"}, claims=staff("operator")
    )
    assert answer.status == 200, answer.body
    assert [r for r in deliveries(stack, alert_id) if r["channel"] == "federation"] == []


# ------------------------------------------------------------------ the home records


def forwarded(api, stack, citizen, roaming) -> tuple[str, messages.Message]:
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)
    (report_message,) = roaming.stand_in.accepted
    return alert_id, report_message


def update_from(
    roaming, report_message: messages.Message, status: str, *, key: Any = None, references: str | None = None
) -> tuple[bytes, str]:
    now = clock.now().replace(microsecond=0)
    envelope = messages.Envelope(
        f"{PARTNER}-{report_message.alert.alert_id if report_message.alert else 'x'}-{status}",
        PARTNER,
        HOME,
        now,
        now + timedelta(minutes=10),
    )
    body = messages.update(envelope, references=references or report_message.reference, status=status)
    signer = KeySigner(key or roaming.stand_in.key, roaming.stand_in.jwk["kid"])
    return body, sign_detached(body, signer)


def home_post(api, body: bytes, signature: str) -> Any:
    return api(
        "POST",
        "/v1/federation/messages",
        body.decode("utf-8"),
        headers={"content-type": messages.CONTENT_TYPE, SIGNATURE_HEADER: signature},
    )


def shown(api, citizen, alert_id: str) -> dict[str, Any]:
    answer = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims)
    assert answer.status == 200, answer.body
    return answer.json["roaming"]


def test_the_partners_updates_move_her_alerts_roaming_status_and_she_reads_it(api, stack, citizen, roaming):
    alert_id, report_message = forwarded(api, stack, citizen, roaming)
    assert shown(api, citizen, alert_id)["status"] == "delivered"
    home = roaming.stand_in.agreement.partner(HOME)  # the home's public key, as Peñalolén's agreement has it
    for _, _, status in STEPS:
        body, signature = update_from(roaming, report_message, status)
        answer = home_post(api, body, signature)
        assert answer.status == 200, (status, answer.body)
        # the home's signed Ack of this very Update, as the host's sender checks it
        check_ack(
            Answer(200, answer.body.encode("utf-8"), answer.headers[SIGNATURE_HEADER]),
            home,
            city_id=PARTNER,
            distribution_id=messages.read_message(body).distribution_id,
        )
        assert shown(api, citizen, alert_id) == {"partner": PARTNER, "status": status}
    operator_view = api("GET", f"/v1/alerts/{alert_id}", claims=staff("operator"))
    assert operator_view.status == 200
    assert operator_view.json["roaming"]["status"] == "resolved"
    assert stack.alert_item(alert_id)["roaming"]["resolved_at"]


def test_an_update_out_of_order_never_moves_her_status_back(api, stack, citizen, roaming):
    alert_id, report_message = forwarded(api, stack, citizen, roaming)
    for status in ("resolved", "on_scene", "acknowledged"):
        body, signature = update_from(roaming, report_message, status)
        assert home_post(api, body, signature).status == 200  # received (Acked), but too late to matter
    assert shown(api, citizen, alert_id)["status"] == "resolved"


def test_an_update_signed_by_another_key_moves_nothing(api, stack, citizen, roaming):
    from cryptography.hazmat.primitives.asymmetric import ec

    alert_id, report_message = forwarded(api, stack, citizen, roaming)
    body, signature = update_from(
        roaming, report_message, "on_scene", key=ec.generate_private_key(ec.SECP256R1())
    )
    answer = home_post(api, body, signature)
    assert answer.status == 401
    assert shown(api, citizen, alert_id)["status"] == "delivered"


def test_an_update_for_an_alert_not_forwarded_to_that_partner_is_422(api, stack, citizen, roaming):
    alert_id, report_message = forwarded(api, stack, citizen, roaming)
    # her own alert at home: never forwarded to anyone
    at_home = api(
        "POST",
        "/v1/alerts",
        at_home_body(),
        claims=citizen.claims,
    ).json["alert_id"]
    sent = report_message.reference.split(",")[2]
    for target in (at_home, "01NOSUCHALERT"):
        references = f"{HOME},{HOME}-{target}-report,{sent}"
        body, signature = update_from(roaming, report_message, "on_scene", references=references)
        body = body.replace(b"-on_scene<", f"-{target}-on_scene<".encode())  # its own distributionID
        signature = sign_detached(body, KeySigner(roaming.stand_in.key, roaming.stand_in.jwk["kid"]))
        answer = home_post(api, body, signature)
        assert answer.status == 422, answer.body
        assert answer.json["type"].endswith("federation-unknown-alert")
    assert stack.alert_item(at_home).get("roaming") is None
    assert shown(api, citizen, alert_id)["status"] == "delivered"


def test_a_replayed_update_is_409_and_changes_nothing(api, stack, citizen, roaming):
    alert_id, report_message = forwarded(api, stack, citizen, roaming)
    body, signature = update_from(roaming, report_message, "on_scene")
    assert home_post(api, body, signature).status == 200
    assert home_post(api, body, signature).status == 409
    assert shown(api, citizen, alert_id)["status"] == "on_scene"
