"""What the local stand-ins of outside services (the provincial CAD, End User Messaging SMS) share: a JSON
answer, a record of what they received appended to a file, and their HTTP server on a background thread."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def answer(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any], content_type: str) -> None:
    data = json.dumps(body).encode("utf-8")
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def append_record(path: Path | None, entry: dict[str, Any]) -> None:
    """One JSON line per thing received (`path` None: kept in memory only)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def serve(handler: type[BaseHTTPRequestHandler], host: str, port: int, name: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


def base_url(server: ThreadingHTTPServer | None) -> str:
    assert server is not None, "the stand-in is not started"
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def close(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()
