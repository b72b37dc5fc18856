"""Datasets: register a version and get its upload link, list them, read one's status."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from vigia import clock, runtime, settings
from vigia.datasets import service
from vigia.handlers.routes.common import Request, json_response, route
from vigia.observability import logger

router = APIGatewayHttpRouter()


@route(router, "POST /v1/datasets")
def register_dataset(request: Request) -> Response:
    answer = service.register(
        request.body,
        runtime.dataset_ports(),
        who=request.who.user_id,
        roles=request.who.roles,
        now=clock.now(),
        expires_s=settings.get().upload_link_s,
    )
    logger.info("dataset registered", extra={"dataset_id": answer["dataset_id"]})
    headers = {"Location": f"/v1/datasets/{answer['dataset_id']}", "Cache-Control": "no-store"}
    return json_response(201, answer, headers)


@route(router, "GET /v1/datasets")
def list_datasets(request: Request) -> Response:
    found = service.listed(
        runtime.dataset_ports(), source=request.query["source"], status=request.query["status"]
    )
    return json_response(200, {"datasets": found})


@route(router, "GET /v1/datasets/{dataset_id}")
def read_dataset(request: Request) -> Response:
    found = service.read(request.path["dataset_id"], runtime.dataset_ports(), roles=request.who.roles)
    return json_response(200, found)
