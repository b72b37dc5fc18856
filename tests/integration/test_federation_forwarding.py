"""Roaming, the home's side (issue 15): a resident's alert raised in a partner city's jurisdiction is
forwarded to that partner, signed, through its own reliable channel, and the partner's signed Ack recorded.

The partner is a stand-in HTTP server on 127.0.0.1 that checks the home's message with the real
verifier (against the home's public key in its own agreement) and answers with an Ack signed by its key,
listed in the test's federation.json — or is down, or answers with an Ack signed by a stranger's key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from infra.local.engine.pumps import drain_all
from infra.local.fake_cad import FakeCad
from tests.integration.conftest import ROOT, near_centre
from tests.integration.dispatch_harness import deliveries, outbox
from tests.support.template_pumps import queue_pump
from vigia import clock, runtime
from vigia.city import load_city_pack
from vigia.federation import messages
from vigia.federation.agreement import Agreement, Partner, fill_partner_keys
from vigia.federation.jws import SIGNATURE_HEADER, KeySigner, public_jwk, sign_detached
from vigia.federation.verifier import FederationRefused, InMemoryReplayGuard, verify

HOME, PARTNER = "godoy-cruz", "penalolen"
QUEUES = ("DispatchQueue", "SmsQueue", "SirenQueue", "WebhookQueue", "FederationQueue")


def _inside_partner() -> tuple[float, float]:
    """A point in Peñalolén (its first block's centroid): outside Godoy Cruz, inside its partner."""
    pack = load_city_pack(ROOT / "infra/cities" / PARTNER, ROOT / "schemas/city.schema.json")
    block = next(iter(pack.blocks.values()))
    return block.centroid[0], block.centroid[1]


IN_PENALOLEN = _inside_partner()
NOWHERE = (-34.6, -58.4)  # Buenos Aires: no partner's


class StandInPartner:
    """Peñalolén's door as far as the home can tell: verifies, then answers a signed Ack (or fails)."""

    def __init__(self, home_jwk: dict[str, str]) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.jwk = public_jwk(self.key.public_key(), "penalolen-test-1")
        self.stranger = ec.generate_private_key(ec.SECP256R1())  # signs forged Acks under the same kid
        self.mode = "up"  # up | down | impostor (answers every message with an Ack a stranger's key signed)
        self.lose_answers = 0  # this many messages received, acted on, but their answer lost on the way back
        self.unsigned_replays = False  # a replay answered with a bare problem+json 409, as anyone can
        self.accepted: list[messages.Message] = []  # verified messages, in order
        self.bodies: list[bytes] = []  # every body POSTed, verified or not
        self.refused: list[str] = []
        document = json.loads((ROOT / "infra/cities" / PARTNER / "federation.json").read_text("utf-8"))
        home = next(p for p in document["partners"] if p["partner_id"] == HOME)
        geometry = home["jurisdiction"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        self.agreement = Agreement(
            city_id=PARTNER,
            partners=(
                Partner.of(
                    partner_id=HOME,
                    name="Godoy Cruz",
                    endpoint=home["endpoint"],
                    keys=[home_jwk],
                    jurisdiction=polygons,
                    alert_types=home["alert_types"],
                ),
            ),
        )
        self.seen = InMemoryReplayGuard()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1/federation/messages"

    def start(self) -> StandInPartner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: bytes, signature: str | None) -> tuple[int, bytes, dict[str, str]]:
        self.bodies.append(body)
        if self.mode == "down":
            return 503, b"", {}
        if self.mode == "impostor":  # reads the message, keeps no mark, signs its Ack with its own key
            message = messages.read_message(body)
        else:
            try:
                verified = verify(body, signature, self.agreement, clock.now(), self.seen)
            except FederationRefused as refused:
                self.refused.append(refused.slug)
                if refused.status != 409 or self.unsigned_replays:
                    return refused.status, b"{}", {"Content-Type": "application/problem+json"}
                # as the real host does: a replay is answered 409 with its signed Ack of the message again
                return self._signed_ack(409, messages.read_message(body))
            message = verified.message
            self.accepted.append(message)
            if self.lose_answers:
                self.lose_answers -= 1
                return 504, b"", {}
        return self._signed_ack(200, message)

    def _signed_ack(self, status: int, message: messages.Message) -> tuple[int, bytes, dict[str, str]]:
        now = clock.now().replace(microsecond=0)
        envelope = messages.Envelope(
            f"{PARTNER}-{message.distribution_id}-ack", PARTNER, HOME, now, now + timedelta(minutes=10)
        )
        ack = messages.ack(envelope, references=message.reference)
        signer = KeySigner(self.stranger if self.mode == "impostor" else self.key, self.jwk["kid"])
        headers = {"Content-Type": messages.CONTENT_TYPE, SIGNATURE_HEADER: sign_detached(ack, signer)}
        return status, ack, headers

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer, headers = partner.answer(body, self.headers.get(SIGNATURE_HEADER))
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(answer))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def roaming(stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The home (Godoy Cruz) federated with a stand-in Peñalolén: the agreement names the stand-in's URL and
    key; the home signs with a throwaway key the stand-in knows; outbox on, retries at once, fake CAD."""
    home_key = ec.generate_private_key(ec.SECP256R1())
    home_jwk = public_jwk(home_key.public_key(), "godoy-cruz-test-1")
    partner = StandInPartner(home_jwk).start()
    document = json.loads((ROOT / "infra/cities" / HOME / "federation.json").read_text("utf-8"))
    filled = fill_partner_keys(document, {PARTNER: [partner.jwk]}, endpoints={PARTNER: partner.url})
    agreement_path = tmp_path / "federation.json"
    agreement_path.write_text(json.dumps(filled), "utf-8")
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.environment["CAD_SECRET_ARN"])
    cad = FakeCad(secret=secret["SecretString"]).start()
    box = tmp_path / "outbox.jsonl"
    for key, value in {
        "FEDERATION_AGREEMENT_PATH": str(agreement_path),
        "FEDERATION_LOCAL_PAIR": "1",
        "VIGIA_OUTBOX_PATH": str(box),
        "SMS_SENDS_PER_S": "0",
        "DELIVERY_RETRY_BASE_S": "0",
        "PROVINCIAL_CAD_URL": cad.url,
        "CAD_ATTEMPTS": "1",
        "FEDERATION_TIMEOUT_S": "2",
    }.items():
        monkeypatch.setenv(key, value)
    runtime.reset()
    signer = KeySigner(home_key, home_jwk["kid"])
    monkeypatch.setattr(runtime, "federation_signer", lambda: signer)

    class Roaming:
        stand_in = partner
        fake_cad = cad
        outbox_path = box

        @staticmethod
        def agree(**changes: Any) -> None:
            """The agreement with Peñalolén changed (a new file: the agreement is loaded once per path)."""
            changed = json.loads(json.dumps(filled))
            changed["partners"][0].update(changes)
            path = tmp_path / f"federation-{len(changes)}-{abs(hash(json.dumps(changes)))}.json"
            path.write_text(json.dumps(changed), "utf-8")
            monkeypatch.setenv("FEDERATION_AGREEMENT_PATH", str(path))
            runtime.reset()

        @staticmethod
        def sent(channel: str) -> list[dict[str, Any]]:
            return [m for m in outbox(box) if m["channel"] == channel]

    yield Roaming()
    partner.stop()
    cad.stop()


def send(api, person, where: tuple[float, float], type_: str = "robbery", **headers: str) -> Any:
    lat, lon = where
    return api(
        "POST",
        "/v1/alerts",
        {"type": type_, "location": {"lat": lat, "lon": lon, "accuracy_m": 12}},
        claims=person.claims,
        headers=headers or None,
    )


def relay(stack, alert_id: str) -> None:
    """What the stream relay and AlertEvents do for a stored alert: its AlertCreated on the Dispatch queue."""
    from tests.integration.dispatch_harness import announce

    announce(stack, alert_id)


def pump_all(stack) -> None:
    """Every queue an alert's delivery crosses, the federation's included, drained by its template mapping."""
    drain_all([queue_pump(stack, queue) for queue in QUEUES], rounds=500)


# ------------------------------------------------------------------ intake


def test_an_alert_in_a_partners_jurisdiction_is_accepted_as_forwarding(api, stack, citizen, roaming):
    answer = send(api, citizen, IN_PENALOLEN)

    assert answer.status == 202, answer.body
    assert answer.json["roaming"] == {"partner": PARTNER, "status": "forwarding"}
    item = stack.alert_item(answer.json["alert_id"])
    assert item["roaming"] == {"partner": PARTNER, "status": "forwarding"}
    assert item.get("block_id") is None  # not placed on her home block: the place is Peñalolén's
    shown = api("GET", f"/v1/alerts/{answer.json['alert_id']}", claims=citizen.claims)
    assert shown.status == 200
    assert shown.json["roaming"]["status"] == "forwarding"


def test_an_alert_outside_every_jurisdiction_stays_422(api, citizen, roaming):
    answer = send(api, citizen, NOWHERE)

    assert answer.status == 422
    assert [e["path"] for e in answer.json["errors"]] == ["/location"]


def test_a_silent_alarm_does_not_roam_where_the_agreement_does_not_say_so(api, citizen, roaming):
    assert send(api, citizen, IN_PENALOLEN, type_="domestic_violence").status == 422


def test_a_type_the_agreement_does_not_exchange_does_not_roam(api, stack, citizen, roaming):
    roaming.agree(alert_types=["robbery"])

    assert send(api, citizen, IN_PENALOLEN, type_="fire").status == 422
    assert send(api, citizen, IN_PENALOLEN, type_="robbery").status == 202


def test_a_retry_with_the_same_idempotency_key_gets_the_same_forwarded_alert(api, stack, citizen, roaming):
    first = send(api, citizen, IN_PENALOLEN, **{"Idempotency-Key": "k-roam-1"})
    again = send(api, citizen, IN_PENALOLEN, **{"Idempotency-Key": "k-roam-1"})

    assert (first.status, again.status) == (202, 202)
    assert again.json["alert_id"] == first.json["alert_id"]
    assert len(stack.alerts_of(citizen.user_id)) == 1


# ------------------------------------------------------------------ dispatch and delivery


def test_a_forwarded_alert_is_one_federation_delivery_and_reaches_the_partner_signed(
    api, stack, citizen, roaming
):
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)

    records = deliveries(stack, alert_id)
    assert [(r["channel"], r["recipient"], r["status"]) for r in records] == [("federation", PARTNER, "sent")]
    assert roaming.sent("sms") == []
    assert roaming.sent("siren") == []
    assert roaming.fake_cad.received == []
    (report,) = roaming.stand_in.accepted  # verified with the home's public key by the real verifier
    assert report.kind == "Report"
    assert report.alert is not None
    assert report.alert.alert_id == alert_id
    assert report.alert.alert_type == "robbery"
    assert report.alert.caller_name == "Vecina"  # her first name only
    assert report.alert.home_city == HOME
    resident = stack.resident_item(citizen.user_id)
    body = roaming.stand_in.bodies[0].decode("utf-8")
    assert resident["phone"] in body  # the callback phone
    for never in (resident["national_id"], resident["address"], "Pérez", resident["email"]):
        assert str(never) not in body
    shown = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims)
    assert shown.json["roaming"] == {"partner": PARTNER, "status": "delivered"}


def test_an_ack_the_partners_key_did_not_sign_is_not_taken_as_delivered(api, stack, citizen, roaming):
    roaming.stand_in.mode = "impostor"  # whoever answers at the endpoint, a stranger's key under its kid
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)

    assert len(roaming.stand_in.bodies) >= 2  # it was answered, every time, and retried every time
    (record,) = [r for r in deliveries(stack, alert_id) if r["channel"] == "federation"]
    assert record["status"] == "dead_letter"  # an Ack the partner's key did not sign proves nothing
    shown = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims)
    assert shown.json["roaming"]["status"] == "fallback"  # no retry left: the home's own fallback ran


def test_partner_down_runs_the_fallback_then_delivers_once_when_it_returns(
    api, stack, citizen, roaming, monkeypatch
):
    roaming.stand_in.mode = "down"
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    later = clock.now() + timedelta(seconds=61)  # past Peñalolén's deadline_s (60)
    monkeypatch.setattr(clock, "now", lambda: later)
    pump_all(stack)

    posts_while_down = len(roaming.stand_in.bodies)
    assert posts_while_down >= 2  # retried
    # her phone is told, in her locale, and the home's own CAD gets the place
    resident = stack.resident_item(citizen.user_id)
    texts = [m for m in roaming.sent("sms") if m["recipient"] == resident["phone"]]
    assert len(texts) == 1
    assert "Peñalolén" in texts[0]["body"]
    (cap,) = roaming.fake_cad.received
    assert f"{IN_PENALOLEN[0]:.4f}"[:7] in cap["body"]
    shown = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims)
    assert shown.json["roaming"]["status"] == "fallback"

    # the partner comes back; the dead letter is redriven (make redrive QUEUE=federation)
    roaming.stand_in.mode = "up"
    assert runtime.redrive()("federation") == 1
    pump_all(stack)
    pump_all(stack)

    assert len(roaming.stand_in.accepted) == 1  # delivered once
    assert len([m for m in roaming.sent("sms") if m["recipient"] == resident["phone"]]) == 1  # told once
    shown = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims)
    assert shown.json["roaming"]["status"] == "delivered"


def test_a_409_from_the_partner_counts_as_delivered(api, stack, citizen, roaming):
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    # the partner already has this distributionID (say our first try's answer was lost on the way back)
    pump_all(stack)
    record = deliveries(stack, alert_id)[0]
    stack.table("DeliveriesTable").update_item(
        Key={"pk": record["pk"], "sk": record["sk"]},
        UpdateExpression="SET #s = :q",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":q": "queued"},
    )
    from vigia.dispatch import tasks
    from vigia.dispatch.protocol import Delivery

    body = roaming.stand_in.bodies[0].decode("utf-8")
    task = tasks.to_message(Delivery(alert_id, "alert", "federation", "partner", PARTNER, body), city_id=HOME)
    stack.client("sqs").send_message(
        QueueUrl=stack.resources["FederationQueue"], MessageBody=json.dumps(task)
    )
    pump_all(stack)

    assert roaming.stand_in.refused == ["federation-replayed"]
    assert deliveries(stack, alert_id)[0]["status"] == "sent"


def test_a_lost_ack_then_the_partners_signed_409_is_delivered_once(api, stack, citizen, roaming):
    roaming.stand_in.lose_answers = 1  # Peñalolén has the Report; its Ack never reaches home
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)

    assert len(roaming.stand_in.accepted) == 1  # one visitor alert there
    assert roaming.stand_in.refused == ["federation-replayed"]  # the retry: its signed 409
    assert deliveries(stack, alert_id)[0]["status"] == "sent"
    shown = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims)
    assert shown.json["roaming"]["status"] == "delivered"


def test_an_unsigned_409_is_not_taken_as_delivered(api, stack, citizen, roaming):
    # whoever answers at the partner's endpoint can say 409; only the partner's signed Ack of it counts
    roaming.stand_in.lose_answers = 1
    roaming.stand_in.unsigned_replays = True
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)

    assert len(roaming.stand_in.refused) >= 2  # every retry answered 409, none believed
    (record,) = [r for r in deliveries(stack, alert_id) if r["channel"] == "federation"]
    assert record["status"] == "dead_letter"
    resident = stack.resident_item(citizen.user_id)
    assert len([m for m in roaming.sent("sms") if m["recipient"] == resident["phone"]]) == 1  # she is told
    shown = api("GET", f"/v1/alerts/{alert_id}", claims=citizen.claims)
    assert shown.json["roaming"]["status"] == "fallback"  # no retry left: the home's own fallback ran


# ------------------------------------------------------------------ cancel


def test_her_cancel_within_the_window_travels_as_a_cap_cancel(api, stack, citizen, roaming):
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)

    cancelled = api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims)
    assert cancelled.status == 202, cancelled.body
    pump_all(stack)

    report, cancel = roaming.stand_in.accepted
    assert cancel.kind == "Cancel"
    assert cancel.in_reply_to == report.distribution_id
    assert roaming.sent("sms") == []
    assert roaming.fake_cad.received == []


def test_a_cancel_answered_without_the_partners_signed_ack_is_not_taken_as_cancelled(
    api, stack, citizen, roaming
):
    alert_id = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    relay(stack, alert_id)
    pump_all(stack)
    assert stack.alert_item(alert_id)["roaming"]["status"] == "delivered"
    roaming.stand_in.mode = "impostor"  # whoever answers now: a 200 with an Ack a stranger's key signed

    assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=citizen.claims).status == 202
    pump_all(stack)

    (cancel,) = [r for r in deliveries(stack, alert_id) if r["kind"] == "cancel"]
    assert cancel["status"] == "dead_letter"  # retried, never believed
    assert stack.alert_item(alert_id)["roaming"]["status"] == "delivered"  # not "cancelled"


def test_nothing_roams_near_home(api, stack, citizen, roaming):
    answer = send(api, citizen, near_centre())
    assert answer.status == 202
    assert "roaming" not in answer.json


def test_a_forwarded_alert_is_not_in_the_home_operators_queue(api, stack, citizen, roaming):
    from tests.integration.conftest import staff

    abroad = send(api, citizen, IN_PENALOLEN).json["alert_id"]
    at_home = send(api, citizen, near_centre()).json["alert_id"]

    queue = api("GET", "/v1/alerts", claims=staff("operator"))
    assert queue.status == 200
    listed = {item["alert_id"] for item in queue.json["items"]}
    assert at_home in listed
    assert abroad not in listed  # the home's cars are not the place's: Peñalolén's queue has it
