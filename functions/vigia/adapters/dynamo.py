"""pynamodb models of Vigía's tables; table names and endpoint come from settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from vigia import settings

_S = settings.get()


class _Meta:
    region = _S.region
    host = _S.aws_endpoint_url


def _meta(table: str) -> Any:
    return type("Meta", (_Meta,), {"table_name": table})


# ------------------------------------------------------------------ residents
class ResidentsByBlock(GlobalSecondaryIndex["ResidentRecord"]):
    class Meta:
        index_name = "by_block"
        projection = IncludeProjection(["status", "phone", "locale"])

    block_id = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class ResidentsByStatus(GlobalSecondaryIndex["ResidentRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ResidentRecord(Model):
    """A resident (pk = Cognito sub). Uniqueness claims share the table as `unique#<field>#<value>`."""

    Meta = _meta(_S.residents_table)
    pk = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(default="resident")
    full_name = UnicodeAttribute(null=True)
    national_id = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    home_lat = NumberAttribute(null=True)
    home_lon = NumberAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    block_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    review_reason = UnicodeAttribute(null=True)
    strikes = ListAttribute(of=UnicodeAttribute, null=True)  # false alarms (vigia.incidents.standing)
    strikes_reset_at = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)  # on uniqueness claims: the user_id holding the value
    by_block = ResidentsByBlock()
    by_status = ResidentsByStatus()


# ------------------------------------------------------------------ alerts
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


class AlertRecord(Model):
    """One alert (pk = alert_id, sk = "ALERT"): the one model of the item, for every area.

    Intake writes it; dispatch (adapters.deliveries) and the lifecycle (adapters.incidents_store) move it
    with conditional updates that touch only their own attributes."""

    Meta = _meta(_S.alerts_table)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="ALERT")
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
    by_sender = AlertsBySender()
    by_local_date = AlertsByLocalDate()
    by_queue = AlertsByQueue()


class IdempotencyRecord(Model):
    """The first answer to a POST with an Idempotency-Key; expires after a day (TTL)."""

    Meta = _meta(_S.idempotency_table)
    pk = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()


class SendingWindowRecord(Model):
    """A sender's window for one limit (pk = `window#alert#<user_id>`, or `window#silent#<MAC>`), in the
    Idempotency table: moved by every accepted alert, in its transaction (vigia.alerts.submission)."""

    Meta = _meta(_S.idempotency_table)
    pk = UnicodeAttribute(hash_key=True)
    sent = ListAttribute(of=UnicodeAttribute)  # when the latest alerts were accepted, oldest first
    version = NumberAttribute()
    expires_at = NumberAttribute()  # TTL: gone once its newest time has left the window


class GeographyRecord(Model):
    """Blocks, quadrants and siren units of the city pack (pk = BLOCK#id / QUADRANT#id, sk = kind)."""

    Meta = _meta(_S.geography_table)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    quadrant_id = UnicodeAttribute(null=True)
    population = NumberAttribute(null=True)
    lat = NumberAttribute(null=True)
    lon = NumberAttribute(null=True)
    data = MapAttribute[str, Any](null=True)


MODELS_BY_TABLE_SETTING: dict[str, type[Model]] = {
    "residents_table": ResidentRecord,
    "alerts_table": AlertRecord,
    "idempotency_table": IdempotencyRecord,
    "geography_table": GeographyRecord,
}


# Further models of an item that shares a table with one above.
_SHARING_TABLE_SETTING: tuple[tuple[str, type[Model]], ...] = (("idempotency_table", SendingWindowRecord),)


def bind(models: Sequence[tuple[type[Model], str]]) -> None:
    """Points each model at the table its setting names, on the current endpoint and region (tests and the
    local stack provision fresh stacks and reset settings); a model already there keeps its connection."""
    s = settings.get()
    for model, setting in models:
        wanted = (getattr(s, setting), s.aws_endpoint_url, s.region)
        meta = model.Meta
        if (meta.table_name, meta.host, meta.region) != wanted:
            meta.table_name, meta.host, meta.region = wanted
            model._connection = None


def conditional_failed(error: Exception) -> bool:
    """Whether a pynamodb write failed on its condition (not on throttling or anything else)."""
    return "ConditionalCheckFailed" in str(getattr(error, "cause_response_code", "") or error)


def rebind(current: settings.Settings) -> None:
    """Points every model at the tables and endpoint of `current` (tests that provision a fresh stack)."""
    for setting, model in (*MODELS_BY_TABLE_SETTING.items(), *_SHARING_TABLE_SETTING):
        model.Meta.table_name = getattr(current, setting)
        model.Meta.host = current.aws_endpoint_url
        model.Meta.region = current.region
        model._connection = None
