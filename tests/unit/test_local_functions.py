"""In-process functions: one shared environment, a Lambda-like context, JSON in and out."""

from __future__ import annotations

import sys
import threading
import time
import types
from typing import Any

import pytest

from infra.local.engine.functions import (
    FunctionFailed,
    FunctionRegistry,
    FunctionSpec,
    LocalFunction,
    merged_environment,
)
from infra.local.engine.intrinsics import TemplateError


def spec(logical_id: str = "Fn", handler: str = "fake_module_for_local.handler", **env: str) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=f"stack-{logical_id}-ABC",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:stack-{logical_id}-ABC",
        handler=handler,
        runtime="python3.12",
        timeout_s=10,
        memory_mb=512,
        environment=env,
    )


@pytest.fixture
def fake_module() -> Any:
    module = types.ModuleType("fake_module_for_local")
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def test_functions_that_agree_share_one_environment() -> None:
    merged = merged_environment([spec("A", TABLE="t", ONLY_A="1"), spec("B", TABLE="t", ONLY_B="2")])

    assert merged == {"TABLE": "t", "ONLY_A": "1", "ONLY_B": "2"}


def test_functions_that_disagree_on_a_variable_fail_loudly() -> None:
    with pytest.raises(TemplateError, match="TABLE: A='t' but B='u'"):
        merged_environment([spec("A", TABLE="t"), spec("B", TABLE="u")])


def test_the_handler_gets_a_json_copy_of_the_event_and_a_lambda_context(fake_module: Any) -> None:
    seen: dict[str, Any] = {}

    def handler(event: Any, context: Any) -> Any:
        seen.update(event=event, context=context)
        event["mutated"] = True
        return {"ok": True}

    fake_module.handler = handler
    original = {"a": (1, 2)}

    result = LocalFunction(spec()).invoke(original)

    assert result == {"ok": True}
    assert seen["event"] == {"a": [1, 2], "mutated": True}
    assert "mutated" not in original
    context = seen["context"]
    assert context.function_name == "stack-Fn-ABC"
    assert context.memory_limit_in_mb == 512
    assert context.invoked_function_arn.endswith(":function:stack-Fn-ABC")
    assert context.aws_request_id
    assert 9_000 < context.get_remaining_time_in_millis() <= 10_000


def test_an_exception_or_a_result_that_is_not_json_is_a_failed_invocation(fake_module: Any) -> None:
    fake_module.handler = lambda event, context: (_ for _ in ()).throw(ValueError("nope"))
    with pytest.raises(FunctionFailed, match="ValueError: nope"):
        LocalFunction(spec()).invoke({})

    fake_module.handler = lambda event, context: {"when": object()}
    with pytest.raises(FunctionFailed, match="MarshalError"):
        LocalFunction(spec()).invoke({})


def test_invocations_of_one_function_never_overlap(fake_module: Any) -> None:
    running = []
    overlaps = []

    def handler(event: Any, context: Any) -> None:
        running.append(1)
        if len(running) > 1:
            overlaps.append(1)
        time.sleep(0.02)
        running.pop()

    fake_module.handler = handler
    function = LocalFunction(spec())
    threads = [threading.Thread(target=function.invoke, args=({},)) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert overlaps == []


def test_the_registry_finds_a_function_by_arn_qualified_arn_name_or_logical_id() -> None:
    registry = FunctionRegistry({"Fn": spec()})
    arn = "arn:aws:lambda:us-east-1:123456789012:function:stack-Fn-ABC"

    assert registry.find(arn) is registry["Fn"]
    assert registry.find(arn + ":$LATEST") is registry["Fn"]
    assert registry.find("stack-Fn-ABC") is registry["Fn"]
    assert registry.find("Fn") is registry["Fn"]
    assert registry.find("arn:aws:lambda:us-east-1:123456789012:function:other") is None
