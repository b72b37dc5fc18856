"""`make run` logs each invocation under its own function's name, even when functions share one process,
one Powertools logger and run at the same time (the pumps' threads)."""

from __future__ import annotations

import io
import json
import sys
import threading
import types
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from infra.local.engine.functions import FunctionSpec, LocalFunction


def spec(logical_id: str, handler: str) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=f"vigia-local-{logical_id}",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:vigia-local-{logical_id}",
        handler=handler,
        runtime="python3.12",
        timeout_s=10,
        memory_mb=512,
        environment={},
    )


@pytest.fixture
def shared_logger() -> Any:
    """Two handler modules that share one Powertools logger, as every Vigía handler shares vigia's."""
    out = io.StringIO()
    logger = Logger(service="vigia-test-names", logger_handler=__import__("logging").StreamHandler(out))
    webhook_entered, sms_done = threading.Event(), threading.Event()
    module = types.ModuleType("fake_senders_for_names")

    @logger.inject_lambda_context
    def sms(event: Any, context: Any) -> None:
        webhook_entered.wait(5)  # the webhook sender has set its context on the shared logger meanwhile
        logger.info("delivery sent", extra={"channel": "sms"})
        sms_done.set()

    @logger.inject_lambda_context
    def webhook(event: Any, context: Any) -> None:
        webhook_entered.set()
        sms_done.wait(5)
        logger.info("delivery sent", extra={"channel": "webhook"})

    module.sms, module.webhook = sms, webhook
    sys.modules[module.__name__] = module
    yield out
    del sys.modules[module.__name__]


def test_two_functions_running_at_once_each_log_under_their_own_name(shared_logger: io.StringIO) -> None:
    # Given the SMS and the webhook senders, in one process, invoked at the same time by two pumps
    sms = LocalFunction(spec("SmsSenderFunction", "fake_senders_for_names.sms"))
    webhook = LocalFunction(spec("WebhookSenderFunction", "fake_senders_for_names.webhook"))
    threads = [threading.Thread(target=f.invoke, args=({},)) for f in (sms, webhook)]
    # When both run and log
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # Then each line names the function that wrote it, and its request
    lines = [json.loads(line) for line in shared_logger.getvalue().splitlines()]
    by_channel = {line["channel"]: line for line in lines}
    assert by_channel["sms"]["function_name"] == "vigia-local-SmsSenderFunction"
    assert by_channel["webhook"]["function_name"] == "vigia-local-WebhookSenderFunction"
    assert by_channel["sms"]["function_arn"].endswith(":vigia-local-SmsSenderFunction")
    assert by_channel["sms"]["function_request_id"] != by_channel["webhook"]["function_request_id"]
