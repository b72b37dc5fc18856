"""The local stack as a pytest fixture: `python -m infra.local.run` in a subprocess, on free ports.

    def test_something(local_stack):
        me = local_stack.client("operator").get("/v1/me")          # signed in as the demo operator
        local_stack.wait_for(lambda: local_stack.outbox(), timeout=10)

`local_stack` (one per test session and xdist worker) runs the real template.yaml and the real seed.
`start_local_stack(...)` starts more, with other settings; every stack is stopped with SIGINT at the end
and must exit 0.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from infra.local.launch import ROOT, launch, stack_environment, stop, wait_for_outputs
from tests.support.people import fresh_mobile, fresh_national_id

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


class ApiSession(requests.Session):
    """A requests session on the local API: relative URLs ("/v1/me") go to it; 30 s timeout."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


class LocalStackProcess:
    """One running local stack and the ways a test talks to it."""

    def __init__(self, process: subprocess.Popen[bytes], local_dir: Path, log_path: Path) -> None:
        self.process = process
        self.local_dir = local_dir
        self.log_path = log_path
        self.outputs: dict[str, Any] = {}
        self._tokens: dict[str, str] = {}

    # ------------------------------------------------------------ lifecycle
    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> LocalStackProcess:
        outputs = wait_for_outputs(self.process, self.local_dir, timeout)
        if outputs is not None:
            self.outputs = outputs
            return self
        if self.process.poll() is not None:
            pytest.fail(f"the local stack exited with {self.process.returncode}:\n{self.log()}")
        self.stop()
        pytest.fail(f"the local stack was not ready within {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> int:
        """Ctrl-C, as a developer would; returns the exit code."""
        return stop(self.process, STOP_TIMEOUT_S)

    def log(self, tail: int = 200) -> str:
        """What the stack printed (stdout and stderr), its last lines."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])

    # ------------------------------------------------------------ talking to it
    @property
    def api(self) -> str:
        return str(self.outputs["ApiUrl"])

    @property
    def country_code(self) -> str:
        """The country of the city the stack runs (its pack's country_code): its residents' phones and ids."""
        pack = ROOT / "infra/cities" / str(self.outputs["City"]) / "city.json"
        return str(json.loads(pack.read_text(encoding="utf-8"))["country_code"])

    def aws(self, service: str) -> Any:
        """A boto3 client on the stack's emulator."""
        return boto3.client(
            service,
            endpoint_url=self.outputs["AwsEndpointUrl"],
            region_name=self.outputs["Region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def tokens(self, username: str, password: str) -> dict[str, Any]:
        """Cognito's AuthenticationResult (IdToken, AccessToken …) for USER_PASSWORD_AUTH sign-in."""
        answer = self.aws("cognito-idp").initiate_auth(
            ClientId=self.outputs["UserPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return dict(answer["AuthenticationResult"])

    def sign_in(self, username: str, password: str) -> str:
        """The ID token of a user, as the app gets it from Cognito."""
        return str(self.tokens(username, password)["IdToken"])

    def demo_user(self, role: str) -> dict[str, Any]:
        users = self.outputs.get("DemoUsers") or {}
        if role not in users:
            why = self.outputs.get("SeedError") or f"the seed made {sorted(users)}"
            raise KeyError(f"no demo user for role {role!r}: {why}")
        return dict(users[role])

    def client(self, role: str | None = None) -> ApiSession:
        """A session on the API signed in as the demo user of `role` (None: no token)."""
        if role is None:
            return ApiSession(self.api)
        if role not in self._tokens:
            user = self.demo_user(role)
            self._tokens[role] = self.sign_in(user["username"], user["password"])
        return ApiSession(self.api, self._tokens[role])

    def outbox(self) -> list[dict[str, Any]]:
        """Everything that left the system so far (SMS, siren commands, webhooks, pushes), in order."""
        path = Path(self.outputs.get("OutboxPath") or self.local_dir / "outbox.jsonl")
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
        """Polls until `predicate()` is truthy and returns that value; fails the test on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"condition not met within {timeout} s; the stack's log:\n{self.log(60)}")
            if self.process.poll() is not None:
                pytest.fail(f"the local stack exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(interval)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Runs one of the template's functions on `event`, in a new process attached to this stack."""
        done = subprocess.run(
            [sys.executable, "-m", "infra.local.run", "invoke", logical_id, json.dumps(event)],
            cwd=ROOT,
            env=stack_environment(self.local_dir, {}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"invoking {logical_id} failed:\n{done.stderr}")
        # Handlers log JSON lines to stdout too (Powertools); the result is the last line.
        return json.loads(done.stdout.strip().splitlines()[-1])

    def register(self, body: dict[str, Any]) -> str:
        """Registers as a person would: the registration, the code the SMS brought (outbox), the confirmation.

        `body["phone"]` must be in E.164 (the outbox names the recipient so). Returns the user id."""
        started = self.client().post("/v1/registrations", json=body)
        assert started.status_code == 202, started.text

        def code() -> str | None:
            for sms in reversed(self.outbox()):
                if sms.get("recipient") == body["phone"] and str(sms.get("alert_id", "")).startswith(
                    "registration-"
                ):
                    found = re.findall(r"\b\d{6}\b", sms["body"])
                    if found:
                        return found[0]
            return None

        # the code's SMS waits its turn behind the neighbours' SMS other tests queued on this shared stack
        sent = self.wait_for(code, timeout=90)
        confirmed = self.client().post(
            f"/v1/registrations/{started.json()['registration_id']}/confirm", json={"code": sent}
        )
        assert confirmed.status_code == 200, confirmed.text
        return str(confirmed.json()["user_id"])

    def new_citizen(self, home: dict[str, float] | None = None) -> ApiSession:
        """A freshly registered and approved resident, signed in (each has her own alert rate limit).

        `home` defaults to the demo citizen's home, so she has approved neighbours on her block."""
        if home is None:
            home = self.client("citizen").get("/v1/me").json()["home_location"]
        n = uuid.uuid4().int
        email = f"vecina-{n % 10**10:010d}@example.ar"
        country = self.country_code
        _, phone = fresh_mobile(country, n)
        body = {
            "full_name": "Vecina de Prueba",
            "national_id": fresh_national_id(country, n),
            "phone": phone,
            "email": email,
            "password": "Segura-2026x",
            "address": "Calle de Prueba 100",
            "home_location": home,
        }
        user_id = self.register(body)
        approved = self.client("operator").post(f"/v1/registrations/{user_id}/approve")
        assert approved.status_code == 200, approved.text
        return ApiSession(self.api, self.sign_in(email, "Segura-2026x"))


def launch_local_stack(
    local_dir: Path, *, residents: int = 300, env: dict[str, str] | None = None, wait: bool = True
) -> LocalStackProcess:
    """Starts `python -m infra.local.run` on free ports with its own VIGIA_LOCAL_DIR."""
    settings = {
        # every test registers from 127.0.0.1: the per-source limit has its own test (integration)
        "VIGIA_PARAMETER_OVERRIDES": "RegistrationsPerSourcePerHour=100000",
        **(env or {}),
    }
    log_path = local_dir.with_name(local_dir.name + ".log")
    process = launch(local_dir, log_path, residents=residents, env=settings)
    stack = LocalStackProcess(process, local_dir, log_path)
    return stack.wait_ready() if wait else stack


def _stop_and_check(stack: LocalStackProcess) -> None:
    code = stack.stop()
    assert code == 0, f"the local stack exited with {code} on Ctrl-C:\n{stack.log()}"


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """The real stack (template.yaml, demo seed with 300 residents), shared by the session."""
    stack = launch_local_stack(tmp_path_factory.mktemp("local-stack") / "local")
    yield stack
    _stop_and_check(stack)


@pytest.fixture
def start_local_stack(tmp_path: Path) -> Iterator[Callable[..., LocalStackProcess]]:
    """Starts more stacks: start_local_stack(residents=…, env={…}); each must stop with 0 after the test."""
    started: list[LocalStackProcess] = []

    def start(**kwargs: Any) -> LocalStackProcess:
        stack = launch_local_stack(tmp_path / f"local-{len(started)}", **kwargs)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        _stop_and_check(stack)
