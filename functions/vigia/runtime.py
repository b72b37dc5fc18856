"""The composition root: the city pack and the stores a handler uses, built once per environment."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigia import settings

if TYPE_CHECKING:
    from vigia.adapters.cognito import CognitoIdentity
    from vigia.adapters.dynamodb.alerts import (
        DynamoAlertHistory,
        DynamoAlertStore,
        DynamoRoaming,
        DynamoStalledAlerts,
    )
    from vigia.adapters.dynamodb.audit import AuditEntry
    from vigia.adapters.dynamodb.deliveries import DynamoLedger
    from vigia.adapters.dynamodb.dispatch import DynamoAlertCanceller, DynamoDispatchStore
    from vigia.adapters.dynamodb.federation import DynamoReplayGuard, DynamoReportPointers
    from vigia.adapters.dynamodb.incidents import DynamoIncidentStore
    from vigia.adapters.dynamodb.observatory import ObservatoryPorts
    from vigia.adapters.dynamodb.patrol import DynamoPatrolStore
    from vigia.adapters.dynamodb.registrations import DynamoRegistrationStore
    from vigia.adapters.dynamodb.residents import DynamoResidentStore
    from vigia.adapters.dynamodb.sat import DynamoSatStore
    from vigia.adapters.federation_keys import KmsSigner
    from vigia.adapters.indicator_runs import IndicatorPorts
    from vigia.adapters.lake import LakeWriter
    from vigia.adapters.registration_keys import SecretKeys
    from vigia.adapters.sealing import KmsSealer
    from vigia.adapters.sender_mac import SecretsManagerMac
    from vigia.adapters.staff_accounts import CognitoStaffAccounts
    from vigia.adapters.task_queues import SqsNotifier, SqsTaskQueues
    from vigia.city import CityPack
    from vigia.datasets.service import DatasetPorts
    from vigia.federation.agreement import Agreement
    from vigia.federation.forwarding import Answer
    from vigia.indicators.frame import CityFrame
    from vigia.reports.catalogue import Catalogue
    from vigia.reports.service import ReportDays, ReportStore
    from vigia.sat.rules import SatRules
    from vigia.sat.service import SatPorts


class CityMismatch(RuntimeError):
    """The stack's CityTimeZone is not its city pack's time zone (its schedules would run on another clock),
    or, in Lambda, its CityId is not the city whose pack the zip carries."""


def city_pack() -> CityPack:
    s = settings.get()
    pack = _city_pack_at(s.city_pack_dir, s.city_pack_schema)
    if s.city_time_zone and s.city_time_zone != pack.time_zone:
        # The weekly patrols, the nightly indicators and the watchdog are scheduled in CityTimeZone while
        # every local date is computed in the pack's zone: refuse rather than run on Mendoza's clock.
        raise CityMismatch(
            f"CITY_TIME_ZONE is {s.city_time_zone} but the {pack.city_id} city pack's time_zone is "
            f"{pack.time_zone}: deploy with CityTimeZone={pack.time_zone} (make deploy CITY={pack.city_id} "
            "passes the pack's)"
        )
    if s.running_in_lambda and s.city_id != pack.city_id:  # Lambda always has CITY_ID (template Globals)
        raise CityMismatch(
            f"CITY_ID is {s.city_id} but the zip carries the {pack.city_id} city pack: package it with "
            f"make package CITY={s.city_id} (make deploy CITY={s.city_id} does)"
        )
    return pack


@functools.cache
def _city_pack_at(directory: Path, schema: Path) -> CityPack:
    from vigia.city import load_city_pack

    return load_city_pack(directory, schema)


@functools.cache
def residents() -> DynamoResidentStore:
    from vigia.adapters.dynamodb.residents import DynamoResidentStore

    return DynamoResidentStore()


@functools.cache
def alerts() -> DynamoAlertStore:
    from vigia.adapters.dynamodb.alerts import DynamoAlertStore

    return DynamoAlertStore()


@functools.cache
def identity() -> CognitoIdentity:
    from vigia.adapters.cognito import CognitoIdentity

    return CognitoIdentity()


@functools.cache
def patrols() -> DynamoPatrolStore:
    from vigia.adapters.dynamodb.patrol import DynamoPatrolStore

    return DynamoPatrolStore()


def alert_history() -> DynamoAlertHistory:
    """A reader of one local day of alerts at a time (new each call: it counts its queries)."""
    from vigia.adapters.dynamodb.alerts import DynamoAlertHistory

    return DynamoAlertHistory()


def indicator_ports() -> IndicatorPorts:
    """The nightly indicators' city frame and stores (cheap: no AWS call until one is used)."""
    from vigia.adapters.dynamodb.indicators import DynamoAlertDays, DynamoClaims, DynamoIndicatorsStore
    from vigia.adapters.indicator_runs import IndicatorPorts, PatrolFigures, S3Exports, SqsRunQueue

    frame = _city_frame(city_pack())
    return IndicatorPorts(
        frame,
        DynamoAlertDays(frame),
        PatrolFigures(frame, patrols),
        DynamoIndicatorsStore(),
        S3Exports(),
        SqsRunQueue(),
        DynamoClaims(),
    )


def observatory_ports() -> ObservatoryPorts:
    """The observatory's reads: the city frame, the nightly days, the sources' records, the pack's units."""
    from vigia.adapters.dynamodb.indicators import DynamoIndicatorsStore
    from vigia.adapters.dynamodb.observatory import DynamoObservatory, ObservatoryPorts
    from vigia.observatory.service import Unit, shift_hours

    pack = city_pack()
    units = tuple(
        Unit(u.quadrant_id, sum(shift_hours(s.start, s.end) for s in u.shifts)) for u in pack.units.values()
    )
    return ObservatoryPorts(_city_frame(pack), DynamoIndicatorsStore(), DynamoObservatory(), units)


def lake_writer() -> LakeWriter:
    """The lake bucket's writer (LakeExportFunction, the datasets' ingestion); no AWS call until used."""
    from vigia.adapters.lake import LakeWriter

    return LakeWriter()


def dataset_ports() -> DatasetPorts:
    """The datasets' stores, files and the city pack's places (cheap: no AWS call until one is used)."""
    from vigia.adapters.dataset_files import S3DatasetFiles
    from vigia.adapters.dynamodb.datasets import DynamoDatasetAggregates, DynamoDatasets
    from vigia.datasets.places import PackZones, place_of
    from vigia.datasets.service import DatasetPorts

    pack = city_pack()
    return DatasetPorts(
        DynamoDatasets(),
        DynamoDatasetAggregates(),
        S3DatasetFiles(),
        place_of(pack),
        PackZones(pack),
        sat=sat_upload(),
    )


def sat_upload() -> Callable[[Any, Any], Any]:
    """Reader sat_attendance: an upload's weeks into SatTable and the rules run (vigia.sat.upload)."""
    from vigia import clock
    from vigia.sat.upload import SatIngestPorts, ingest_attendance

    def ingest(dataset: Any, stream: Any) -> Any:
        rules = sat_rules()
        pack = city_pack()
        ports = SatIngestPorts(
            sat_store(),
            rules,
            frozenset(pack.quadrants),
            lambda: most_alerted_quadrants(rules.violent_quadrants if rules else 0),
        )
        outcome, _counts = ingest_attendance(dataset, stream, ports, clock.now())
        return outcome

    return ingest


def most_alerted_quadrants(how_many: int, days: int = 90) -> frozenset[str]:
    """The quadrants with the most alerts over the last `days` computed nights (the indicators' exact counts,
    read privately: only the ranking leaves this function)."""
    from datetime import timedelta

    from vigia import clock
    from vigia.adapters.dynamodb.indicators import DynamoIndicatorsStore
    from vigia.sat.rules import most_alerted

    if how_many <= 0:
        return frozenset()
    pack = city_pack()
    today = clock.now().date()
    dates = [(today - timedelta(days=n)).isoformat() for n in range(1, days + 1)]
    cells = DynamoIndicatorsStore().zone_cells(dates, sorted(pack.quadrants), "all")
    counts: dict[str, int] = {}
    for (_day, zone), cell in cells.items():
        counts[zone] = counts.get(zone, 0) + cell.stats.count
    return most_alerted(counts, how_many)


def reports() -> ReportStore:
    """Residents' reports (ReportsTable; no AWS call until one is used)."""
    from vigia.adapters.dynamodb.reports import DynamoReports

    return DynamoReports()


def report_days() -> ReportDays:
    """The lake export's reader of a day's reports (ReportsTable's by_month index)."""
    from vigia.reports.service import ReportDays

    return ReportDays(reports())


def report_catalogue() -> Catalogue:
    """What the city's pack lets residents report (vigia.reports.catalogue)."""
    from vigia.reports.catalogue import catalogue

    return catalogue(city_pack())


@functools.lru_cache(maxsize=4)
def _city_frame(pack: CityPack) -> CityFrame:
    """The indicators' view of the city pack (computed once per pack)."""
    from vigia.indicators.frame import frame_from_pack

    return frame_from_pack(pack)


def sealer() -> KmsSealer:
    """Seals and opens silent alerts' identities (SealKey); cheap: no AWS call until it is used."""
    from vigia.adapters.sealing import KmsSealer

    return KmsSealer(settings.get().seal_key_id)


def sender_mac() -> SecretsManagerMac:
    """MACs a silent alert's sender-derived values (cheap: the secret is read once, on first use)."""
    from vigia.adapters.sender_mac import SecretsManagerMac

    return SecretsManagerMac(settings.get().silent_mac_secret_id)


def incidents() -> DynamoIncidentStore:
    """Incidents, units and residents' standing (cheap: its models bind on first use)."""
    from vigia.adapters.dynamodb.incidents import DynamoIncidentStore

    return DynamoIncidentStore()


def registrations() -> DynamoRegistrationStore:
    """Registrations waiting for their code and per-source counts (cheap: its model binds on first use)."""
    from vigia.adapters.dynamodb.registrations import DynamoRegistrationStore

    return DynamoRegistrationStore()


def registration_keys() -> SecretKeys:
    """The MAC and sealing keys of registration (one Secrets Manager read per execution environment)."""
    from vigia.adapters.registration_keys import keys

    return keys()


def edge_secret() -> str:
    """The secret the console's CloudFront sends to the API (vigia.api.edge); "" where there is none."""
    secret_id = settings.get().edge_secret_id
    if not secret_id:
        return ""
    from vigia.adapters import secrets

    return secrets.read(secret_id)


def incident_notifier() -> SqsNotifier:
    from vigia.adapters.task_queues import SqsNotifier

    return SqsNotifier()


# Dispatch: its ledger, queues and senders. Functions of adapters are looked up on each call (cheap), so a
# test that replaces one on its module sees its replacement used.


def dispatch_store() -> DynamoDispatchStore:
    """Deliveries planned and sent, per alert, and the alert's dispatch marks."""
    from vigia.adapters.dynamodb.dispatch import DynamoDispatchStore

    return DynamoDispatchStore()


def delivery_ledger() -> DynamoLedger:
    """A sender's once-per-(alert, recipient) claims on deliveries."""
    from vigia.adapters.dynamodb.deliveries import DynamoLedger

    return DynamoLedger()


def alert_canceller() -> DynamoAlertCanceller:
    from vigia.adapters.dynamodb.dispatch import DynamoAlertCanceller

    return DynamoAlertCanceller()


def delivery_views() -> Callable[[str], list[dict[str, Any]]]:
    """An alert's deliveries as operators see them (recipients masked)."""
    from vigia.adapters.dynamodb.deliveries import history
    from vigia.dispatch.masking import operator_view

    return lambda alert_id: [operator_view(delivery) for delivery in history(alert_id)]


def task_queues() -> SqsTaskQueues:
    """The dispatch, SMS, siren, webhook and silent queues, for enqueueing tasks."""
    from vigia.adapters.task_queues import SqsTaskQueues

    return SqsTaskQueues()


def cancellation_notice() -> Callable[[str, str], None]:
    """Tells the dispatcher an alert was cancelled (alert_id, cancelled_at)."""
    from vigia.adapters.task_queues import announce_cancellation

    return announce_cancellation


def retry_later() -> Callable[[str, str, float], None]:
    """Shortens a failed delivery's wait before its retry (channel, receipt handle, delay in s)."""
    from vigia.adapters.task_queues import retry_later

    return retry_later


def dead_letter_queues() -> tuple[str, ...]:
    """The queues whose dead letters operators see and redrive."""
    from vigia.adapters.task_queues import QUEUES

    return QUEUES


def dlq_summary() -> Callable[[int], list[dict[str, Any]]]:
    from vigia.adapters.task_queues import dlq_summary

    return dlq_summary


def redrive() -> Callable[[str], int]:
    from vigia.adapters.task_queues import redrive

    return redrive


def dead_letter() -> Callable[..., str]:
    """Parks a poison message in its queue's DLQ with its reason (queue, body, reason=, consumer=)."""
    from vigia.adapters.dead_letters import dead_letter

    return dead_letter


def poison_reason_attribute() -> str:
    """The SQS message attribute a dead-lettered message carries its reason in."""
    from vigia.adapters.dead_letters import REASON

    return REASON


def send_sms() -> Callable[..., str]:
    """One SMS through the city's SmsChannel, SNS or End User Messaging (phone, text, alert_id=, kind=)."""
    from vigia.adapters.sms import send_sms

    return send_sms


def command_siren() -> Callable[..., str]:
    """IoT Core publish to one siren (unit_id, command, alert_id=, kind=)."""
    from vigia.adapters.sirens import command_siren

    return command_siren


def post_to_cad() -> Callable[..., str]:
    """POSTs a CAP message, HMAC-signed, to the provincial CAD at the pack's URL (or the override)."""
    from vigia.adapters.cad import post_cap, resolve_url

    def post(pack_url: str, body: bytes, *, alert_id: str, kind: str, cad_id: str | None = None) -> str:
        return post_cap(resolve_url(pack_url, cad_id), body, alert_id=alert_id, kind=kind, cad_id=cad_id)

    return post


def post_to_partner(*, alert_id: str, kind: str) -> Callable[[str, bytes, str], Answer]:
    """POSTs one signed federation message to a partner's endpoint (endpoint, body, signature header)."""
    from vigia.adapters import federation_http

    def post(url: str, body: bytes, signature: str) -> Answer:
        return federation_http.post(url, body, signature, alert_id=alert_id, kind=kind)

    return post


def roaming_marks() -> DynamoRoaming:
    """A forwarded alert's roaming status (docs/roaming.md), moved with a condition."""
    from vigia.adapters.dynamodb.alerts import DynamoRoaming

    return DynamoRoaming()


def alert_bus() -> Callable[[dict[str, Any], dict[str, str]], str]:
    """Publishes one alert event to AlertEvents (SNS) with its routing attributes."""
    from vigia.adapters import events

    topic = settings.get().alert_events_topic_arn
    return lambda event, attributes: events.publish(topic, event, attributes)


def silent_announcer() -> Callable[[dict[str, Any]], str]:
    """Puts a silent alert's event on the Silent queue (never on AlertEvents)."""
    from vigia.adapters import silent_queue

    return silent_queue.announce


def stalled_alerts() -> DynamoStalledAlerts:
    from vigia.adapters.dynamodb.alerts import DynamoStalledAlerts

    return DynamoStalledAlerts()


def audit_record() -> Callable[..., object]:
    """Appends one entry to the audit trail (who, role, action, kind, target, reason, at=)."""
    from vigia.adapters.dynamodb import audit

    return audit.record


def audit_entries() -> Callable[[str], list[AuditEntry]]:
    """The audit trail of one target (an alert's id), oldest first."""
    from vigia.adapters.dynamodb import audit

    return audit.list_for


def audit_search() -> Callable[..., tuple[list[AuditEntry], str | None]]:
    """The audit trail filtered by actor, action, target and time, newest first, a page at a time."""
    from vigia.adapters.dynamodb import audit

    return audit.filtered


def sat_rules() -> SatRules | None:
    """The pack's `sat` section as rules (the loader has checked it against the schema); None without one."""
    import json

    from vigia.sat.rules import rules_from_pack

    s = settings.get()
    raw = json.loads((s.city_pack_dir / "city.json").read_text(encoding="utf-8"))
    return rules_from_pack(raw["sat"]) if raw.get("sat") else None


def sat_figures_sink() -> Callable[[str, bytes, str], None]:
    """Where the SAT's suppressed nightly figures go: the exports bucket, beside the indicators."""
    from vigia.adapters.indicator_runs import S3Exports

    return S3Exports().put


def sat_store() -> DynamoSatStore:
    from vigia.adapters.dynamodb.sat import DynamoSatStore

    return DynamoSatStore()


def sat_ports() -> SatPorts:
    """The SAT's store, audit trail, the pack's rules and who counts as a SAT professional (Cognito)."""
    from vigia.adapters.cognito import CognitoIdentity
    from vigia.adapters.dynamodb import audit
    from vigia.sat.service import SatPorts

    def is_sat_account(user_id: str) -> bool:
        idp = CognitoIdentity()
        return user_id in idp.members("sat_team") | idp.members("sat_coordinator")

    city_pack()  # the pack is loaded (and checked) before its sat section is read
    return SatPorts(store=sat_store(), audit=audit.record, rules=sat_rules(), is_sat_account=is_sat_account)


@functools.cache
def staff_accounts() -> CognitoStaffAccounts:
    """The user pool's staff accounts (Cognito's admin APIs), for the admins' staff routes."""
    from vigia.adapters.staff_accounts import CognitoStaffAccounts

    return CognitoStaffAccounts()


def enabled_mfa() -> Callable[[str, str], frozenset[str]]:
    """The MFA methods a Cognito user has enabled (user pool id, username)."""
    from vigia.adapters import mfa_settings

    return lambda user_pool_id, username: mfa_settings.enabled_mfa(user_pool_id, username)


# Live events for the console (docs/console.md "Live events"): connections, stored events, the sockets.


def live_connections() -> Any:
    """The consoles connected now: save(Connection), delete(connection_id), open_connections()."""
    from vigia.adapters.dynamodb import connections

    return connections


def live_event_log() -> Any:
    """The last day's live events per role: store(events, ttl_s=), after(roles, cursor, limit=)."""
    from vigia.adapters.dynamodb import liveevents

    return liveevents


def post_to_connection() -> Callable[[str, bytes], bool]:
    """PostToConnection on the WebSocket API (False: the connection is gone)."""
    from vigia.adapters import live_sockets

    return live_sockets.post


def console_token_check() -> Callable[[str, float], dict[str, Any]]:
    """Checks a console's ID token (token, now) against the user pool's JWKS; its claims or InvalidToken."""
    from vigia.adapters import live_sockets
    from vigia.identity.tokens import InvalidToken, unverified_kid, verify_id_token

    def check(token: str, now: float) -> dict[str, Any]:
        s = settings.get()
        keys = live_sockets.user_pool_keys()
        if unverified_kid(token) not in keys:  # the pool rotated its keys since we read them
            live_sockets.forget_keys()
            keys = live_sockets.user_pool_keys()
        if not s.user_pool_client_id:
            raise InvalidToken("no app client configured")
        return verify_id_token(
            token, keys=keys, issuer=live_sockets.issuer(), audience=s.user_pool_client_id, now=now
        )

    return check


# Roaming (docs/roaming.md): the agreement with partner cities, this stack's signing key, the replay marks.


def federation_agreement() -> Agreement:
    """The partners of this city (its pack's federation.json, or FEDERATION_AGREEMENT_PATH), loaded once per
    environment; a pack without one has an agreement with no partners."""
    s = settings.get()
    pack = city_pack()
    return _agreement_at(
        s.federation_agreement_path,
        s.city_pack_dir,
        s.schemas_dir / "federation.schema.json",
        pack.city_id,
        frozenset(pack.alert_types),
        s.federation_local_pair,
    )


@functools.cache
def _agreement_at(
    path: Path | None,
    pack_dir: Path,
    schema: Path,
    city_id: str,
    alert_types: frozenset[str],
    local_pair: bool,
) -> Agreement:
    from vigia.federation.agreement import load_agreement, load_pack_agreement

    if path is not None:
        return load_agreement(path, schema, city_id=city_id, alert_types=alert_types, local_pair=local_pair)
    return load_pack_agreement(
        pack_dir, schema, city_id=city_id, alert_types=alert_types, local_pair=local_pair
    )


def federation_signer() -> KmsSigner:
    """Signs what this stack sends a partner with FederationSigningKey (KMS; cheap until it signs)."""
    from vigia.adapters.federation_keys import KmsSigner

    return KmsSigner(settings.get().federation_key_id)


def federation_keys() -> dict[str, list[dict[str, str]]]:
    """This stack's public JWK Set (GET /v1/federation/keys): the signing key, then the others a rotation
    publishes (FederationKeyIds)."""
    from vigia.adapters.federation_keys import public_jwks

    s = settings.get()
    return public_jwks(s.federation_key_id, *s.federation_published_key_ids)


def replay_guard() -> DynamoReplayGuard:
    """Partners' distribution ids already received (FederationTable, conditional puts)."""
    from vigia.adapters.dynamodb.federation import DynamoReplayGuard

    return DynamoReplayGuard()


def report_pointers() -> DynamoReportPointers:
    """Which visitor alert each partner's Report made (FederationTable), for its Cancel."""
    from vigia.adapters.dynamodb.federation import DynamoReportPointers

    return DynamoReportPointers()


def reset() -> None:
    """Forget the settings, AWS clients, secrets read, stores and model bindings: the next use reads the
    environment again. The one reset tests, bench and tools call after they change the environment (a new
    emulated stack, other tables). A city pack is kept while its directory stays the same."""
    from vigia.adapters import aws, federation_keys, live_sockets, secrets, sms
    from vigia.adapters.dynamodb import binding

    settings.reset()
    # clients, secrets read, the SMS pacer, model bindings, the WebSocket client and JWKS
    for adapter in (aws, secrets, sms, binding, live_sockets, federation_keys):
        adapter.reset()
    for factory in (residents, alerts, identity, patrols, _city_frame, staff_accounts, _agreement_at):
        factory.cache_clear()
