"""The AWS emulator (moto's server, in this process) and the boto3 clients and environment aimed at it."""

from __future__ import annotations

import logging
import os
import threading
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
