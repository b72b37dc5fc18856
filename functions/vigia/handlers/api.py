"""ApiFunction: every /v1 route but the response team's silent reads (SilentApiFunction, the one that may
decrypt); the routers live in vigia.handlers.routes, errors are mapped here once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import settings
from vigia.api.resolver import http_app
from vigia.handlers.routes import alerts, incidents, meta, registrations, residents
from vigia.handlers.routes import audit as audit_routes
from vigia.handlers.routes import datasets as dataset_routes
from vigia.handlers.routes import dispatch as dispatch_routes
from vigia.handlers.routes import federation as federation_routes
from vigia.handlers.routes import indicators as indicator_routes
from vigia.handlers.routes import live as live_routes
from vigia.handlers.routes import observatory as observatory_routes
from vigia.handlers.routes import patrol as patrol_routes
from vigia.handlers.routes import reports as report_routes
from vigia.handlers.routes import staff as staff_routes
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "RESIDENTS_TABLE",
    "IDEMPOTENCY_TABLE",
    "DELIVERIES_TABLE",
    "AUDIT_TABLE",
    "PATROL_TABLE",
    "UNITS_TABLE",
    "INDICATORS_TABLE",
    "OBSERVATORY_TABLE",
    "DATASETS_TABLE",
    "REPORTS_TABLE",
    "LAKE_BUCKET",
    "REGISTRATIONS_TABLE",
    "EXPORTS_BUCKET",
    "INDICATOR_RUNS_QUEUE_URL",
    "DISPATCH_QUEUE_URL",
    "SILENT_QUEUE_URL",
    "USER_POOL_ID",
    "SEAL_KEY_ID",
    "SILENT_MAC_SECRET_ARN",
    "REGISTRATION_SECRET_ARN",
    "LIVE_EVENTS_TABLE",
    "FEDERATION_KEY_ID",
    "FEDERATION_TABLE",
)
settings.require_at_start(REQUIRED_SETTINGS)

app = http_app(
    meta.router,
    residents.router,
    alerts.router,
    dispatch_routes.router,
    patrol_routes.router,
    audit_routes.router,
    indicator_routes.router,
    observatory_routes.router,
    dataset_routes.router,
    incidents.router,
    registrations.router,
    live_routes.router,
    staff_routes.router,
    federation_routes.router,
    report_routes.router,
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
