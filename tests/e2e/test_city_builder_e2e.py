"""A pack built by `make city` from the sample blocks, once its city has decided every field, starts the local
stack (`make run CITY=…`): the ready banner names the city and a resident's robbery reaches its police."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.tools import city_builder
from tests.e2e.conftest import LocalStackProcess
from tests.unit.test_city_builder import BLOCKS, DISPATCH, QUADRANTS, decide_all

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def built_city(tmp_path: Path) -> Iterator[str]:
    """A decided pack from the sample, in infra/cities/ for the test only (its own id: runs may overlap)."""
    city = f"villa-prueba-{os.getpid()}"
    built = tmp_path / city
    assert city_builder.main(
        ["--name", city, "--blocks", str(BLOCKS), "--quadrants", str(QUADRANTS), "--locale", "es-CL",
         "--out", str(built)]
    ) == 0  # fmt: skip
    decide_all(built)
    target = ROOT / "infra" / "cities" / city
    staged = ROOT / ".local" / f"{city}.staged"
    staged.parent.mkdir(exist_ok=True)
    shutil.copytree(built, staged)
    # Renamed into place whole and decided: a test loading every pack meanwhile sees a complete one.
    staged.rename(target)
    try:
        yield city
    finally:
        shutil.rmtree(target)


def test_a_built_and_decided_pack_starts_the_local_stack(
    built_city: str, start_local_stack: Callable[..., LocalStackProcess]
) -> None:
    # Given the sample's pack, decided; When the local stack starts on it (as `make run CITY=…` does)
    stack = start_local_stack(residents=50, env={"VIGIA_CITY": built_city})
    # Then it is ready, and its banner names the city
    assert stack.outputs["City"] == built_city
    assert f"city Villa Prueba ({built_city})" in stack.log()
    # And a demo resident's robbery is taken and texted to the community-police desk the city decided
    citizen = stack.client("citizen")
    home = citizen.get("/v1/me").json()["home_location"]
    answer = citizen.post(
        "/v1/alerts", json={"type": "robbery", "location": home}, headers={"Idempotency-Key": "built-1"}
    )
    assert answer.status_code == 202, answer.text
    alert_id = answer.json()["alert_id"]

    def police_sms() -> list[dict[str, Any]]:
        return [
            m for m in stack.outbox()
            if m.get("alert_id") == alert_id and m.get("recipient") == DISPATCH["community_police"]
        ]  # fmt: skip

    sent = stack.wait_for(police_sms, timeout=30)
    assert "Cuadrante" in sent[0]["body"]  # the quadrant the builder assigned, by the name the city gave it
