"""Who an alert's protocol reaches, what CAP the provincial CAD gets, and how a delivery is sent once."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import godoy_cruz_pack
from vigia.alerts.submission import Alert
from vigia.dispatch import cap, protocol, sending, sms_text, tasks
from vigia.dispatch.cancellation import cancel
from vigia.dispatch.protocol import Neighbour, Sender, Told
from vigia.errors import Conflict, NotFound

ROOT = Path(__file__).resolve().parents[2]
PACK = godoy_cruz_pack()
CAP_XSD = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))
BLOCK = PACK.blocks["B-0001"]
SENDER = Sender("u-sender", "Ana María Pérez", "+5492615550999", "Calle Sarmiento 120", "es-AR")
PUBLIC = {
    "neighbours",
    "sirens",
    "sender_confirmation",
    "community_police",
    "medical",
    "fire",
    "provincial_police",
}


def alert_of(
    type_: str = "robbery", *, block=BLOCK, created="2026-03-14T21:07:12.345Z", accuracy=10.0
) -> Alert:
    lat, lon = block.centroid if block else (-32.93, -68.84)
    return Alert(
        "01JQ8Z6V4M3K2N1P0R9S8T7V6W",
        type_,
        PACK.alert_types[type_].silent,
        2,
        SENDER.user_id,
        lat,
        lon,
        accuracy,
        None,
        block.block_id if block else None,
        block.quadrant_id if block else None,
        "location",
        "received",
        created,
        created[:10],
    )


def neighbours(n: int, block_id: str = "B-0001") -> list[Neighbour]:
    return [Neighbour(f"{block_id}-{i}", f"+549261555{i:04d}", "es-AR" if i % 3 else "en") for i in range(n)]


def plan(type_: str = "robbery", people: list[Neighbour] | None = None, **kw) -> protocol.Plan:
    alert = alert_of(type_, **kw)
    return protocol.plan_alert(
        alert,
        PACK.alert_types[type_],
        PACK,
        sender=SENDER,
        neighbours=neighbours(5) if people is None else people,
    )


# ------------------------------------------------------------------ who gets what
def test_a_robbery_runs_the_godoy_cruz_protocol():
    by_target = Counter(d.target for d in plan().deliveries)
    assert by_target == {
        "neighbours": 5,
        "community_police": 2,
        "provincial_police": 1,
        "sirens": 1,
        "sender_confirmation": 1,
    }


def test_a_medical_emergency_calls_medical_and_neighbours_but_sounds_no_siren():
    targets = {d.target for d in plan("medical_emergency").deliveries}
    assert "medical" in targets
    assert "neighbours" in targets
    assert "sirens" not in targets


def test_the_sender_is_never_among_the_neighbours_told():
    people = [*neighbours(3), Neighbour(SENDER.user_id, SENDER.phone, "es-AR")]
    neighbour_phones = [d.recipient for d in plan(people=people).deliveries if d.target == "neighbours"]
    assert SENDER.phone not in neighbour_phones
    confirmation = [d for d in plan(people=people).deliveries if d.recipient == SENDER.phone]
    assert [d.target for d in confirmation] == ["sender_confirmation"]


def test_neighbours_are_told_who_sent_it_and_where_in_their_language():
    deliveries = {d.recipient: d for d in plan().deliveries if d.target == "neighbours"}
    spanish = deliveries["+5492615550001"]
    english = deliveries["+5492615550000"]
    assert "Ana Maria Pérez" in spanish.body  # í folded to keep one part; é is GSM-7
    assert BLOCK.name in spanish.body  # where the alert is; her home only when she raised it there
    assert "Calle Sarmiento 120" not in spanish.body
    assert spanish.body.startswith("VIGIA: ROBO")
    assert english.body.startswith("VIGIA: ROBBERY")


def test_a_step_without_disclose_sender_does_not_name_the_sender():
    texts = [d.body for d in plan("suspicious_activity").deliveries if d.target == "neighbours"]
    assert texts
    assert all("Ana" not in t and "Sarmiento" not in t for t in texts)


def test_every_demo_sms_to_residents_fits_one_part_with_a_typical_name_and_address():
    # Residents' SMS are the ones multiplied by the block's size; staff numbers are a handful.
    for code in PACK.alert_types:
        for d in plan(code).deliveries:
            if d.channel == "sms":
                limit = 1 if d.target in ("neighbours", "sender_confirmation") else 2
                assert sms_text.measure(d.body).parts <= limit, (code, d.target, d.body)


def test_the_same_phone_reached_by_two_steps_gets_one_message():
    police = PACK.dispatch.community_police[0]
    people = [Neighbour("officer-at-home", police, "es-AR"), *neighbours(2)]
    keys = [d.key for d in plan(people=people).deliveries]
    assert len(keys) == len(set(keys))
    assert sum(1 for d in plan(people=people).deliveries if d.recipient == police) == 1


def test_an_alert_without_a_block_reaches_no_neighbours_and_no_siren():
    p = plan(block=None)
    assert not [d for d in p.deliveries if d.target in ("neighbours", "sirens")]
    assert any("siren" in note for note in p.notes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    type_=st.sampled_from(sorted(PACK.alert_types)),
    silent=st.booleans(),
    count=st.integers(min_value=0, max_value=40),
    block_id=st.sampled_from(sorted(PACK.blocks)[:50]),
)
def test_a_silent_alert_never_produces_a_public_delivery(type_, silent, count, block_id):
    block = PACK.blocks[block_id]
    alert = dataclasses.replace(alert_of(type_, block=block), silent=silent or PACK.alert_types[type_].silent)
    result = protocol.plan_alert(
        alert, PACK.alert_types[type_], PACK, sender=SENDER, neighbours=neighbours(count, block_id)
    )
    keys = [d.key for d in result.deliveries]
    assert len(keys) == len(set(keys))
    assert SENDER.phone not in {d.recipient for d in result.deliveries if d.target == "neighbours"}
    if alert.silent:
        assert not {d.target for d in result.deliveries} & PUBLIC
        assert {d.recipient for d in result.deliveries} <= set(PACK.dispatch.response_team)


# ------------------------------------------------------------------ CAP 1.2
def cap_of(type_: str, **kw) -> bytes:
    body = next(d.body for d in plan(type_, **kw).deliveries if d.channel == protocol.WEBHOOK)
    return body.encode("utf-8")


@pytest.mark.parametrize(
    "type_", [t for t, at in PACK.alert_types.items() if at.targets & {"provincial_police"}]
)
def test_the_cad_gets_valid_cap_for_every_type_that_calls_it(type_):
    body = cap_of(type_)
    CAP_XSD.validate(body.decode())
    root = cap.parse(body)
    assert cap.rule_problems(root) == []
    ns = {"c": cap.CAP_NS}
    assert root.findtext("c:msgType", namespaces=ns) == "Alert"
    assert root.findtext("c:sent", namespaces=ns) == "2026-03-14T18:07:12-03:00"  # Mendoza time, no "Z"
    assert root.findtext("c:info/c:category", namespaces=ns) == PACK.alert_types[type_].cap.category
    assert root.find("c:info/c:area/c:polygon", ns) is not None
    assert root.find("c:info/c:area/c:circle", ns) is not None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    block_id=st.sampled_from(sorted(PACK.blocks)),
    accuracy=st.floats(min_value=0, max_value=5000),
    seconds=st.integers(min_value=0, max_value=10 * 365 * 86400),
)
def test_cap_is_valid_for_any_block_accuracy_and_time(block_id, accuracy, seconds):
    created = (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    body = cap_of("robbery", block=PACK.blocks[block_id], accuracy=accuracy, created=created)
    assert CAP_XSD.is_valid(body.decode())
    assert cap.rule_problems(cap.parse(body)) == []


def test_the_cancellation_cap_references_the_original_alert():
    alert, robbery = alert_of(), PACK.alert_types["robbery"]
    original = cap.parse(cap_of("robbery"))
    told = [Told("webhook", "provincial_police", protocol.PROVINCIAL_CAD, "es-AR")]
    when = datetime(2026, 3, 14, 21, 8, 1, tzinfo=UTC)
    body = protocol.plan_cancel(alert, robbery, PACK, told, cancelled_at=when).deliveries[0].body
    CAP_XSD.validate(body)
    root = cap.parse(body.encode())
    ns = {"c": cap.CAP_NS}
    assert root.findtext("c:msgType", namespaces=ns) == "Cancel"
    reference = root.findtext("c:references", namespaces=ns)
    assert reference == ",".join(
        original.findtext(f"c:{t}", namespaces=ns) for t in ("sender", "identifier", "sent")
    )
    assert root.findtext("c:identifier", namespaces=ns) != original.findtext("c:identifier", namespaces=ns)


def test_the_xsd_refuses_what_cap_forbids():
    good = cap_of("robbery").decode()
    assert not CAP_XSD.is_valid(good.replace("-03:00</sent>", "Z</sent>"))  # no "Z" in CAP times
    assert not CAP_XSD.is_valid(good.replace("<msgType>Alert", "<msgType>Alarm"))
    assert not CAP_XSD.is_valid(good.replace("<identifier>vigia-", "<identifier>vigia "))
    assert not CAP_XSD.is_valid(good.replace("<category>Security</category>", ""))


def test_cancellation_tells_who_was_told_and_stops_sirens_but_not_the_sender():
    alert, robbery = alert_of(), PACK.alert_types["robbery"]
    told = [Told(d.channel, d.target, d.recipient, d.locale) for d in plan().deliveries]
    result = protocol.plan_cancel(alert, robbery, PACK, told, cancelled_at=datetime.now(UTC))
    assert SENDER.phone not in {d.recipient for d in result.deliveries}
    siren = [d for d in result.deliveries if d.channel == "siren"]
    assert [d.body for d in siren] == ['{"command":"stop","alert_id":"01JQ8Z6V4M3K2N1P0R9S8T7V6W"}']
    assert all(d.kind == protocol.CANCEL for d in result.deliveries)
    english = next(d for d in result.deliveries if d.recipient == "+5492615550000")
    assert "cancelled" in english.body


# ------------------------------------------------------------------ sending once
class Ledger:
    """An in-memory ledger with the DynamoDB ledger's conditions."""

    def __init__(self, *deliveries: protocol.Delivery) -> None:
        self.rows = {d.key: {"status": sending.QUEUED, "lease": 0.0, "attempts": 0} for d in deliveries}

    def claim(self, delivery, *, now_s, lease_s, at):
        row = self.rows.get(delivery.key)
        if row is None:
            return sending.UNKNOWN
        if row["status"] in (sending.QUEUED, sending.FAILED, sending.DEAD_LETTER):
            row.update(status=sending.SENDING, lease=now_s + lease_s, attempts=row["attempts"] + 1)
            return sending.CLAIMED
        if row["status"] == sending.SENDING and row["lease"] < now_s:  # the attempt before died mid-send
            row.update(lease=now_s + lease_s, attempts=row["attempts"] + 1)
            return sending.RECLAIMED
        return {sending.SENT: sending.ALREADY_SENT, sending.CANCELLED: sending.WITHDRAWN}.get(
            row["status"], sending.IN_FLIGHT
        )

    def mark_sent(self, delivery, *, at, provider_id):
        self.rows[delivery.key]["status"] = sending.SENT

    def mark_failed(self, delivery, *, at, error, dead):
        self.rows[delivery.key].update(status=sending.DEAD_LETTER if dead else sending.FAILED, error=error)


SMS = protocol.Delivery("a1", "alert", "sms", "neighbours", "+5492615550001", "hola", "es-AR")


def deliver(ledger, send, *, receive=1, now=1000.0, on_uncertain=None):
    return sending.deliver(
        SMS,
        ledger=ledger,
        send=send,
        attempt=sending.Attempt(receive, 5),
        now_s=now,
        at="t",
        lease_s=60,
        on_uncertain=on_uncertain,
    )


@settings(deadline=None)
@given(st.lists(st.sampled_from(["redeliver", "late", "early"]), max_size=8))
def test_however_often_a_task_comes_back_it_is_sent_once(arrivals):
    ledger, sent = Ledger(SMS), []
    deliver(ledger, lambda d: sent.append(d) or "id")
    for arrival in arrivals:
        now = {"redeliver": 1000.0, "late": 5000.0, "early": 1001.0}[arrival]
        assert deliver(ledger, lambda d: sent.append(d) or "id", now=now) == sending.ALREADY_SENT
    assert len(sent) == 1


def test_a_failed_send_is_recorded_and_raised_and_the_last_try_is_dead_lettered():
    ledger = Ledger(SMS)

    def broken(_):
        raise ConnectionError("SNS unreachable for +5492615550001")

    with pytest.raises(ConnectionError):
        deliver(ledger, broken, receive=1)
    assert ledger.rows[SMS.key]["status"] == sending.FAILED
    assert "5492615550001" not in ledger.rows[SMS.key]["error"]
    with pytest.raises(ConnectionError):
        deliver(ledger, broken, receive=5)
    assert ledger.rows[SMS.key]["status"] == sending.DEAD_LETTER
    assert deliver(ledger, lambda d: "id", receive=1) == sending.SENT  # after a redrive


def test_a_task_whose_lease_is_held_elsewhere_waits_and_an_unknown_one_is_refused():
    ledger = Ledger(SMS)
    ledger.rows[SMS.key].update(status=sending.SENDING, lease=2000.0)
    with pytest.raises(sending.DeliveryInFlight):
        deliver(ledger, lambda d: "id")
    with pytest.raises(sending.UnknownDelivery):
        deliver(Ledger(), lambda d: "id")
    ledger.rows[SMS.key].update(status=sending.CANCELLED)
    assert (
        deliver(ledger, lambda d: pytest.fail("a withdrawn delivery must not be sent")) == sending.WITHDRAWN
    )


def test_taking_over_a_lease_that_ran_out_sends_and_says_the_earlier_outcome_is_unknown():
    # Given an attempt that claimed the SMS and died (after the provider's accept, or before: nobody knows)
    ledger, sent, uncertain = Ledger(SMS), [], []
    ledger.rows[SMS.key].update(status=sending.SENDING, lease=900.0, attempts=1)
    # When the task comes back after the lease ran out
    outcome = deliver(ledger, lambda d: sent.append(d) or "id", now=1000.0, on_uncertain=uncertain.append)
    # Then it is sent, and the sender hears, before the send, that this may be the second time
    assert outcome == sending.SENT
    assert sent == [SMS]
    assert uncertain == [SMS]
    assert ledger.rows[SMS.key]["status"] == sending.SENT


def test_a_ledger_saying_reclaimed_is_a_claim_and_an_ordinary_claim_is_not_uncertain():
    class Reclaiming(Ledger):
        def claim(self, delivery, *, now_s, lease_s, at):
            return sending.RECLAIMED

    order = []
    outcome = deliver(
        Reclaiming(SMS), lambda d: order.append("send") or "id", on_uncertain=lambda d: order.append("warn")
    )
    assert (outcome, order) == (sending.SENT, ["warn", "send"])
    # a claim after a failed send is ordinary: that attempt's outcome is known (it failed)
    ledger, uncertain = Ledger(SMS), []
    ledger.rows[SMS.key].update(status=sending.FAILED, attempts=1)
    assert deliver(ledger, lambda d: "id", on_uncertain=uncertain.append) == sending.SENT
    assert uncertain == []


def test_a_task_survives_the_queue_round_trip():
    for d in plan().deliveries:
        assert tasks.from_message(tasks.to_message(d, city_id="godoy-cruz")) == dataclasses.replace(
            d, delay_s=0
        )
    with pytest.raises(ValueError, match="key"):
        tasks.from_message({**tasks.to_message(SMS, city_id="x"), "recipient": "+5492615550002"})


# ------------------------------------------------------------------ cancelling
class Store:
    def __init__(self, alert: Alert) -> None:
        self.alert, self.cancelled, self.announced = alert, None, []

    def get(self, alert_id):
        return self.alert if alert_id == self.alert.alert_id else None

    def cancel(self, alert_id, *, at, by, allowed):
        if self.alert.status not in allowed:
            return self.alert.status
        self.alert = dataclasses.replace(self.alert, status="cancelled")
        return None

    def announce(self, alert_id, at):
        self.announced.append(alert_id)


def cancel_as(store, who, now):
    return cancel(
        store.alert.alert_id,
        sender_id=who,
        window_s=120,
        helpline="+5492614000000",
        alerts=store,
        canceller=store,
        notice=store,
        now=now,
    )


def test_the_sender_may_cancel_within_the_window_and_nobody_else_ever():
    created = datetime(2026, 3, 14, 21, 7, 12, tzinfo=UTC)
    store = Store(alert_of(created="2026-03-14T21:07:12.000Z"))
    with pytest.raises(NotFound):
        cancel_as(store, "someone-else", created)
    with pytest.raises(Conflict, match="first 2 minutes"):
        cancel_as(store, SENDER.user_id, created + timedelta(seconds=121))
    assert cancel_as(store, SENDER.user_id, created + timedelta(seconds=119))["status"] == "cancelled"
    assert cancel_as(store, SENDER.user_id, created + timedelta(hours=1))["status"] == "cancelled"  # a retry
    assert store.announced == [store.alert.alert_id] * 2


def test_an_alert_already_on_scene_cannot_be_cancelled():
    created = datetime(2026, 3, 14, 21, 7, 12, tzinfo=UTC)
    store = Store(dataclasses.replace(alert_of(created="2026-03-14T21:07:12.000Z"), status="on_scene"))
    with pytest.raises(Conflict, match="on scene"):
        cancel_as(store, SENDER.user_id, created + timedelta(seconds=30))
    assert store.announced == []
