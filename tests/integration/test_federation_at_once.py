"""The host's door when the same partner message arrives at once in several execution environments."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.concurrent_stack import ServerStack, run_at_once, server_stack
from tests.integration.test_federation_receiving import ROUTE, report, write_agreement
from tests.support import api_event, godoy_cruz_pack
from vigia.federation import messages

PACK = godoy_cruz_pack()
PLACE = next(b for b in PACK.blocks.values() if b.sirens).centroid
LIMIT = 3  # Las Heras's visitor_limit in this module's agreement


@pytest.fixture(scope="module")
def race_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerStack, dict]]:
    path = Path(tmp_path_factory.mktemp("federation")) / "federation.json"
    partners = write_agreement(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["partners"][1]["visitor_limit"] = {"max_alerts": LIMIT, "window_s": 600}  # Las Heras's
    path.write_text(json.dumps(document), encoding="utf-8")
    with server_stack() as stack:
        environment = {**stack.environment, "FEDERATION_AGREEMENT_PATH": str(path)}
        yield dataclasses.replace(stack, environment=environment), partners


def _post(body: bytes, signature: str) -> dict:
    headers = {"content-type": messages.CONTENT_TYPE, "Vigia-Signature": signature}
    return api_event("POST", ROUTE, body.decode("utf-8"), headers=headers)


def _visitor_alerts(stack: ServerStack) -> list[dict]:
    return [i for i in stack.scan("AlertsTable") if i.get("sk") == "ALERT" and i.get("visitor")]


def test_one_report_delivered_six_times_at_once_is_one_alert_and_one_200(race_stack) -> None:
    stack, partners = race_stack
    body, signature = report(partners["penalolen"], place=PLACE, distribution_id="race-1", alert_id="RACE1")
    answers = run_at_once(stack, [_post(body, signature)] * 6, api_event("GET", "/v1/federation/keys"))
    # one is received; each other one is told it was (409) or, while the first is still acting, to come back
    statuses = Counter(a["status"] for a in answers)
    assert statuses[200] == 1, answers
    assert statuses[409] + statuses[503] == 5, answers
    assert [i["visitor"]["remote_id"] for i in _visitor_alerts(stack)] == ["RACE1"]


def test_one_home_alert_under_six_distribution_ids_at_once_is_one_alert(race_stack) -> None:
    stack, partners = race_stack
    events = [
        _post(*report(partners["penalolen"], place=PLACE, distribution_id=f"race-2-{i}", alert_id="RACE2"))
        for i in range(6)
    ]
    answers = run_at_once(stack, events, api_event("GET", "/v1/federation/keys"))
    assert Counter(a["status"] for a in answers) == {200: 6}, answers
    assert [
        i["visitor"]["remote_id"] for i in _visitor_alerts(stack) if i["visitor"]["remote_id"] == "RACE2"
    ] == ["RACE2"]


def test_a_partner_flooding_the_host_at_once_gets_its_limit_of_alerts_and_429s_for_the_rest(
    race_stack,
) -> None:
    """Six different home alerts from one partner (or from whoever holds its key) at once, from six
    processes: exactly its visitor_limit become alerts; the rest are told when to come back, and leave
    nothing behind (no alert, no replay mark: the same message is taken once the window has room)."""
    stack, partners = race_stack
    events = [
        _post(*report(partners["las-heras"], place=PLACE, distribution_id=f"flood-{i}", alert_id=f"FLOOD{i}"))
        for i in range(6)
    ]
    answers = run_at_once(stack, events, api_event("GET", "/v1/federation/keys"))
    assert Counter(a["status"] for a in answers) == {200: LIMIT, 429: 6 - LIMIT}, answers
    refused = [a for a in answers if a["status"] == 429]
    assert all(int(a["headers"]["Retry-After"]) > 0 for a in refused), refused
    flood = [i for i in _visitor_alerts(stack) if i["visitor"]["partner"] == "las-heras"]
    assert len(flood) == LIMIT
    marks = [i for i in stack.scan("FederationTable") if str(i["pk"]).startswith("replay#las-heras#flood-")]
    assert len(marks) == LIMIT  # a refused message is not burnt: the partner's retry is not a "replay"
    # and another partner's alerts are not held back by Las Heras's flood
    body, signature = report(partners["penalolen"], place=PLACE, distribution_id="calm-1", alert_id="CALM1")
    (answer,) = run_at_once(stack, [_post(body, signature)], api_event("GET", "/v1/federation/keys"))
    assert answer["status"] == 200, answer
