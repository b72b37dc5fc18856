"""A visitor alert on the monitoring centre's console: a partner city's resident raised it here, and the
operator sees so in the queue (a badge naming the city, in words) and, on the incident, whom to call back.

The host stack runs with an agreement whose partner, Peñalolén, has a key made for this test; the visitor
alert is what a signed Report posted to POST /v1/federation/messages makes, as the partner's stack sends it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Page, expect

from tests.browser.console_page import Console, send_alert, unit_base, wait_until
from tests.e2e.conftest import ROOT, LocalStackProcess, launch_local_stack
from vigia.federation import messages
from vigia.federation.jws import KeySigner, public_jwk, sign_detached

PARTNER = "penalolen"
KID = "penalolen-console-test-1"
CALLBACK = "+56912345678"


@pytest.fixture(scope="module")
def partner_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def host(
    tmp_path_factory: pytest.TempPathFactory, partner_key: ec.EllipticCurvePrivateKey
) -> Iterator[LocalStackProcess]:
    """Godoy Cruz's local stack, its agreement listing Peñalolén with this test's public key."""
    where = tmp_path_factory.mktemp("visitor-host")
    agreement = json.loads((ROOT / "infra/cities/godoy-cruz/federation.json").read_text(encoding="utf-8"))
    (penalolen,) = agreement["partners"]
    penalolen["keys"] = {"keys": [public_jwk(partner_key.public_key(), KID)]}
    # the host's Updates back to Peñalolén are not under test here: nobody listens on port 9
    penalolen["endpoint"] = "http://127.0.0.1:9/v1/federation/messages"
    (where / "federation.json").write_text(json.dumps(agreement), encoding="utf-8")
    stack = launch_local_stack(
        where / "local", residents=20, env={"VIGIA_FEDERATION_AGREEMENT": str(where / "federation.json")}
    )
    yield stack
    assert stack.stop() == 0, stack.log()


@pytest.fixture
def console(page: Page, host: LocalStackProcess) -> Iterator[Console]:
    page.set_default_timeout(15_000)
    screen = Console(page, str(host.outputs.get("ConsoleUrl") or f"{host.api}/console/"), host)
    yield screen
    assert not screen.csp_violations, f"the console broke its own CSP: {screen.csp_violations}"
    assert not screen.errors, f"uncaught errors in the page: {screen.errors}"
    assert not screen.outside, f"the console reached outside this machine: {screen.outside}"


def post_report(stack: LocalStackProcess, key: ec.EllipticCurvePrivateKey, remote_id: str) -> None:
    """Peñalolén's stack forwards its resident Ana's robbery, raised at car GC-02's base in Godoy Cruz."""
    place = unit_base("GC-02")
    sent = datetime.now(UTC).replace(microsecond=0)
    envelope = messages.Envelope(
        f"{PARTNER}-{remote_id}-report", PARTNER, "godoy-cruz", sent, sent + timedelta(minutes=10)
    )
    body = messages.roaming_alert(
        envelope,
        alert_id=remote_id,
        alert_type="robbery",
        type_label="Robo",
        lat=place["lat"],
        lon=place["lon"],
        accuracy_m=12.0,
        raised_at=sent - timedelta(seconds=2),
        callback_phone=CALLBACK,
        caller_name="Ana",
    )
    answer = requests.post(
        f"{stack.api}/v1/federation/messages",
        data=body,
        headers={
            "content-type": messages.CONTENT_TYPE,
            "Vigia-Signature": sign_detached(body, KeySigner(key, KID)),
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text  # the host's signed Ack


def queued_visitor(stack: LocalStackProcess, remote_id: str) -> str:
    """The host's alert id of the visitor alert (the operator's queue has it; the Ack names the Report)."""
    operator = stack.client("operator")

    def find() -> str | None:
        items = operator.get("/v1/alerts?limit=200").json()["items"]
        for item in (i for i in items if i.get("visitor", {}).get("partner") == PARTNER):
            if operator.get(f"/v1/alerts/{item['alert_id']}").json()["visitor"]["remote_id"] == remote_id:
                return str(item["alert_id"])
        return None

    return str(wait_until(find))


def test_the_queue_marks_a_visitor_alert_with_its_city_and_the_incident_says_whom_to_call_back(
    console: Console, partner_key: ec.EllipticCurvePrivateKey
) -> None:
    stack, page = console.stack, console.page
    # Given an operator on the live queue
    console.sign_in("operator")
    # When a resident of ours sends a robbery alert, and Peñalolén forwards its resident Ana's robbery here
    resident_id = send_alert(stack.new_citizen(), "robbery", unit_base("GC-01"))
    post_report(stack, partner_key, "PNL-1")
    visitor_id = queued_visitor(stack, "PNL-1")
    # Then both are in the queue; the visitor's row says, in words, that she is a visitor from Peñalolén
    visitor_row, resident_row = console.row(visitor_id), console.row(resident_id)
    expect(visitor_row).to_be_visible()
    expect(resident_row).to_be_visible()
    badge = visitor_row.locator(f"[data-visitor='{PARTNER}']")
    expect(badge).to_have_text("Visitante · Peñalolén")
    expect(badge).to_be_visible()
    expect(visitor_row).to_contain_text("Robo")
    # and the resident's row carries no such mark
    expect(resident_row.locator("[data-visitor]")).to_have_count(0)
    assert console.serious_violations() == []
    console.screenshot("visitor-queue")

    # When the operator opens the visitor's incident
    console.go(f"alerts/{visitor_id}")
    expect(page.locator("body")).to_have_attribute("data-page", "incident")
    # Then it names her city, her first name, and the number to call her back, one tap away
    expect(page.locator("[data-field='visitor']")).to_have_text("Visitante · Peñalolén")
    expect(page.locator("[data-field='caller']")).to_have_text("Ana")
    call = page.locator("[data-field='callback'] a[data-call-back]")
    expect(call).to_have_attribute("href", f"tel:{CALLBACK}")
    expect(call).to_have_text(CALLBACK)
    expect(call).to_have_accessible_name(f"Llamar a Ana al {CALLBACK}")
    expect(page.locator("[data-field='callback']")).to_contain_text("Vive en Peñalolén")
    expect(page.locator("[data-field='sender']")).to_have_count(0)  # not visitor#penalolen#PNL-1
    assert console.serious_violations() == []
    console.screenshot("visitor")

    # and in Chile's words and in English, the same
    page.get_by_label("Idioma").select_option("es-CL")
    expect(page.locator("[data-field='callback']")).to_contain_text("llama a este número")
    page.get_by_label("Idioma").select_option("en")
    expect(page.locator("[data-field='visitor']")).to_have_text("Visitor · Peñalolén")
    expect(page.locator("[data-field='callback'] a[data-call-back]")).to_have_accessible_name(
        f"Call Ana on {CALLBACK}"
    )

    # When the operator opens the resident's incident instead
    console.go(f"alerts/{resident_id}")
    expect(page.locator("[data-field='sender']")).to_be_visible()
    # Then nothing there says visitor or offers a call-back
    expect(page.locator("[data-field='visitor']")).to_have_count(0)
    expect(page.locator("[data-call-back]")).to_have_count(0)
    expect(page.locator("[data-field='caller']")).to_have_count(0)
