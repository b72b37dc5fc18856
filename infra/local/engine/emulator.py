"""The AWS emulator (moto's server, in this process) and the boto3 clients and environment aimed at it."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from moto.server import ThreadedMotoServer

log = logging.getLogger("local_stack")

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


class Emulator(ThreadedMotoServer):
    """moto's threaded server, but a port that cannot be bound raises instead of hanging start()."""

    error: BaseException | None = None

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except BaseException as error:
            self.error = error
            self._server_ready_event.set()

    def start(self) -> None:
        quicken_sqs()
        quicken_routing()
        super().start()
        if self.error is not None:
            why = "the port is in use" if isinstance(self.error, SystemExit) else str(self.error)
            raise OSError(f"the AWS emulator cannot listen on {self._ip_address}:{self._port}: {why}")


def emulator_environment(endpoint: str) -> dict[str, str]:
    """What points boto3 (ours and the handlers') at the emulator, with credentials that sign nothing real."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


class Clients:
    """boto3 clients on the emulator, made on the main thread (a boto3 session is not thread-safe)."""

    def __init__(self, endpoint: str) -> None:
        import boto3
        from botocore.config import Config

        self._session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self._endpoint = endpoint
        self._config = Config(retries={"max_attempts": 2, "mode": "standard"}, read_timeout=30)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,
                    endpoint_url=self._endpoint,
                    config=self._config,  # type: ignore[call-overload]
                )
            return self._clients[service]


def forget_stream_iterator(iterator: str) -> None:
    """moto keeps every shard iterator it hands out (one per GetRecords, several a second per stream);
    the pump never reuses one, so it is dropped from the in-process emulator to keep memory flat."""
    try:
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        dynamodbstreams_backends[ACCOUNT_ID][REGION].shard_iterators.pop(iterator, None)
    except Exception:  # another moto version: only memory is at stake
        log.debug("could not drop a used shard iterator", exc_info=True)


def quicken_sqs() -> None:
    """Two costs of moto's SQS that grow with a queue's length, made flat (`make chaos` keeps a backlog of a
    thousand dispatch messages, and the single emulator process stalled on them):
    - each received message's retention was checked by computing every attribute of its queue, approximate
      counts included (a pass over all its messages): a receive from a queue of n messages cost n² clock
      reads. The same rule is read from the queue: a message past its retention period is not delivered.
    - every clock read (visibility and delay, per message per receive) built two datetimes; it is
      time.time(), which is what that arithmetic computed."""
    import moto.sqs.models as sqs_models
    from moto.sqs.models import SQSBackend

    def valid(backend: SQSBackend, queue_name: str, message: Any) -> bool:
        retention = backend.get_queue(queue_name).message_retention_period  # type: ignore[attr-defined]
        return int(retention) + message.sent_timestamp / 1000 > time.time()

    slow_seconds, slow_millis = sqs_models.unix_time, sqs_models.unix_time_millis

    def seconds(dt: Any = None) -> float:
        return time.time() if dt is None else float(slow_seconds(dt))

    def millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else float(slow_millis(dt))

    SQSBackend.is_message_valid_based_on_retention_period = valid  # type: ignore[method-assign,assignment]
    sqs_models.unix_time, sqs_models.unix_time_millis = seconds, millis  # type: ignore[assignment]


def quicken_routing() -> None:
    """moto's server lists its own package folder (a listdir and two hundred isdir calls) on every request to
    find the service a host names, holding the lock every request takes: the list never changes while the
    process runs, so it is read once."""
    import functools

    from moto import backends

    if getattr(backends.list_of_moto_modules, "cache_info", None) is None:
        listed = backends.list_of_moto_modules
        backends.list_of_moto_modules = functools.cache(lambda: tuple(listed()))  # type: ignore[assignment]
