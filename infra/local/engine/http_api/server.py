"""The local HTTP server: the API, and any other WSGI app mounted beside it under a path prefix."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger("local_stack.api")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class Mounts:
    """The one WSGI app the server runs: a request whose path starts with a mounted prefix goes to that
    app (the longest prefix wins), every other request to the HTTP API. This is where a stand-in for
    something served beside API Gateway (a web console, say) is added: `mounts.mount("/console", app)`."""

    def __init__(self, api: WsgiApp, mounted: Mapping[str, WsgiApp] | None = None) -> None:
        self.api = api
        self.mounted: dict[str, WsgiApp] = {}
        for prefix, app in (mounted or {}).items():
            self.mount(prefix, app)

    def mount(self, prefix: str, app: WsgiApp) -> None:
        if not prefix.startswith("/") or prefix == "/":
            raise ValueError(f"a mount needs a path prefix such as /console, not {prefix!r}")
        self.mounted[prefix.rstrip("/")] = app

    def app_for(self, path: str) -> WsgiApp:
        for prefix in sorted(self.mounted, key=len, reverse=True):
            if path == prefix or path.startswith(prefix + "/"):
                return self.mounted[prefix]
        return self.api

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app_for(str(environ.get("PATH_INFO") or "/"))(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info('%s "%s" %s', self.address_string(), self.requestline, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class _NoQueryHandler(_QuietHandler):
    """Logs paths without their query: a WebSocket's token travels in it (`?token=`)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        line = " ".join(part.split("?", 1)[0] for part in self.requestline.split(" "))
        log.info('%s "%s" %s', self.address_string(), line, code)


class HttpServer:
    """The threaded werkzeug server, on its own thread. `log_queries=False` keeps query strings (tokens)
    out of the log."""

    def __init__(self, app: WsgiApp, host: str, port: int, *, log_queries: bool = True) -> None:
        handler = _QuietHandler if log_queries else _NoQueryHandler
        try:
            self._server: BaseWSGIServer = make_server(
                host, port, app, threaded=True, request_handler=handler
            )
        except SystemExit:  # werkzeug's answer to a port in use
            raise OSError(f"the local API cannot listen on {host}:{port}: the port is in use") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-http-api", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, so only once it runs
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
