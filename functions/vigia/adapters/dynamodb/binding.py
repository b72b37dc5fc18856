"""The one binding of Vigía's pynamodb models to their tables, and what every table module shares.

Each model names the setting of its table (`@table("alerts_table")`) and starts unbound: nothing reads
settings at import time. A model binds itself to the table, endpoint and region of the current settings the
first time it opens a connection, and again after `reset()` (tests and the local stack provision fresh
stacks and reset settings).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pynamodb.connection.base
from botocore.session import Session, get_session
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from vigia import settings
from vigia.adapters import faults

M = TypeVar("M", bound=type[Model])

_SETTING: dict[type[Model], str] = {}  # model → the setting naming its table
_per_thread = threading.local()


def _thread_session() -> Session:
    """One botocore Session per thread for every pynamodb connection. pynamodb makes a new Session for each
    connection (per thread, as client creation is not thread-safe), and each loads the endpoint data and the
    DynamoDB model again (~50 ms): once per model at a cold start, and once per transaction. A Session per
    thread keeps pynamodb's thread rule and loads them once."""
    session: Session | None = getattr(_per_thread, "session", None)
    if session is None:
        session = _per_thread.session = get_session()
        faults.instrument(session)  # a local chaos run's faults, if on
    return session


pynamodb.connection.base.get_session = _thread_session  # type: ignore[attr-defined]


def table(setting: str) -> Callable[[M], M]:
    """Registers a model as an item of the table `settings.get().<setting>` names."""

    def register(model: M) -> M:
        _SETTING[model] = setting
        return model

    return register


def unbound() -> Any:
    """A model's Meta before it is bound (no table, endpoint or region yet)."""
    return type("Meta", (), {"table_name": "", "region": None, "host": None})


class Record(Model):
    """The base of every model here: binds the model to the current settings before each connection."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        bind(cls)
        return super()._get_connection()


def bind(model: type[Model]) -> None:
    """Points the model at the table its setting names on the current endpoint and region; a model already
    there keeps its connection."""
    s = settings.get()
    wanted = (getattr(s, _SETTING[model]), s.aws_endpoint_url, s.region)
    meta = model.Meta
    if (meta.table_name, meta.host, meta.region) != wanted:
        meta.table_name, meta.host, meta.region = wanted
        model._connection = None


def reset() -> None:
    """Drops every model's connection and binding: the next use binds to the settings of that moment (after
    runtime.reset(), or after a test replaced botocore's client factory)."""
    for model in _SETTING:
        model.Meta.table_name = ""
        model._connection = None
    _connection.cache_clear()


def table_name(model: type[Model]) -> str:
    bind(model)
    return str(model.Meta.table_name)


def connection() -> Connection:
    """The connection for TransactWriteItems on the current endpoint (transactions span tables): one per
    endpoint and region, so a transaction does not build a client of its own."""
    s = settings.get()
    return _connection(s.region, s.aws_endpoint_url)


@functools.cache
def _connection(region: str, host: str | None) -> Connection:
    return Connection(region=region, host=host)


def conditional_failed(error: Exception) -> bool:
    """Whether a pynamodb write failed on its condition (not on throttling or anything else)."""
    return "ConditionalCheckFailed" in str(getattr(error, "cause_response_code", "") or error)


def reasons(error: TransactWriteError) -> list[str | None]:
    """A cancelled transaction's reasons, one per item in the order pynamodb sent them (puts before
    updates)."""
    return [r.code if r else None for r in (error.cancellation_reasons or [])]
