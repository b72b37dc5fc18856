"""Registrations per source address hold when they arrive at once, each in its own execution environment."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.concurrent_stack import ServerStack, run_at_once, server_stack
from tests.integration.conftest import registration_body
from tests.support import api_event
from vigia.residents.signup import registration_key

ATTACKER_IP = "198.51.100.66"
AT_ONCE = 10


@pytest.fixture(scope="module")
def stack() -> Iterator[ServerStack]:
    with server_stack() as started:  # one emulator per module: its resources' names are per process
        yield started


def _registrations(stack: ServerStack) -> int:
    return sum(1 for i in stack.scan("RegistrationsTable") if i["pk"].startswith("registration#"))


def test_ten_registrations_at_once_from_one_address_admit_exactly_the_limit(stack):
    before = _registrations(stack)
    # Given ten registrations from one address, each in its own process, released together
    events = [
        api_event("POST", "/v1/registrations", registration_body(f"rafaga{i}"), source_ip=ATTACKER_IP)
        for i in range(AT_ONCE)
    ]
    answers = run_at_once(stack, events, warm_up=api_event("GET", "/v1/health", None, source_ip="192.0.2.1"))
    # Then exactly the limit (5 an hour) got through; the rest were told when to come back
    statuses = Counter(a["status"] for a in answers)
    assert statuses == Counter({202: 5, 429: AT_ONCE - 5}), [a["body"] for a in answers]
    assert all(int(a["headers"]["Retry-After"]) > 0 for a in answers if a["status"] == 429)
    # And exactly five registrations were stored, and the address is kept only as a MAC
    items = stack.scan("RegistrationsTable")
    assert _registrations(stack) - before == 5
    counters = [i for i in items if i["pk"].startswith("source#") and int(i["registrations"]) >= 5]
    assert [int(c["registrations"]) for c in counters] == [5]
    assert ATTACKER_IP not in json.dumps(items, default=str)


def _registration(stack, body: dict[str, Any], source_ip: str) -> tuple[str, str]:
    """A registration started on the server stack; its id and the code the SMS queue carries."""
    import re

    answers = run_at_once(stack, [api_event("POST", "/v1/registrations", body, source_ip=source_ip)], _HEALTH)
    assert answers[0]["status"] == 202, answers
    registration_id = json.loads(answers[0]["body"])["registration_id"]
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.resources["SmsQueue"].rsplit("/", 1)[-1])["QueueUrl"]
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        assert messages, "no registration code was queued"
        for message in messages:
            task = json.loads(message["Body"])
            if task["target"] == "registration_code" and task["recipient"] == body["phone"]:
                return registration_id, re.findall(r"\b\d{6}\b", task["body"])[0]


_HEALTH = api_event("GET", "/v1/health", None, source_ip="192.0.2.1")


def _confirm(registration_id: str, code: str) -> dict[str, Any]:
    return api_event(
        "POST", f"/v1/registrations/{registration_id}/confirm", {"code": code}, source_ip="192.0.2.9"
    )


def test_guesses_at_once_use_up_the_five_tries_and_confirmations_at_once_create_one_resident(stack):
    # Given a registration guessed at by ten processes at once
    guessed, code = _registration(stack, registration_body("adivinada"), "192.0.2.20")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = run_at_once(stack, [_confirm(guessed, wrong)] * AT_ONCE, _HEALTH)
    assert {a["status"] for a in answers} == {422}
    # Then no more than five tries were counted, and the right code is refused after them
    [item] = [i for i in stack.scan("RegistrationsTable") if i["pk"] == registration_key(guessed)]
    assert int(item["attempts"]) == 5
    assert run_at_once(stack, [_confirm(guessed, code)], _HEALTH)[0]["status"] == 422
    residents_before = sum(1 for i in stack.scan("ResidentsTable") if i.get("kind") == "resident")
    # Given another registration confirmed by four processes at once with the right code
    doubled, code = _registration(stack, registration_body("duplicada"), "192.0.2.21")
    answers = run_at_once(stack, [_confirm(doubled, code)] * 4, _HEALTH)
    # Then exactly one created the resident
    assert sorted(a["status"] for a in answers) == [200, 422, 422, 422]
    residents = [i for i in stack.scan("ResidentsTable") if i.get("kind") == "resident"]
    assert len(residents) - residents_before == 1
