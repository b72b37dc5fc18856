"""API Gateway's WebSocket APIs, emulated: the sockets themselves and their @connections management API.

One WSGI app (on its own port: `ws://host:port/<stage>`) serves every `ProtocolType: WEBSOCKET` API of the
template by stage name. A client's handshake invokes the `$connect` route's function with API Gateway's
event (`requestContext.eventType` CONNECT, `connectionId`, `queryStringParameters`, `headers`); an answer
other than 2xx refuses the handshake with that status, as API Gateway does. When the socket closes, from
either side, `$disconnect` is invoked. Messages from clients go to the route `RouteSelectionExpression`
selects, or `$default` (or are dropped if neither exists).

The management API is served on the same port, where a function's `apigatewaymanagementapi` client points
(`https://{api}.execute-api.{region}.amazonaws.com/{stage}` in the cloud, `http://host:port/{stage}` here):
`POST /{stage}/@connections/{id}` sends the body as one message (410 Gone for an unknown connection),
`GET` describes the connection, `DELETE` closes it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from simple_websocket import ConnectionClosed, Server  # type: ignore[import-untyped]

from infra.local.engine.functions import FunctionFailed, FunctionRegistry

log = logging.getLogger("local_stack.websocket")

_FUNCTION_IN_URI = re.compile(r"functions/(arn:[^/]+)/invocations")
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's frame and PostToConnection limit


@dataclass(frozen=True)
class SocketApi:
    """One WebSocket API of the template: its id, stage and the function of each route key."""

    logical_id: str
    api_id: str
    stage: str
    routes: Mapping[str, str]  # route key → function logical id
    selection: str = "$request.body.action"


def socket_apis(
    cfn: Mapping[str, Any],
    resolve: Callable[[Any], Any],
    ref: Callable[[str], str],
    function_for_arn: Callable[[str], str | None],
) -> list[SocketApi]:
    """The template's WebSocket APIs: their routes' targets followed to the functions of the integrations."""
    resources = cfn.get("Resources") or {}
    apis = {
        lid: r
        for lid, r in resources.items()
        if r.get("Type") == "AWS::ApiGatewayV2::Api"
        and (r.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
    }
    found = []
    for lid, api in apis.items():
        api_id = ref(lid)

        def of_api(r: Mapping[str, Any], api_id: str = api_id) -> bool:
            return str(resolve((r.get("Properties") or {}).get("ApiId"))) == api_id

        integrations = {
            ref(i): resolve(r["Properties"].get("IntegrationUri"))
            for i, r in resources.items()
            if r.get("Type") == "AWS::ApiGatewayV2::Integration" and of_api(r)
        }
        routes: dict[str, str] = {}
        for r in resources.values():
            if r.get("Type") != "AWS::ApiGatewayV2::Route" or not of_api(r):
                continue
            props = r["Properties"]
            target = str(resolve(props.get("Target") or "")).removeprefix("integrations/")
            match = _FUNCTION_IN_URI.search(str(integrations.get(target, "")))
            function = function_for_arn(match.group(1)) if match else None
            if function:
                routes[str(resolve(props["RouteKey"]))] = function
            else:
                log.warning(
                    "%s: route %s has no function integration; not served", lid, props.get("RouteKey")
                )
        stages = [
            str(resolve(r["Properties"]["StageName"]))
            for r in resources.values()
            if r.get("Type") == "AWS::ApiGatewayV2::Stage" and of_api(r)
        ]
        selection = str(resolve((api.get("Properties") or {}).get("RouteSelectionExpression") or ""))
        found.append(SocketApi(lid, api_id, stages[0] if stages else "$default", routes, selection))
    return found


def new_connection_id() -> str:
    """Shaped like API Gateway's (`L0SM9cOFvHcCIhw=`)."""
    return base64.b64encode(os.urandom(10)).decode().replace("/", "A").replace("+", "B")


@dataclass
class _Connection:
    connection_id: str
    api: SocketApi
    socket: Any
    connected_at: float
    source_ip: str
    last_active: float
    closing: bool = False


class LocalWebSocketApi:
    """A WSGI app: the WebSocket APIs' sockets and their @connections endpoint (see the module's text)."""

    def __init__(self, apis: Iterable[SocketApi], functions: FunctionRegistry, *, account_id: str) -> None:
        self.apis = {api.stage: api for api in apis}
        self.functions = functions
        self.account_id = account_id
        self.connections: dict[str, _Connection] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- events
    def _event(
        self,
        api: SocketApi,
        route_key: str,
        event_type: str,
        connection_id: str,
        environ: Mapping[str, Any] | None = None,
        body: str | None = None,
    ) -> dict[str, Any]:
        now = time.time()
        host = str((environ or {}).get("HTTP_HOST", ""))
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "messageDirection": "IN",
            "connectionId": connection_id,
            "requestId": uuid.uuid4().hex,
            "extendedRequestId": uuid.uuid4().hex,
            "apiId": api.api_id,
            "stage": api.stage,
            "domainName": host,
            "accountId": self.account_id,
            "requestTimeEpoch": int(now * 1000),
            "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "identity": {"sourceIp": str((environ or {}).get("REMOTE_ADDR", "127.0.0.1"))},
        }
        event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
        if event_type == "CONNECT" and environ is not None:
            query = parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
            headers = {
                k[5:].replace("_", "-").title(): str(v) for k, v in environ.items() if k.startswith("HTTP_")
            }
            event["headers"] = headers
            event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
            if query:
                event["queryStringParameters"] = dict(query)
                multi: dict[str, list[str]] = {}
                for k, v in query:
                    multi.setdefault(k, []).append(v)
                event["multiValueQueryStringParameters"] = multi
        if body is not None:
            event["body"] = body
        return event

    def _invoke(self, api: SocketApi, route_key: str, event: dict[str, Any]) -> int:
        """The route's function; its answer's status (200 without one), 502 if it failed, 200 if no route."""
        function = api.routes.get(route_key)
        if function is None:
            return 200
        try:
            answer = self.functions[function].invoke(event)
        except FunctionFailed:
            return 502
        if isinstance(answer, dict) and "statusCode" in answer:
            return int(answer["statusCode"])
        return 200

    # ---------------------------------------------------------------- WSGI
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = unquote(str(environ.get("PATH_INFO") or "/"))
        parts = path.strip("/").split("/")
        api = self.apis.get(parts[0]) if parts and parts[0] else None
        if api is None:
            return _plain(start_response, 404, "no WebSocket API at this path")
        if len(parts) == 3 and parts[1] == "@connections":
            return self._manage(environ, start_response, parts[2])
        if len(parts) != 1:
            return _plain(start_response, 404, "not found")
        if "websocket" not in str(environ.get("HTTP_UPGRADE", "")).lower():
            return _plain(start_response, 426, "a WebSocket handshake is expected here")
        return self._session(api, environ, start_response)

    def _session(self, api: SocketApi, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        connection_id = new_connection_id()
        status = self._invoke(
            api, "$connect", self._event(api, "$connect", "CONNECT", connection_id, environ)
        )
        if not 200 <= status < 300:
            log.info("WebSocket %s refused by $connect (%d)", connection_id, status)
            return _plain(start_response, status, "refused by $connect")
        socket = Server.accept(environ, max_message_size=MAX_MESSAGE_BYTES)
        now = time.time()
        source = str(environ.get("REMOTE_ADDR", "127.0.0.1"))
        connection = _Connection(connection_id, api, socket, now, source, now)
        with self._lock:
            self.connections[connection_id] = connection
        log.info("WebSocket %s connected", connection_id)
        try:
            while True:
                message = socket.receive()
                if message is None:
                    break
                connection.last_active = time.time()
                self._message(api, connection_id, message)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self.connections.pop(connection_id, None)
            self._invoke(api, "$disconnect", self._event(api, "$disconnect", "DISCONNECT", connection_id))
            log.info("WebSocket %s disconnected", connection_id)
        # The socket is the client's no more: werkzeug takes this as a connection the client dropped, and
        # writes no HTTP answer after the WebSocket's frames.
        raise ConnectionError("WebSocket closed")

    def _message(self, api: SocketApi, connection_id: str, message: str | bytes) -> None:
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        route = "$default"
        field = api.selection.removeprefix("$request.body.")
        if field != api.selection:
            try:
                body = json.loads(text)
                if isinstance(body, dict) and str(body.get(field)) in api.routes:
                    route = str(body[field])
            except ValueError:
                pass
        if route in api.routes:
            self._invoke(api, route, self._event(api, route, "MESSAGE", connection_id, body=text))

    def _manage(self, environ: dict[str, Any], start_response: Callable[..., Any], connection_id: str) -> Any:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        with self._lock:
            connection = self.connections.get(connection_id)
        if connection is None:
            return _json(
                start_response, 410, {"message": "GoneException"}, {"x-amzn-ErrorType": "GoneException"}
            )
        if method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            if size > MAX_MESSAGE_BYTES:
                return _json(start_response, 413, {"message": "PayloadTooLargeException"})
            data = environ["wsgi.input"].read(size) if size else b""
            try:
                connection.socket.send(data.decode("utf-8", "replace"))
            except ConnectionClosed:
                return _json(
                    start_response, 410, {"message": "GoneException"}, {"x-amzn-ErrorType": "GoneException"}
                )
            return _plain(start_response, 200, "")
        if method == "DELETE":
            connection.closing = True
            connection.socket.close(reason=1000, message="closed by @connections")
            return _plain(start_response, 204, "")
        if method == "GET":
            stamp = datetime.fromtimestamp(connection.connected_at, UTC).isoformat()
            active = datetime.fromtimestamp(connection.last_active, UTC).isoformat()
            return _json(
                start_response,
                200,
                {
                    "connectedAt": stamp,
                    "lastActiveAt": active,
                    "identity": {"sourceIp": connection.source_ip},
                },
            )
        return _plain(start_response, 405, "POST, GET or DELETE")

    def close_all(self) -> int:
        """Closes every socket from the server's side (each gets its $disconnect); how many there were."""
        with self._lock:
            open_now = list(self.connections.values())
        for connection in open_now:
            with contextlib.suppress(ConnectionClosed):
                connection.socket.close(reason=1001, message="going away")
        return len(open_now)


_REASONS = {
    200: "OK",
    204: "No Content",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    413: "Payload Too Large",
    426: "Upgrade Required",
    502: "Bad Gateway",
}


def _plain(start_response: Callable[..., Any], status: int, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _json(
    start_response: Callable[..., Any],
    status: int,
    body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(headers or {}).items()],
    )
    return [data]
