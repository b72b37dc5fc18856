"""LiveConnectionsFunction: the WebSocket API's $connect and $disconnect.

$connect checks the console's ID token (the `token` query parameter: browsers cannot set headers on a
WebSocket) and admits staff only; a resident (citizen, or no group while pending) is refused with 403.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from vigia import runtime, settings
from vigia.callers import STAFF_ROLES
from vigia.identity.tokens import InvalidToken, groups
from vigia.live.publishing import Connection
from vigia.observability import logger

REQUIRED_SETTINGS = ("CONNECTIONS_TABLE", "USER_POOL_ID", "USER_POOL_CLIENT_ID")
settings.require_at_start(REQUIRED_SETTINGS)


def _answer(status: int, body: str = "") -> dict[str, Any]:
    return {"statusCode": status, "body": body}


def connect(event: dict[str, Any]) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    if not token:
        return _answer(401, "a token query parameter is required")
    try:
        claims = runtime.console_token_check()(token, time.time())
    except InvalidToken as error:
        logger.info("console socket refused", extra={"reason": str(error)})
        return _answer(401, "invalid token")
    roles = groups(claims) & STAFF_ROLES
    if not roles:
        return _answer(403, "the console is the monitoring centre's")
    connection_id = str(event["requestContext"]["connectionId"])
    runtime.live_connections().save(Connection(connection_id, str(claims.get("sub", "")), frozenset(roles)))
    logger.info("console connected", extra={"connection_id": connection_id, "roles": sorted(roles)})
    return _answer(200)


def disconnect(event: dict[str, Any]) -> dict[str, Any]:
    runtime.live_connections().delete(str(event["requestContext"]["connectionId"]))
    return _answer(200)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = event.get("requestContext", {}).get("eventType")
    if kind == "CONNECT":
        return connect(event)
    if kind == "DISCONNECT":
        return disconnect(event)
    return _answer(400, "this API takes no messages")
