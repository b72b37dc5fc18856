"""The OpenAPI document is the contract: schemathesis generates requests from it, against a real local stack,
as every role, and holds the API to it.

For each role and each operation the route table admits it to, schemathesis (pinned in
requirements-dev.txt) draws requests valid by the document and checks the answers: no server error, every
answer (status, media type, body) as the document says, and no valid request refused as invalid: a 400 to
a request the document allows fails the run. What the document cannot know (a unit that is busy, an alert
already closed, a resident suspended by an earlier generated request) answers 404, 409 or 422, which the
document lists per route. Bounded: a fixed number of examples per operation and role, derandomised, so a
run is repeatable and its length does not depend on the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import LocalStackProcess, launch_local_stack
from vigia.api.routes import BY_KEY, PUBLIC, SIGNED_IN

EXAMPLES = 25  # per operation and role
ROLES = ("anonymous", "citizen", "operator", "police", "response_team", "analyst", "admin")
# A request valid by the document may still meet the state of the city: not found, conflict, not
# acceptable (outside the service area, a future date), too many; never 400 and never 5xx.
ACCEPTED_STATUSES = ["2xx", "401", "403", "404", "409", "422", "429"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]


@pytest.fixture(scope="module")
def contract_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """A stack of its own: generated requests suspend residents and take units out of service."""
    stack = launch_local_stack(tmp_path_factory.mktemp("contract") / "local", residents=30)
    yield stack
    assert stack.stop() == 0, stack.log()


@pytest.fixture(scope="module")
def contract(contract_stack: LocalStackProcess) -> Any:
    return contract_of(contract_stack)


def contract_of(stack: LocalStackProcess) -> Any:
    """The API document the stack serves (its city's words), as schemathesis reads it."""
    document = requests.get(f"{stack.api}/v1/openapi.json", timeout=30).json()
    config = SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_STATUSES}}}
    )
    return schemathesis.openapi.from_dict(document, config=config)


def _short(failure: Exception) -> str:
    """What schemathesis found, without the traceback: the check, the answer and the curl to reproduce."""
    text = str(failure)
    inner = getattr(failure, "exceptions", None)
    if inner:
        text += "\n" + "\n".join(str(e) for e in inner)
    return text[:3000]


def _admits(key: str, role: str) -> bool:
    roles = BY_KEY[key].roles
    if PUBLIC in roles:
        return True
    return role != "anonymous" and (SIGNED_IN in roles or role in roles)


def _headers(stack: LocalStackProcess, role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    return dict(stack.client(role).headers)


@pytest.mark.parametrize("role", ROLES)
def test_requests_valid_by_the_document_get_the_answers_it_promises(contract, contract_stack, role):
    check_contract(contract, contract_stack, role)


def check_contract(
    contract: Any,
    contract_stack: LocalStackProcess,
    role: str,
    *,
    examples: int = EXAMPLES,
    only: frozenset[str] | None = None,
) -> None:
    """Every operation the role is admitted to (or those of them in `only`), `examples` requests each."""
    headers = _headers(contract_stack, role)
    failures: list[str] = []
    ran = 0
    for result in contract.get_all_operations():
        operation = result.ok()
        key = f"{operation.method.upper()} {operation.path}"
        if not _admits(key, role) or (only is not None and key not in only):
            continue
        ran += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            response = case.call(base_url=contract_stack.api, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            exercise()
        except (Exception, FailureGroup) as failure:  # one operation's failure must not hide the others'
            failures.append(f"{role} {key}: {_short(failure)}")
    assert ran > 0
    assert not failures, "\n\n".join(failures)


def test_the_run_can_fail_a_document_that_promises_what_the_api_refuses(contract, contract_stack):
    """The check above is not blind: a document that claims `limit` takes 0 is caught by a 400."""
    document = requests.get(f"{contract_stack.api}/v1/openapi.json", timeout=30).json()
    queue = document["paths"]["/v1/alerts"]["get"]
    for param in queue["parameters"]:
        if param["name"] == "limit":
            param["schema"] = {"type": "integer", "minimum": 0, "maximum": 0}
    config = SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_STATUSES}}}
    )
    lying = schemathesis.openapi.from_dict(document, config=config)
    operation = lying.find_operation_by_path("GET", "/v1/alerts")
    assert operation is not None
    headers = _headers(contract_stack, "operator")

    @given(case=operation.as_strategy(query={"limit": 0}))
    @settings(max_examples=1, deadline=None, derandomize=True, database=None, phases=[Phase.generate])
    def exercise(case: Any) -> None:
        response = case.call(base_url=contract_stack.api, headers=headers, timeout=30)
        assert response.status_code == 400
        case.validate_response(response, checks=[positive_data_acceptance], headers=headers)

    with pytest.raises(FailureGroup) as caught:
        exercise()
    assert "Schema-valid request rejected" in " ".join(str(e) for e in caught.value.exceptions)
