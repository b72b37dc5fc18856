"""The API contract of test_api_contract.py on Peñalolén's own stack, for the routes whose answers come from
the city pack: its alert types and their labels, registrations (Chilean numbering, RUTs, its service area),
alerts, units, patrol schedules and dosage, hot spots, surveys (its questions) and indicators.

Schemathesis draws requests from the document Peñalolén's stack serves and holds Peñalolén's answers to it:
no 5xx, every answer as the document says, no valid request refused as invalid. Fewer examples than Godoy
Cruz's run, and only these routes: the rest of the API does not read the pack, and Godoy Cruz's run covers
it. A module of its own, so the suite's workers (--dist loadfile) can run it beside Godoy Cruz's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import LocalStackProcess, _stop_and_check, launch_local_stack
from tests.e2e.test_api_contract import ROLES, check_contract, contract_of

CITY_ID = "penalolen"
EXAMPLES = 10  # per operation and role
# The operations whose answers the pack shapes; a role meets those the route table admits it to.
PACK_ROUTES = frozenset(
    {
        "GET /v1/alert-types",
        "GET /v1/me",
        "POST /v1/registrations",
        "POST /v1/alerts",
        "GET /v1/alerts",
        "GET /v1/units",
        "POST /v1/units/{unit_id}/status",
        "POST /v1/patrol-schedules",
        "GET /v1/patrol-schedules/{date}",
        "GET /v1/patrol-schedules/{date}/units/{unit_id}",
        "GET /v1/patrols/dosage",
        "GET /v1/hotspots",
        "POST /v1/surveys",
        "GET /v1/surveys/summary",
        "GET /v1/indicators",
        "GET /v1/indicators/summary",
    }
)


@pytest.fixture(scope="module")
def city_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """Peñalolén's stack of its own (generated requests suspend residents and take units out of service)."""
    stack = launch_local_stack(
        tmp_path_factory.mktemp("contract-" + CITY_ID) / "local", residents=30, env={"VIGIA_CITY": CITY_ID}
    )
    assert stack.outputs["City"] == CITY_ID
    yield stack
    _stop_and_check(stack)


@pytest.fixture(scope="module")
def city_contract(city_stack: LocalStackProcess) -> Any:
    return contract_of(city_stack)


@pytest.mark.parametrize("role", ROLES)
def test_penalolen_answers_what_its_document_promises_on_the_routes_its_pack_shapes(
    city_contract: Any, city_stack: LocalStackProcess, role: str
) -> None:
    check_contract(city_contract, city_stack, role, examples=EXAMPLES, only=PACK_ROUTES)
