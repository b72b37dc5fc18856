"""A function of the local engine that dies (a BaseException such as the fault injector's InjectedCrash) is a
failed invocation, as a killed Lambda runtime is; Ctrl-C and exit still stop the engine; every invocation
runs inside the application's scope, named by its logical id."""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.engine.functions import FunctionFailed, FunctionRegistry, FunctionSpec, LocalFunction
from vigia.adapters.faults import InjectedCrash


class Killed(BaseException):
    """Like InjectedCrash: no `except Exception` stops it."""


def spec(logical_id: str = "Fn") -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=f"stack-{logical_id}-ABC",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:stack-{logical_id}-ABC",
        handler="fake_module_for_crashes.handler",
        runtime="python3.12",
        timeout_s=10,
        memory_mb=512,
        environment={},
    )


@pytest.fixture
def fake_module() -> Iterator[Any]:
    module = types.ModuleType("fake_module_for_crashes")
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def raising(error: BaseException) -> Any:
    def handler(event: Any, context: Any) -> Any:
        raise error

    return handler


@pytest.mark.parametrize("error", [Killed("died mid-batch"), InjectedCrash("sms_sender: crash_after_accept")])
def test_a_crash_is_a_failed_invocation(fake_module: Any, error: BaseException) -> None:
    fake_module.handler = raising(error)

    with pytest.raises(FunctionFailed, match=type(error).__name__) as failed:
        LocalFunction(spec()).invoke({})

    assert failed.value.__cause__ is error


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3)])
def test_ctrl_c_and_exit_are_not_a_failed_invocation(fake_module: Any, error: BaseException) -> None:
    fake_module.handler = raising(error)

    with pytest.raises(type(error)):
        LocalFunction(spec()).invoke({})


def test_a_function_that_crashed_takes_the_next_event(fake_module: Any) -> None:
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        if event.get("die"):
            raise Killed("on purpose")
        return {"ok": True}

    fake_module.handler = handler
    function = LocalFunction(spec())
    with pytest.raises(FunctionFailed):
        function.invoke({"die": True})

    assert function.invoke({}) == {"ok": True}  # its lock was released


def test_every_invocation_runs_inside_the_scope_named_by_its_logical_id(fake_module: Any) -> None:
    seen: list[tuple[str, str]] = []
    inside: list[str] = []

    @contextlib.contextmanager
    def scope(logical_id: str) -> Iterator[None]:
        seen.append(("enter", logical_id))
        inside.append(logical_id)
        try:
            yield
        finally:
            inside.pop()
            seen.append(("exit", logical_id))

    def handler(event: Any, context: Any) -> Any:
        seen.append(("handler", inside[-1] if inside else "outside"))
        if event.get("die"):
            raise Killed("on purpose")
        return None

    fake_module.handler = handler
    registry = FunctionRegistry({"SmsSenderFunction": spec("SmsSenderFunction")}, scope)
    function = registry.functions["SmsSenderFunction"]

    function.invoke({})
    with pytest.raises(FunctionFailed):
        function.invoke({"die": True})

    assert (
        seen
        == [("enter", "SmsSenderFunction"), ("handler", "SmsSenderFunction"), ("exit", "SmsSenderFunction")]
        * 2
    )


def test_the_local_stack_names_the_running_function_to_the_fault_injector() -> None:
    from infra.local.stack import LocalStack
    from vigia.adapters import faults

    with LocalStack.invocation_scope(None, "DispatchFunction"):  # type: ignore[arg-type]
        assert faults.current_function() == "DispatchFunction"
    assert faults.current_function() is None
