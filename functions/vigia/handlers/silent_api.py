"""SilentApiFunction: the response team's silent reads, the only API function whose role may decrypt the seal.

GET /v1/silent-alerts and GET /v1/silent-alerts/{alert_id} (template.yaml routes them here: API Gateway picks
them over ApiFunction's `ANY /v1/{proxy+}`). Same route table, same problem+json mapping as ApiFunction.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import settings
from vigia.api.resolver import http_app
from vigia.handlers.routes import silent as silent_routes
from vigia.observability import logger, metrics

# What this function reads from its environment; template.yaml gives it each one, checked at a cold
# start (a missing one fails the function before any request) and by tests/unit/test_function_settings.py
REQUIRED_SETTINGS = (
    "ALERTS_TABLE",
    "RESIDENTS_TABLE",
    "AUDIT_TABLE",
    "UNITS_TABLE",
    "SEAL_KEY_ID",
)
settings.require_at_start(REQUIRED_SETTINGS)

app = http_app(silent_routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
