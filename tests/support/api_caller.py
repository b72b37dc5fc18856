"""The HTTP API in-process: a request reaches the function template.yaml routes it to, as on API Gateway."""

from __future__ import annotations

import functools
import importlib
import json
from dataclasses import dataclass
from typing import Any

from tests.support.lambda_events import FakeContext, api_event


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@functools.cache
def _template_resources() -> dict[str, Any]:
    from infra.local.engine.template import load_template

    return dict(load_template()["Resources"])


@functools.cache
def _http_routes() -> tuple[Any, ...]:
    """The template's HttpApi events as the local HTTP API reads them: (route, handler module)."""
    from infra.local.engine.http_api import Route

    routes = []
    for logical_id, resource in _template_resources().items():
        props = resource.get("Properties") or {}
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                method = str(event["Properties"].get("Method", "ANY")).upper()
                routes.append(
                    Route("ANY" if method == "ANY" else method, event["Properties"]["Path"], logical_id)
                )
    return tuple(routes)


def _function_for(method: str, path: str) -> Any:
    """The handler API Gateway would invoke for the request: the most specific route of the template wins
    (GET /v1/silent-alerts goes to SilentApiFunction, the rest to ApiFunction's ANY /v1/{proxy+})."""
    from infra.local.engine.http_api import match_route

    matched = match_route(_http_routes(), method, path)
    logical_id = matched[0].function if matched else "ApiFunction"
    handler = str(_template_resources()[logical_id]["Properties"]["Handler"])
    module, name = handler.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def call_api(
    method: str,
    path: str,
    body: Any = None,
    claims: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
) -> Answer:
    """One request through the function that serves its route; the stack must be provisioned already."""
    event = api_event(method, path, body, claims, headers, query, source_ip)
    result = _function_for(method, path)(event, FakeContext())
    return Answer(result["statusCode"], result.get("headers") or {}, result.get("body") or "")
