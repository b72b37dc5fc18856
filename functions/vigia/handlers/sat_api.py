"""SatApiFunction: the SAT team's routes, the only API function whose role may read SatTable (SatKey).

template.yaml routes /v1/sat/* here (API Gateway picks them over ApiFunction's `ANY /v1/{proxy+}`). Same
route table, same problem+json mapping as ApiFunction.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import settings
from vigia.api.resolver import http_app
from vigia.handlers.routes import sat as sat_routes
from vigia.observability import logger, metrics

# What this function reads from its environment (template.yaml gives it each one, checked at a cold start)
REQUIRED_SETTINGS = ("SAT_TABLE", "AUDIT_TABLE", "USER_POOL_ID")
settings.require_at_start(REQUIRED_SETTINGS)

app = http_app(sat_routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
