"""AlertsTable: the alert item (pk = alert_id, sk = "ALERT"), its one model and its one mapping.

Intake writes it (`DynamoAlertStore`, with the Idempotency-Key claim and the sender's window in one
transaction); dispatch (dynamodb.dispatch) and the lifecycle (dynamodb.incidents) move it with conditional
updates that touch only their own attributes; the watchdog, hot spots and the indicators read a local day
of it on the `by_local_date` index, never a Scan. Every reader gets its domain view from `values()`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from vigia import clock
from vigia.adapters.dynamodb import idempotency
from vigia.adapters.dynamodb.binding import Record, conditional_failed, connection, reasons, table, unbound
from vigia.adapters.dynamodb.idempotency import SendingWindowRecord
from vigia.alerts.model import Alert, IdempotencyClaim, PriorAnswer, SendingWindow, Visitor, WindowMoved
from vigia.errors import Conflict
from vigia.incidents import lifecycle
from vigia.incidents.lifecycle import Incident
from vigia.silent import lifecycle as silent_lifecycle

if TYPE_CHECKING:
    from vigia.hotspots import AlertSample

SK = "ALERT"
RECEIVED = "received"
_STAMPED = tuple(
    dict.fromkeys(s for s in (*lifecycle.STATUSES, *silent_lifecycle.STAMPED) if s != lifecycle.RECEIVED)
)


class AlertsBySender(GlobalSecondaryIndex["AlertRecord"]):
    class Meta:
        index_name = "by_sender"
        projection = KeysOnlyProjection()

    sender_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class AlertsByLocalDate(GlobalSecondaryIndex["AlertRecord"]):
    class Meta:
        index_name = "by_local_date"
        projection = AllProjection()

    local_date = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class AlertsByQueue(GlobalSecondaryIndex["AlertRecord"]):
    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue_status = UnicodeAttribute(hash_key=True)
    queue_order = UnicodeAttribute(range_key=True)


class Location(MapAttribute[str, Any]):
    lat = NumberAttribute()
    lon = NumberAttribute()
    accuracy_m = NumberAttribute(null=True)


@table("alerts_table")
class AlertRecord(Record):
    """One alert: the one model of the item, for every area."""

    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=SK)
    type = UnicodeAttribute()
    silent = BooleanAttribute(default=False)
    priority = NumberAttribute()
    sender_id = UnicodeAttribute()
    location = Location(null=True)  # null on a silent alert: its place is sealed (vigia.silent)
    note = UnicodeAttribute(null=True)
    block_id = UnicodeAttribute(null=True)
    quadrant_id = UnicodeAttribute(null=True)
    block_source = UnicodeAttribute(null=True)  # "location" or "home"
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    local_date = UnicodeAttribute()
    sealed = UnicodeAttribute(null=True)  # a silent alert's identity and place, enveloped (adapters.sealing)
    queue_status = UnicodeAttribute(null=True)
    queue_order = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)
    timeline = ListAttribute(of=MapAttribute, null=True)
    # dispatch
    dispatched_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    dispatch_attempts = NumberAttribute(null=True)
    dispatch_lease_until = NumberAttribute(null=True)
    # every delivery of the protocol is queued: the dispatcher's own mark, not a lifecycle time (an alert
    # that moved on before its protocol ran gets this, never a `dispatched_at` after its later steps)
    fanned_out_at = UnicodeAttribute(null=True)
    republished_at = UnicodeAttribute(null=True)  # the watchdog re-published it once (vigia.alerts.watchdog)
    # lifecycle
    unit_id = UnicodeAttribute(null=True)
    acknowledged_at = UnicodeAttribute(null=True)
    assigned_at = UnicodeAttribute(null=True)
    en_route_at = UnicodeAttribute(null=True)
    on_scene_at = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    false_alarm_at = UnicodeAttribute(null=True)
    escalated_at = UnicodeAttribute(null=True)
    dispatch_time_s = NumberAttribute(null=True)
    response_time_s = NumberAttribute(null=True)
    met_target = BooleanAttribute(null=True)
    # a silent alert's own lifecycle (vigia.silent.lifecycle): the response team's steps and the ack watch
    in_contact_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    police_requested_at = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    ack_reminded_at = UnicodeAttribute(null=True)
    # a partner city's resident's alert raised here (docs/roaming.md): {partner, remote_id, caller_name,
    # callback_phone}; its sender_id is "visitor#<partner>#<remote_id>", no resident's
    visitor = MapAttribute[str, Any](null=True)
    # a resident's alert forwarded to a partner city (docs/roaming.md): {partner, status[, fallback_at]}
    roaming = MapAttribute[str, Any](null=True)
    by_sender = AlertsBySender()
    by_local_date = AlertsByLocalDate()
    by_queue = AlertsByQueue()


# ------------------------------------------------------------------ the one mapping
def values(record: AlertRecord) -> dict[str, Any]:
    """The item as plain Python values, attribute names kept (`pk`, `sk` …): the one reading of its
    attributes. The location is flattened to lat/lon/accuracy_m (None on a sealed alert), the timeline's
    entries to dicts; an attribute the item lacks (or a projection left out) is absent."""
    found = dict(record.attribute_values)
    loc = found.pop("location", None)
    if loc is not None:
        found["lat"], found["lon"] = float(loc.lat), float(loc.lon)
        found["accuracy_m"] = float(loc.accuracy_m) if loc.accuracy_m is not None else None
    if found.get("roaming") is not None:
        roaming = found["roaming"]
        found["roaming"] = dict(roaming.as_dict() if hasattr(roaming, "as_dict") else roaming)
    if found.get("visitor") is not None:
        visitor = found["visitor"]
        found["visitor"] = dict(visitor.as_dict() if hasattr(visitor, "as_dict") else visitor)
    if "timeline" in found:
        found["timeline"] = [
            dict(e.as_dict() if hasattr(e, "as_dict") else e) for e in found["timeline"] or []
        ]
    return found


def alert(v: Mapping[str, Any]) -> Alert:
    """The alert as intake and dispatch see it (a sealed alert's place is NaN: it is in the envelope only)."""
    return Alert(
        alert_id=v["pk"],
        type=v["type"],
        silent=bool(v.get("silent")),
        priority=int(v["priority"]),
        sender_id=v["sender_id"],
        lat=v.get("lat", math.nan),
        lon=v.get("lon", math.nan),
        accuracy_m=v.get("accuracy_m"),
        note=v.get("note"),
        block_id=v.get("block_id"),
        quadrant_id=v.get("quadrant_id"),
        block_source=v.get("block_source"),
        status=v["status"],
        created_at=v["created_at"],
        local_date=v["local_date"],
        sealed=v.get("sealed"),
        visitor=Visitor(**v["visitor"]) if v.get("visitor") else None,
        roaming=v.get("roaming"),
    )


def incident(v: Mapping[str, Any]) -> Incident:
    """The alert as the lifecycle sees it."""
    seconds = {
        k: float(v[k]) if v.get(k) is not None else None for k in ("dispatch_time_s", "response_time_s")
    }
    return Incident(
        alert_id=v["pk"],
        type=v["type"],
        priority=int(v["priority"]),
        silent=bool(v.get("silent")),
        sender_id=v["sender_id"],
        created_at=v["created_at"],
        status=v["status"],
        block_id=v.get("block_id"),
        quadrant_id=v.get("quadrant_id"),
        lat=v.get("lat"),
        lon=v.get("lon"),
        unit_id=v.get("unit_id"),
        stamps={status: v[f"{status}_at"] for status in _STAMPED if v.get(f"{status}_at")},
        timeline=tuple(v.get("timeline") or ()),
        met_target=v.get("met_target"),
        outcome=v.get("outcome"),
        visitor=v.get("visitor"),
        **seconds,
    )


def sample(v: Mapping[str, Any]) -> AlertSample | None:
    """What hot-spot scoring reads of an alert (never who sent it, never a silent alert's place)."""
    from vigia.hotspots import AlertSample  # numpy: only the hot-spot paths pay its import

    if not v.get("created_at") or v.get("sk", SK) != SK:
        return None
    if v.get("roaming"):
        return None  # forwarded to a partner city: its place is theirs, never a hot spot of ours
    silent = bool(v.get("silent", False))
    return AlertSample(
        type=str(v.get("type", "")),
        created_at=clock.parse_iso(v["created_at"]),
        lat=None if silent else v.get("lat"),
        lon=None if silent else v.get("lon"),
        quadrant_id=v.get("quadrant_id"),
        silent=silent,
        status=_outcome(v),
        alert_id=None if silent else v.get("pk"),
    )


def _outcome(v: Mapping[str, Any]) -> str | None:
    """The status hot spots judge an alert by: a false alarm or a sender's cancel stays one once stamped."""
    status = v.get("status")
    if status in ("false_alarm", "cancelled"):
        return str(status)
    if v.get("false_alarm_at"):
        return "false_alarm"
    if v.get("cancelled_at"):
        return "cancelled"
    return str(status) if status else None


# ------------------------------------------------------------------ intake
def _window_record(window: SendingWindow) -> tuple[SendingWindowRecord, Any]:
    """The window as the alert's transaction writes it, and the condition: nobody moved it since the read."""
    newest = clock.parse_iso(window.sent[-1]) if window.sent else None
    expires = int((newest + timedelta(seconds=window.span_s)).timestamp()) + 1 if newest else int(time.time())
    record = SendingWindowRecord(
        window.key, sent=list(window.sent), version=window.version + 1, expires_at=expires
    )
    if window.version == 0:
        return record, SendingWindowRecord.pk.does_not_exist()
    return record, SendingWindowRecord.version == window.version


class DynamoAlertStore:
    """submission.AlertStore on the Alerts and Idempotency tables."""

    def window(self, key: str) -> SendingWindow:
        try:
            record = SendingWindowRecord.get(key, consistent_read=True)
        except SendingWindowRecord.DoesNotExist:
            return SendingWindow(key)
        return SendingWindow(key, tuple(str(at) for at in record.sent or ()), int(record.version))

    def prior_answer(self, claim_key: str) -> PriorAnswer | None:
        found = idempotency.prior(claim_key)
        return PriorAnswer(*found) if found is not None else None

    def create(
        self, alert: Alert, claim: IdempotencyClaim | None, window: SendingWindow
    ) -> PriorAnswer | None:
        record = AlertRecord(
            alert.alert_id,
            SK,
            type=alert.type,
            silent=alert.silent,
            priority=alert.priority,
            sender_id=alert.sender_id,
            location=None
            if alert.sealed
            else Location(lat=alert.lat, lon=alert.lon, accuracy_m=alert.accuracy_m),
            sealed=alert.sealed,
            note=alert.note,
            block_id=alert.block_id,
            quadrant_id=alert.quadrant_id,
            block_source=alert.block_source,
            status=alert.status,
            created_at=alert.created_at,
            local_date=alert.local_date,
            # forwarded to a partner city: its queue, not ours (off the sparse by_queue index)
            queue_status=None if alert.roaming else "open",
            queue_order=None if alert.roaming else f"{alert.priority:02d}#{alert.created_at}",
            # a silent alert's claim is a MAC, kept on the claim only: nothing sender-derived on its record
            request_hash=claim.request_hash if claim and not alert.sealed else None,
            visitor=vars(alert.visitor).copy() if alert.visitor else None,
            roaming=dict(alert.roaming) if alert.roaming else None,
        )
        window_record, window_condition = _window_record(window)
        try:
            with TransactWrite(connection=connection()) as tx:  # puts go in the order they are added
                tx.save(record, condition=AlertRecord.pk.does_not_exist())
                if claim is not None:
                    taken = idempotency.claim_record(
                        claim.key, claim.request_hash, alert.alert_id, at=alert.created_at
                    )
                    tx.save(taken, condition=idempotency.unclaimed())
                tx.save(window_record, condition=window_condition)
        except TransactWriteError as error:
            why = reasons(error)
            if claim is not None and len(why) > 1 and why[1] == "ConditionalCheckFailed":
                return self.prior_answer(claim.key)  # the key was taken first: its answer, not this one
            if why and why[0] == "ConditionalCheckFailed":
                raise Conflict("An alert with this id already exists.") from None
            if why[-1:] == ["ConditionalCheckFailed"] or "TransactionConflict" in why:
                raise WindowMoved(window.key) from None
            raise
        return None

    def get(self, alert_id: str) -> Alert | None:
        try:
            return alert(values(AlertRecord.get(alert_id, SK)))
        except AlertRecord.DoesNotExist:
            return None

    def open_silent(self, limit: int) -> list[Alert]:
        """Open silent alerts, most urgent and oldest first (by_queue; the filter reads wide pages)."""
        silent = AlertRecord.silent == True  # noqa: E712 - a DynamoDB condition, not a truth test
        records = AlertRecord.by_queue.query("open", filter_condition=silent, page_size=200)
        return [alert(values(record)) for _, record in zip(range(limit), records, strict=False)]


# ------------------------------------------------------------------ a local day (never a Scan)
# What the relay reads of a new image (vigia.alerts.relaying): routing signs and the event's fields.
_IMAGE = ("pk", "type", "priority", "block_id", "quadrant_id", "created_at", "local_date", "silent", "sealed")


class DynamoStalledAlerts:
    """watchdog.StalledAlerts: a Query per local date, and a conditional update that marks an alert
    re-published once."""

    def received(self, local_date: str, *, since: str, until: str) -> Iterator[dict[str, Any]]:
        waiting = (AlertRecord.status == RECEIVED) & AlertRecord.republished_at.does_not_exist()
        for record in AlertRecord.by_local_date.query(
            local_date,
            range_key_condition=AlertRecord.created_at.between(since, until),
            filter_condition=waiting,
        ):
            if record.sk != SK:
                continue
            found = values(record)
            yield {name: found.get(name) for name in _IMAGE}

    def claim(self, alert_id: str, *, at: str) -> bool:
        try:
            AlertRecord(alert_id, SK).update(
                actions=[AlertRecord.republished_at.set(at)],
                condition=AlertRecord.pk.exists()
                & (AlertRecord.status == RECEIVED)
                & AlertRecord.republished_at.does_not_exist(),
            )
            return True
        except UpdateError as error:
            if conditional_failed(error):
                return False
            raise

    def release(self, alert_id: str) -> None:
        AlertRecord(alert_id, SK).update(
            actions=[AlertRecord.republished_at.remove()], condition=AlertRecord.pk.exists()
        )


_SAMPLE_FIELDS = [
    "pk", "sk", "type", "silent", "location", "quadrant_id", "created_at", "status", "cancelled_at",
    "false_alarm_at", "roaming",  # a forwarded alert's place is the partner's: never a hot spot here
]  # fmt: skip


class DynamoAlertHistory:
    """One local day of alerts as hot-spot scoring reads them: one Query on by_local_date."""

    def __init__(self) -> None:
        self.queries = 0

    def on_date(self, local_date: str) -> Iterable[AlertSample]:
        self.queries += 1
        for record in AlertRecord.by_local_date.query(local_date, attributes_to_get=_SAMPLE_FIELDS):
            found = sample(values(record))
            if found is not None:
                yield found


# ------------------------------------------------------------------ roaming (docs/roaming.md)
class DynamoRoaming:
    """A forwarded alert's roaming status, moved with a condition on the status it had."""

    def status(self, alert_id: str) -> str | None:
        try:
            record = AlertRecord.get(alert_id, SK, attributes_to_get=["roaming"], consistent_read=True)
        except AlertRecord.DoesNotExist:
            return None
        found = values(record).get("roaming") or {}
        return found.get("status")

    def mark(self, alert_id: str, status: str, *, at: str, allowed: tuple[str, ...]) -> bool:
        """roaming.status → `status` (with `<status>_at`) if it is one of `allowed`; False otherwise."""
        try:
            AlertRecord(alert_id, SK).update(
                actions=[
                    AlertRecord.roaming["status"].set(status),
                    AlertRecord.roaming[f"{status}_at"].set(at),
                ],
                condition=AlertRecord.roaming["status"].is_in(*allowed),
            )
            return True
        except UpdateError as error:
            if conditional_failed(error):
                return False
            raise
