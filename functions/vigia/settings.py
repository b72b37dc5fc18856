"""The one reader of os.environ: every setting a function needs, typed, read once."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


@dataclass(frozen=True)
class Settings:
    city_id: str
    city_time_zone: str  # CityTimeZone, the schedules' zone; must be the pack's time_zone ("" when unset)
    region: str
    aws_endpoint_url: str | None
    residents_table: str
    alerts_table: str
    geography_table: str
    idempotency_table: str
    alert_events_topic_arn: str
    user_pool_id: str
    user_pool_client_id: str
    city_pack_dir: Path
    schemas_dir: Path
    outbox_path: Path | None
    service_name: str
    running_in_lambda: bool
    # protocol dispatch (docs/dispatch.md)
    deliveries_table: str
    dispatch_queue_url: str
    sms_queue_url: str
    siren_queue_url: str
    webhook_queue_url: str
    delivery_max_receives: int
    delivery_retry_base_s: float
    delivery_retry_cap_s: float
    # a sender's claim on a delivery: longer than one send can take (the sender's timeout, the CAD's retries
    # inside one attempt included), or a live send would be taken over; past it the claim is taken over
    delivery_lease_s: int
    sms_sends_per_s: float  # per sender instance; 0 = unpaced
    sms_channel: str  # SmsChannel: "sns" (SNS Publish) or "end_user_messaging" (SendTextMessage)
    sms_origination_identity: str  # End User Messaging: short code, long code, sender ID or pool ("": none)
    sms_configuration_set: str  # End User Messaging: its configuration set ("": none)
    sms_voice_endpoint_url: str | None  # End User Messaging's endpoint (the local stack's fake)
    provincial_cad_url: str | None  # overrides the city pack's CAD URL (the local stack's fake CAD)
    cad_secret_id: str
    cad_timeout_s: float
    cad_attempts: int
    # hot-spot patrols (docs/patrol.md)
    patrol_table: str
    # silent alarms (docs/silent-alarms.md) and the audit trail
    audit_table: str
    # incidents (docs/incidents.md)
    units_table: str
    # live events for the console (docs/console.md "Live events")
    connections_table: str
    live_events_table: str
    live_socket_url: str  # the WebSocket API's stage URL (wss://…/live); its @connections is the https twin
    live_events_ttl_s: int
    silent_queue_url: str
    seal_key_id: str  # the KMS key that seals a silent alert's identity (response-team paths only)
    silent_mac_secret_id: str  # keys the MACs of a silent alert's sender-derived values (claim, window)
    # nightly indicators (docs/indicators.md)
    indicators_table: str
    exports_bucket: str
    export_link_s: int  # how long a presigned link to an exported file works (GET /v1/indicators/exports)
    indicator_runs_queue_url: str
    indicators_catch_up_days: int  # a nightly run owes at most this many days
    observatory_table: str  # monthly aggregates of ingested datasets (docs/observatory.md)
    lake_bucket: str  # the lake: uploads/ and lake/<table>/… Parquet (docs/observatory.md "The lake")
    # registration (docs/registration.md)
    registrations_table: str
    registration_secret_id: str
    edge_secret_id: str  # proves a request came through the console's CloudFront (vigia.api.edge)
    registrations_per_source: int  # per source address and window, counted atomically
    registration_window_s: int
    # roaming between partner cities (docs/roaming.md)
    federation_key_id: str = ""  # FederationSigningKey: signs what this stack sends a partner (KMS Sign)
    # FederationKeyIds: every key GET /v1/federation/keys publishes during a rotation (the signing one first)
    federation_published_key_ids: tuple[str, ...] = ()
    federation_agreement_path: Path | None = None  # None: the pack folder's federation.json
    federation_local_pair: bool = False  # keep 127.0.0.1 partners: only the local pair sets it
    federation_table: str = "vigia-federation"
    federation_queue_url: str = ""  # the home's deliveries to partners (FederationSenderFunction)
    federation_timeout_s: float = 5.0  # one POST to a partner
    # datasets of other agencies (docs/observatory.md "Sources and manifests")
    datasets_table: str = "vigia-datasets"
    upload_link_s: int = 900  # how long POST /v1/datasets's presigned PUT works
    reports_table: str = "vigia-reports"  # residents' reports and Open311 requests (docs/prevention.md)
    sat_table: str = "vigia-sat"  # the SAT's minors' data, encrypted with SatKey (docs/prevention.md "SAT")

    @property
    def city_pack_schema(self) -> Path:
        return self.schemas_dir / "city.schema.json"


SMS_CHANNELS = ("sns", "end_user_messaging")  # template.yaml's SmsChannel AllowedValues


def _sms_channel(value: str) -> str:
    if value not in SMS_CHANNELS:
        raise ValueError(f"SMS_CHANNEL is {value!r}; it must be one of {', '.join(SMS_CHANNELS)}")
    return value


@functools.cache
def get() -> Settings:
    env = os.environ
    city_id = env.get("CITY_ID", "godoy-cruz")
    # In the Lambda zip the schemas and the city pack sit beside the package (see infra/tools/package.py);
    # in the repository they live at the top level.
    schemas_dir = Path(
        env.get("SCHEMAS_DIR")
        or _first_existing(_PACKAGE_ROOT.parent / "schemas", _PACKAGE_ROOT.parents[1] / "schemas")
    )
    city_pack_dir = Path(
        env.get("CITY_PACK_DIR")
        or _first_existing(
            _PACKAGE_ROOT.parent / "city", _PACKAGE_ROOT.parents[1] / "infra" / "cities" / city_id
        )
    )
    outbox = env.get("VIGIA_OUTBOX_PATH")
    return Settings(
        city_id=city_id,
        city_time_zone=env.get("CITY_TIME_ZONE", ""),  # "": the pack's (vigia.runtime checks they agree)
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        residents_table=env.get("RESIDENTS_TABLE", "vigia-residents"),
        alerts_table=env.get("ALERTS_TABLE", "vigia-alerts"),
        geography_table=env.get("GEOGRAPHY_TABLE", "vigia-geography"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", "vigia-idempotency"),
        alert_events_topic_arn=env.get("ALERT_EVENTS_TOPIC_ARN", ""),
        user_pool_id=env.get("USER_POOL_ID", ""),
        user_pool_client_id=env.get("USER_POOL_CLIENT_ID", ""),
        city_pack_dir=city_pack_dir,
        schemas_dir=schemas_dir,
        outbox_path=Path(outbox) if outbox else None,
        service_name=env.get("POWERTOOLS_SERVICE_NAME", "vigia"),
        running_in_lambda="AWS_LAMBDA_FUNCTION_NAME" in env and not env.get("AWS_ENDPOINT_URL"),
        deliveries_table=env.get("DELIVERIES_TABLE", "vigia-deliveries"),
        dispatch_queue_url=env.get("DISPATCH_QUEUE_URL", ""),
        sms_queue_url=env.get("SMS_QUEUE_URL", ""),
        siren_queue_url=env.get("SIREN_QUEUE_URL", ""),
        webhook_queue_url=env.get("WEBHOOK_QUEUE_URL", ""),
        delivery_max_receives=int(env.get("DELIVERY_MAX_RECEIVES", "5")),
        delivery_retry_base_s=float(env.get("DELIVERY_RETRY_BASE_S", "2")),
        delivery_retry_cap_s=float(env.get("DELIVERY_RETRY_CAP_S", "300")),
        delivery_lease_s=int(env.get("DELIVERY_LEASE_S", "120")),
        sms_sends_per_s=float(env.get("SMS_SENDS_PER_S", "0")),
        sms_channel=_sms_channel(env.get("SMS_CHANNEL") or "sns"),
        sms_origination_identity=env.get("SMS_ORIGINATION_IDENTITY", ""),
        sms_configuration_set=env.get("SMS_CONFIGURATION_SET", ""),
        sms_voice_endpoint_url=env.get("SMS_VOICE_ENDPOINT_URL") or None,
        provincial_cad_url=env.get("PROVINCIAL_CAD_URL") or None,
        cad_secret_id=env.get("CAD_SECRET_ARN", ""),
        cad_timeout_s=float(env.get("CAD_TIMEOUT_S", "5")),
        cad_attempts=int(env.get("CAD_ATTEMPTS", "3")),
        patrol_table=env.get("PATROL_TABLE", "vigia-patrol"),
        audit_table=env.get("AUDIT_TABLE", "vigia-audit"),
        units_table=env.get("UNITS_TABLE", "vigia-units"),
        connections_table=env.get("CONNECTIONS_TABLE", "vigia-connections"),
        live_events_table=env.get("LIVE_EVENTS_TABLE", "vigia-live-events"),
        live_socket_url=env.get("LIVE_SOCKET_URL", ""),
        live_events_ttl_s=int(env.get("LIVE_EVENTS_TTL_S", "86400")),
        silent_queue_url=env.get("SILENT_QUEUE_URL", ""),
        seal_key_id=env.get("SEAL_KEY_ID", ""),
        silent_mac_secret_id=env.get("SILENT_MAC_SECRET_ARN", ""),
        indicators_table=env.get("INDICATORS_TABLE", "vigia-indicators"),
        exports_bucket=env.get("EXPORTS_BUCKET", ""),
        export_link_s=int(env.get("EXPORT_LINK_S", "300")),
        indicator_runs_queue_url=env.get("INDICATOR_RUNS_QUEUE_URL", ""),
        indicators_catch_up_days=int(env.get("INDICATORS_CATCH_UP_DAYS", "366")),
        observatory_table=env.get("OBSERVATORY_TABLE", "vigia-observatory"),
        lake_bucket=env.get("LAKE_BUCKET", ""),
        registrations_table=env.get("REGISTRATIONS_TABLE", "vigia-registrations"),
        registration_secret_id=env.get("REGISTRATION_SECRET_ARN", ""),
        edge_secret_id=env.get("EDGE_SECRET_ARN", ""),
        registrations_per_source=int(env.get("REGISTRATIONS_PER_SOURCE", "5")),
        registration_window_s=int(env.get("REGISTRATION_WINDOW_S", "3600")),
        federation_key_id=env.get("FEDERATION_KEY_ID", ""),
        federation_published_key_ids=tuple(
            k.strip() for k in env.get("FEDERATION_PUBLISHED_KEY_IDS", "").split(",") if k.strip()
        ),
        federation_agreement_path=Path(env["FEDERATION_AGREEMENT_PATH"])
        if env.get("FEDERATION_AGREEMENT_PATH")
        else None,
        federation_local_pair=env.get("FEDERATION_LOCAL_PAIR") == "1",
        federation_table=env.get("FEDERATION_TABLE", "vigia-federation"),
        federation_queue_url=env.get("FEDERATION_QUEUE_URL", ""),
        federation_timeout_s=float(env.get("FEDERATION_TIMEOUT_S", "5")),
        datasets_table=env.get("DATASETS_TABLE", "vigia-datasets"),
        upload_link_s=int(env.get("UPLOAD_LINK_S", "900")),
        reports_table=env.get("REPORTS_TABLE", "vigia-reports"),
        sat_table=env.get("SAT_TABLE", "vigia-sat"),
    )


def reset() -> None:
    """Forget the cached settings (tests and the local stack change the environment)."""
    get.cache_clear()


class MissingSettings(RuntimeError):
    """A function started without a variable its handler declares: it fails at start, never mid-request."""


def require(names: Iterable[str], environ: Mapping[str, str] | None = None) -> None:
    """Raises MissingSettings naming every variable of `names` the environment lacks or leaves empty."""
    env = os.environ if environ is None else environ
    missing = [name for name in names if not env.get(name)]
    if missing:
        function = env.get("AWS_LAMBDA_FUNCTION_NAME", "this function")
        raise MissingSettings(
            f"{function} cannot start: {', '.join(missing)} not set (template.yaml gives each function "
            "the Globals' variables and its own)"
        )


def require_at_start(names: Iterable[str]) -> None:
    """A handler's cold start in Lambda: every declared variable present. Elsewhere (unit tests, the local
    stack, tools) the defaults above stand in for what a test does not set."""
    if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
        require(names)
