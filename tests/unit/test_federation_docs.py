"""docs/roaming.md's signed example is real: it verifies with the page's public key and reads back."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from vigia.federation.agreement import Agreement, Partner
from vigia.federation.messages import read_message
from vigia.federation.verifier import InMemoryReplayGuard, verify

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs/roaming.md").read_text(encoding="utf-8")


def example(name: str) -> str:
    found = re.search(rf"<!-- example: {re.escape(name)} -->\n```\w*\n(.*?)\n```", DOC, re.S)
    assert found, f"docs/roaming.md has no example {name!r}"
    return found.group(1)


def test_the_documented_report_verifies_with_the_documented_key_and_carries_only_what_it_says() -> None:
    body = example("report-body").encode("utf-8")
    header = example("report-signature").removeprefix("Vigia-Signature: ")
    jwk = json.loads(example("jwk-godoy-cruz"))
    sent = read_message(body).sent
    agreement = Agreement(
        city_id="penalolen",
        partners=(
            Partner.of(
                partner_id="godoy-cruz",
                name="Godoy Cruz",
                endpoint="http://127.0.0.1:3000/v1/federation/messages",
                keys=(jwk,),
                jurisdiction=((((-71.0, -34.0), (-70.0, -34.0), (-70.0, -33.0), (-71.0, -34.0)),),),
                alert_types=("robbery",),
            ),
        ),
    )
    verified = verify(body, header, agreement, sent + timedelta(seconds=1), InMemoryReplayGuard())
    assert verified.message.kind == "Report"
    alert = verified.message.alert
    assert alert is not None
    assert (alert.alert_type, alert.caller_name, alert.home_city) == ("robbery", "Ana", "godoy-cruz")
    # the page says the Penalolen key is the other one: it must not verify Godoy Cruz's message
    assert json.loads(example("jwk-penalolen"))["x"] != jwk["x"]
