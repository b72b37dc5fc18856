"""The template's resources on moto's HTTP server, and ApiFunction run in several OS processes at once.

A Lambda function scales by execution environments: ten taps at once are ten processes, each with its own
module state and clients, sharing only DynamoDB. These helpers reproduce that: one emulator over HTTP,
N spawned processes that import the handler, warm up, wait on one barrier, then send their request.

The emulator answers one request at a time (a lock around its WSGI app): DynamoDB applies each conditional
write and transaction atomically, and moto's threaded server alone does not, so without the lock a test
would measure moto's races instead of ours. Between requests the processes interleave freely.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import FakeContext

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180


@dataclass
class ServerStack:
    endpoint: str
    resources: dict[str, str]
    environment: dict[str, str]  # what ApiFunction's processes run with

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")

    def table(self, logical_id: str) -> Any:
        import boto3

        resource = boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1")
        return resource.Table(self.resources[logical_id])

    def put_resident(self, user_id: str, *, status: str, lat: float, lon: float) -> dict[str, Any]:
        n = sum(ord(c) for c in user_id) % 100_000
        item = {
            "pk": user_id,
            "kind": "resident",
            "full_name": f"Vecina {user_id}",
            "national_id": f"{31_000_000 + n}",
            "phone": f"+5492615{n:06d}",
            "email": f"{user_id}@example.ar",
            "address": f"Calle {n} 123",
            "home_lat": str(lat),
            "home_lon": str(lon),
            "locale": "es-AR",
            "status": status,
            "created_at": "2026-01-01T00:00:00.000Z",
        }
        from decimal import Decimal

        self.table("ResidentsTable").put_item(
            Item={k: Decimal(v) if k in ("home_lat", "home_lon") else v for k, v in item.items()}
        )
        return item

    def scan(self, logical_id: str) -> list[dict[str, Any]]:
        table = self.table(logical_id)
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            page = table.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@contextmanager
def server_stack() -> Iterator[ServerStack]:
    """moto's server on a free port, one request at a time, with every resource of template.yaml."""
    import logging

    import boto3
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.server import ThreadedMotoServer

    from infra.local.engine.functions import function_specs, merged_environment
    from infra.local.engine.intrinsics import Pseudo, Resolver, resolve_parameters
    from infra.local.engine.resources import Env, provision
    from infra.local.engine.template import translate
    from infra.local.launch import free_ports

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log
    serial = threading.Lock()
    original = DomainDispatcherApplication.__call__

    def one_at_a_time(self: Any, environ: Any, start_response: Any) -> Any:
        with serial:
            return list(original(self, environ, start_response))

    DomainDispatcherApplication.__call__ = one_at_a_time  # type: ignore[method-assign]
    (port,) = free_ports(1)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its state per process: start from nothing, and leave nothing for the next module's stack
    _reset(endpoint)
    try:
        cfn = translate()
        pseudo = Pseudo(stack_name="vigia-race")
        resolver = Resolver(cfn, resolve_parameters(cfn.get("Parameters") or {}), pseudo)
        env = Env(
            pseudo=pseudo,
            client=lambda s: boto3.client(s, endpoint_url=endpoint, region_name="us-east-1"),
            aws_endpoint=endpoint,
        )
        provisioned = provision(cfn, resolver, env)
        specs = function_specs(cfn, resolver)
        environment = {
            **merged_environment(specs.values()),
            "CITY_PACK_DIR": str(ROOT / "infra/cities/godoy-cruz"),
            "SCHEMAS_DIR": str(ROOT / "schemas"),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "LOG_LEVEL": "ERROR",
            "API_FUNCTION_NAME": specs["ApiFunction"].name,
            "API_FUNCTION_ARN": specs["ApiFunction"].arn,
        }
        environment.pop("VIGIA_OUTBOX_PATH", None)
        yield ServerStack(endpoint, provisioned.physical_ids(), environment)
    finally:
        _reset(endpoint)
        server.stop()
        DomainDispatcherApplication.__call__ = original  # type: ignore[method-assign]


def _reset(endpoint: str) -> None:
    import requests

    requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()


def _execution_environment(
    environment: dict[str, str],
    warm_up: dict[str, Any],
    event: dict[str, Any],
    barrier: Any,
    answers: Any,
) -> None:
    """One Lambda execution environment: cold start, one warm-up request, the barrier, then the request."""
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    os.environ.update(environment)
    os.environ.pop("VIGIA_OUTBOX_PATH", None)
    try:
        from vigia.handlers.api import lambda_handler

        context = FakeContext(
            environment["API_FUNCTION_NAME"],
            aws_request_id=f"race-{os.getpid()}",
            invoked_function_arn=environment["API_FUNCTION_ARN"],
        )
        lambda_handler(warm_up, context)  # imports, clients and the city pack loaded before the race
        barrier.wait(timeout=START_TIMEOUT_S)
        result = lambda_handler(event, context)
        answers.put(
            {"status": result["statusCode"], "headers": result.get("headers") or {}, "body": result["body"]}
        )
    except BaseException as error:  # report, never hang the test
        answers.put({"status": -1, "headers": {}, "body": repr(error)})
        raise


def run_at_once(
    stack: ServerStack, events: list[dict[str, Any]], warm_up: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each event in its own spawned process, released together; their answers (in completion order)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(events))
    answers = ctx.Queue()
    processes = [
        ctx.Process(target=_execution_environment, args=(stack.environment, warm_up, event, barrier, answers))
        for event in events
    ]
    for process in processes:
        process.start()
    got = [answers.get(timeout=START_TIMEOUT_S) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    return got
