"""`make token` and `make admin` against the running local stack, as the README uses them: a token from
`make token` sends an alert with curl alone, and the admin `make admin` creates can read the audit trail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import ROOT, LocalStackProcess

ALERT = {"type": "robbery", "location": {"lat": -32.93, "lon": -68.84}}


def run_tool(stack: LocalStackProcess, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The tool as `make` runs it: a fresh process that finds the stack through its outputs.json only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIGIA_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "functions"), str(ROOT)]), VIGIA_LOCAL_DIR=str(stack.local_dir)
    )
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def token(stack: LocalStackProcess, role: str) -> str:
    done = run_tool(stack, "infra.tools.id_token", role)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def call(stack: LocalStackProcess, method: str, path: str, bearer: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{stack.api}{path}", headers=headers, timeout=10, **kwargs)


def test_make_token_prints_only_a_token_the_api_accepts_for_that_role(local_stack: LocalStackProcess):
    citizen, operator = token(local_stack, "citizen"), token(local_stack, "operator")

    assert citizen.count(".") == 2  # a JWT and nothing else: $(make -s token) is the whole header value
    sent = call(local_stack, "POST", "/v1/alerts", citizen, json=ALERT, headers={"Idempotency-Key": "tool-1"})
    assert sent.status_code == 202, sent.text
    assert call(local_stack, "GET", "/v1/alerts", operator).status_code == 200
    # the role is the one asked for: a citizen's token does not open the operators' queue
    assert call(local_stack, "GET", "/v1/alerts", citizen).status_code == 403


def test_make_token_for_an_unknown_role_names_the_roles_there_are(local_stack: LocalStackProcess):
    done = run_tool(local_stack, "infra.tools.id_token", "mayor")

    assert done.returncode == 2
    assert done.stdout == ""
    assert "no demo user for ROLE=mayor" in done.stderr
    assert "operator" in done.stderr


def test_make_token_without_a_running_stack_says_so(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIGIA_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "functions"), str(ROOT)]), VIGIA_LOCAL_DIR=str(tmp_path)
    )
    done = subprocess.run(
        [sys.executable, "-m", "infra.tools.id_token"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "no running local stack" in done.stderr


def test_make_admin_creates_an_admin_who_sets_a_password_and_reads_the_audit_trail(
    local_stack: LocalStackProcess,
):
    sent = call(
        local_stack,
        "POST",
        "/v1/alerts",
        token(local_stack, "citizen"),
        json=ALERT,
        headers={"Idempotency-Key": "tool-2"},
    )
    alert_id = sent.json()["alert_id"]

    done = run_tool(local_stack, "infra.tools.admin", "Primera.Admin@Ciudad.Example")

    assert done.returncode == 0, done.stderr
    assert "primera.admin@ciudad.example created" in done.stdout
    password = done.stdout.strip().splitlines()[-1].rsplit(": ", 1)[1]
    idp = local_stack.aws("cognito-idp")
    client_id = local_stack.outputs["UserPoolClientId"]
    challenge = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "primera.admin@ciudad.example", "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    signed_in = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "primera.admin@ciudad.example", "NEW_PASSWORD": "Nueva-Clave-2026"},
    )
    admin_token = signed_in["AuthenticationResult"]["IdToken"]
    trail = call(local_stack, "GET", f"/v1/audit?alert_id={alert_id}", admin_token)
    assert trail.status_code == 200, trail.text
    assert (
        call(local_stack, "GET", f"/v1/audit?alert_id={alert_id}", token(local_stack, "operator")).status_code
        == 403
    )


def test_make_admin_twice_creates_nobody_and_shows_no_second_password(local_stack: LocalStackProcess):
    first = run_tool(local_stack, "infra.tools.admin", "segunda@ciudad.example")
    again = run_tool(local_stack, "infra.tools.admin", "SEGUNDA@ciudad.example")

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert "already exists" in again.stdout
    assert "password" not in again.stdout
    users = local_stack.aws("cognito-idp").list_users(
        UserPoolId=local_stack.outputs["UserPoolId"], Filter='email = "segunda@ciudad.example"'
    )["Users"]
    assert len(users) == 1


def test_make_admin_refuses_what_is_not_an_e_mail(local_stack: LocalStackProcess):
    done = run_tool(local_stack, "infra.tools.admin", "not-an-address")

    assert done.returncode == 2
    assert "not an e-mail" in done.stderr
