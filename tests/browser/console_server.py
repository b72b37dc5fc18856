"""The console in front of a running local stack for the browser tests: /console/ from ConsoleSite, the rest
forwarded to the stack's HTTP API, so the page and the API share one origin as they do under `make run`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from infra.tools.console_site import ConsoleSite, site_for_stack

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "server",
    "date",
}


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ConsoleFront:
    """WSGI: /console/… → the console site; anything else → the stack's API (method, path, headers, body)."""

    def __init__(self, site: ConsoleSite, api_url: str) -> None:
        self.site = site
        self.api_url = api_url.rstrip("/")
        self.http = requests.Session()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", "/"))
        if path == "/console":
            start_response("301 Moved Permanently", [("Location", "/console/"), ("Content-Length", "0")])
            return [b""]
        if path.startswith("/console/"):
            inner = dict(environ, PATH_INFO=path[len("/console") :])
            return self.site(inner, start_response)
        return self._forward(environ, start_response)

    def _forward(self, environ: Mapping[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_CONNECTION")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = str(environ["CONTENT_TYPE"])
        query = f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        answer = self.http.request(
            str(environ["REQUEST_METHOD"]),
            f"{self.api_url}{environ.get('PATH_INFO', '/')}{query}",
            headers=headers,
            data=body,
            timeout=30,
            allow_redirects=False,
        )
        out = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP]
        out.append(("Content-Length", str(len(answer.content))))
        start_response(f"{answer.status_code} {answer.reason}", out)
        return [answer.content]


class ConsoleServer:
    """ConsoleFront on 127.0.0.1:<port> in a thread; `url` is the console's address."""

    def __init__(self, outputs: Mapping[str, Any], port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, lambda e, s: self.app(e, s), threaded=True, request_handler=_Quiet
        )
        origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.app = ConsoleFront(site_for_stack(outputs, api_url=origin), str(outputs["ApiUrl"]))
        self.url = f"{origin}/console/"
        self._thread = threading.Thread(target=self._server.serve_forever, name="console-front", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


if __name__ == "__main__":  # serve a running stack's console by hand: python -m tests.browser.console_server
    import json
    import sys
    import time
    from pathlib import Path

    outputs = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else ".local/outputs.json").read_text())
    server = ConsoleServer(outputs, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    print(server.url, flush=True)
    while True:
        time.sleep(3600)
