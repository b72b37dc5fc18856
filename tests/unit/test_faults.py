"""VIGIA_FAULTS (vigia.adapters.faults): the plan a chaos run describes, the guard that keeps it to a local
emulator, the seeded decisions per hop, which AWS call is which hop, and the botocore hooks at work on a
real client against moto's server."""

from __future__ import annotations

import json
import os
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vigia import settings
from vigia.adapters import aws, faults

LOCAL = "http://127.0.0.1:4566"


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from a clean environment and forgets the plan a previous one made active."""
    for name in (faults.ENV, faults.LOG_ENV, "AWS_ENDPOINT_URL", "AWS_EXECUTION_ENV"):
        monkeypatch.delenv(name, raising=False)
    faults.reset()
    yield
    faults.reset()


def on(monkeypatch: pytest.MonkeyPatch, spec: dict[str, Any] | str, endpoint: str = LOCAL) -> None:
    monkeypatch.setenv(faults.ENV, spec if isinstance(spec, str) else json.dumps(spec))
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    faults.reset()


# ------------------------------------------------------------------ parse
@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"seed": 1, "rat": 0.1}, "rat"),
        ({"hops": {"sms": {"rate": 0.5}}}, "sms"),
        ({"hops": {"cad": {"kinds": ["slow", "on_fire"]}}}, "on_fire"),
        ({"rate": 1.5}, "faults.rate"),
        ({"rate": -0.1}, "faults.rate"),
        ({"rate": "often"}, "faults.rate"),
        ({"hops": {"kms": {"rate": 2}}}, "hops.kms.rate"),
        ({"hops": ["kms"]}, "faults.hops"),
    ],
)
def test_a_plan_that_is_wrong_is_refused_naming_what_is_wrong(spec: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        faults.parse(spec)


def test_a_plan_gives_every_hop_the_common_rate_unless_told_otherwise() -> None:
    plan = faults.parse({"seed": 3, "rate": 0.2, "hops": {"cad": {"rate": 0.5, "kinds": ["slow"]}}}).plan

    assert set(plan) == set(faults.HOPS)
    assert plan["cad"] == faults.HopPlan(0.5, ("slow",))
    assert plan["kms"] == faults.HopPlan(0.2, ("throttling",))
    assert plan["sms_sender"].kinds == faults.HOPS["sms_sender"]


def test_enabled_false_turns_every_hop_off_whatever_the_rates() -> None:
    made = faults.parse({"seed": 3, "rate": 1, "enabled": False, "hops": {"cad": {"rate": 1}}})

    assert {hop: p.rate for hop, p in made.plan.items()} == dict.fromkeys(faults.HOPS, 0.0)
    assert [made.decide("cad") for _ in range(20)] == [None] * 20


# ------------------------------------------------------------------ the guard
def test_faults_are_off_without_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    assert not faults.enabled()
    assert faults.active() is None


@pytest.mark.parametrize(
    "endpoint", ["https://dynamodb.us-east-1.amazonaws.com", "http://10.0.0.5:4566", "http://emulator:4566"]
)
def test_faults_are_off_against_an_endpoint_that_is_not_on_this_machine(
    monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    on(monkeypatch, {"rate": 1}, endpoint=endpoint)
    assert not faults.enabled()
    assert faults.active() is None


def test_faults_are_off_with_no_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(faults.ENV, json.dumps({"rate": 1}))
    assert not faults.enabled()
    assert faults.active() is None


def test_faults_are_off_inside_a_lambda_runtime_even_against_localhost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on(monkeypatch, {"rate": 1})
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11")
    assert not faults.enabled()
    assert faults.active() is None


@pytest.mark.parametrize("endpoint", [LOCAL, "http://localhost:4566", "http://[::1]:4566"])
def test_faults_are_on_with_the_switch_against_a_local_emulator(
    monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    on(monkeypatch, {"seed": 9, "rate": 0.25}, endpoint=endpoint)
    assert faults.enabled()
    made = faults.active()
    assert made is not None
    assert (made.seed, made.plan["kms"].rate) == (9, 0.25)


def test_a_file_switch_reads_its_faults_section_and_again_when_the_file_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    now = [100.0]
    monkeypatch.setattr(faults, "time", types.SimpleNamespace(monotonic=lambda: now[0], time=lambda: 0.0))
    run = tmp_path / "chaos.json"
    run.write_text(json.dumps({"faults": {"seed": 5, "rate": 1}, "other": "ignored"}))
    on(monkeypatch, str(run))

    first = faults.active()
    assert first is not None
    assert first.plan["cad"].rate == 1.0
    first.decide("cad")
    # the run turns its faults off: read again once the file has changed (checked at most twice a second)
    run.write_text(json.dumps({"faults": {"seed": 5, "rate": 1, "enabled": False}}))
    stat = run.stat()
    os.utime(run, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert faults.active() is first  # not yet looked at again
    now[0] += 1.0
    second = faults.active()

    assert second is not None
    assert second is not first
    assert second.plan["cad"].rate == 0.0
    assert second.injected[("cad", "slow")] + second.injected[("cad", "server_error")] == 1  # counts run on


# ------------------------------------------------------------------ seeded decisions
def decisions(made: faults.Faults, hop: str, count: int = 200) -> list[str | None]:
    return [made.decide(hop) for _ in range(count)]


def test_the_same_seed_makes_the_same_decisions_per_hop_whatever_the_other_hops_drew() -> None:
    spec = {"seed": 7, "rate": 0.3}
    alone = decisions(faults.parse(spec), "sms_sender")
    interleaved = faults.parse(spec)
    mixed = []
    for _ in range(200):
        interleaved.decide("kms")
        mixed.append(interleaved.decide("sms_sender"))
        interleaved.decide("cad")

    assert alone == mixed
    assert {d for d in alone} == {None, *faults.HOPS["sms_sender"]}  # a real mix, not all None
    assert decisions(faults.parse(spec), "kms") == decisions(faults.parse(spec), "kms")


def test_another_seed_makes_other_decisions() -> None:
    assert decisions(faults.parse({"seed": 7, "rate": 0.3}), "sms_sender") != decisions(
        faults.parse({"seed": 8, "rate": 0.3}), "sms_sender"
    )


def test_each_decision_is_counted_and_logged(tmp_path: Path) -> None:
    log = tmp_path / "faults.jsonl"
    made = faults.parse({"seed": 1, "hops": {"kms": {"rate": 1}}}, log_path=log)

    assert made.decide("kms", function="SilentFunction") == "throttling"
    assert made.decide("cad") is None

    assert made.injected == {("kms", "throttling"): 1}
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(x["hop"], x["kind"], x["function"]) for x in lines] == [("kms", "throttling", "SilentFunction")]


# ------------------------------------------------------------------ which hop a call is
@pytest.mark.parametrize(
    ("function", "service", "operation", "params", "hop"),
    [
        ("ApiFunction", "dynamodb", "PutItem", {}, "api_dynamodb_write"),
        ("ApiFunction", "dynamodb", "TransactWriteItems", {}, "api_dynamodb_write"),
        ("ApiFunction", "dynamodb", "GetItem", {}, None),
        ("DispatchFunction", "dynamodb", "PutItem", {}, None),
        (None, "dynamodb", "PutItem", {}, None),
        ("SmsSenderFunction", "sns", "Publish", {"PhoneNumber": "+5491155501234"}, "sms_sender"),
        (
            "AlertStreamRelayFunction",
            "sns",
            "Publish",
            {"TopicArn": "arn:aws:sns:::AlertEvents"},
            "stream_relay",
        ),
        ("ApiFunction", "sns", "Publish", {"TopicArn": "arn:aws:sns:::AlertEvents"}, "sns_publish"),
        ("SirenSenderFunction", "iot-data", "Publish", {"topic": "sirens/1"}, "siren_sender"),
        ("SmsSenderFunction", "pinpoint-sms-voice-v2", "SendTextMessage", {}, "sms_sender"),
        ("SilentFunction", "kms", "Encrypt", {}, "kms"),
        (None, "kms", "Decrypt", {}, "kms"),
        ("DispatchFunction", "sqs", "SendMessageBatch", {}, "sqs_send"),
        ("ApiFunction", "sqs", "SendMessage", {}, "sqs_send"),
        ("ApiFunction", "sqs", "ReceiveMessage", {}, None),
        ("ApiFunction", "s3", "PutObject", {}, None),
    ],
)
def test_which_hop_an_aws_call_is(
    function: str | None, service: str, operation: str, params: dict[str, Any], hop: str | None
) -> None:
    assert faults.hop_of(function, service, operation, params) == hop


def test_the_running_function_is_named_only_inside_its_scope() -> None:
    assert faults.current_function() is None
    with faults.running("SmsSenderFunction"):
        assert faults.current_function() == "SmsSenderFunction"
        with faults.running("DispatchFunction"):
            assert faults.current_function() == "DispatchFunction"
        assert faults.current_function() == "SmsSenderFunction"
    assert faults.current_function() is None


# ------------------------------------------------------------------ the hooks on a real client (moto server)
@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """moto's server in this process, on a free port: an emulator on localhost, as the local stack's is
    (mock_aws does not catch a client pointed at 127.0.0.1, and the guard wants a local endpoint)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def emulator(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_server,
    }.items():
        monkeypatch.setenv(name, value)
    settings.reset()
    aws.reset()
    yield moto_server
    settings.reset()
    aws.reset()


def client(service: str, endpoint: str) -> Any:
    return aws.new_client(service, region_name="us-east-1", endpoint_url=endpoint)


def test_a_kms_call_meets_the_throttling_the_plan_says(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, {"seed": 1, "hops": {"kms": {"rate": 1.0}}}, endpoint=emulator)
    kms = client("kms", emulator)

    with pytest.raises(ClientError) as raised:
        kms.list_keys()

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert faults.active().injected == {("kms", "throttling"): 1}  # type: ignore[union-attr]


@pytest.fixture
def sns_with_sms_crash(emulator: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An SNS client on the emulator while the SMS sender's every call is planned to crash after accept."""
    on(
        monkeypatch,
        {"seed": 1, "hops": {"sms_sender": {"rate": 1, "kinds": ["crash_after_accept"]}}},
        emulator,
    )
    return client("sns", emulator)


def test_a_crash_after_accept_dies_after_the_provider_has_the_sms(sns_with_sms_crash: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sns = sns_with_sms_crash
    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages
    before = len(sent)

    with faults.running("SmsSenderFunction"), pytest.raises(faults.InjectedCrash, match="crash_after_accept"):
        sns.publish(PhoneNumber="+5491155501234", Message="Alerta: incendio en Av. San Martín 1200")

    assert len(sent) == before + 1  # moto took the SMS before the function died
    assert list(sent.values())[-1] == ("+5491155501234", "Alerta: incendio en Av. San Martín 1200")


def test_a_crash_planned_for_the_sms_sender_spares_a_topic_publish(sns_with_sms_crash: Any) -> None:
    sns = sns_with_sms_crash
    topic = sns.create_topic(Name="AlertEvents")["TopicArn"]

    with faults.running("SmsSenderFunction"):
        assert sns.publish(TopicArn=topic, Message="{}")["MessageId"]


def test_without_the_switch_no_hook_is_registered_and_calls_go_through(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fired: list[str] = []
    monkeypatch.setattr(faults, "before_call", lambda **kw: fired.append("before"))
    monkeypatch.setattr(faults, "after_call", lambda **kw: fired.append("after"))
    kms = client("kms", emulator)
    sns = client("sns", emulator)

    kms.list_keys()
    with faults.running("SmsSenderFunction"):
        sns.publish(PhoneNumber="+5491155501234", Message="hola")

    assert fired == []
    # the same client with the switch on (spies standing in for the hooks) would have fired both
    on(monkeypatch, {"seed": 1, "rate": 0}, emulator)
    client("kms", emulator).list_keys()
    assert fired == ["before", "after"]


def test_a_client_made_during_a_run_passes_calls_once_the_switch_is_gone(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, {"seed": 1, "hops": {"kms": {"rate": 1.0}}}, endpoint=emulator)
    kms = client("kms", emulator)
    monkeypatch.delenv(faults.ENV)

    assert "Keys" in kms.list_keys()
