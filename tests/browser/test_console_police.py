"""The police view in Chromium on a phone's screen: a new assignment rings and vibrates, and the crew takes it
en route, on scene and resolved with a note."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.console_page import Console, send_alert, unit_base
from tests.e2e.conftest import LocalStackProcess

CAR = "GC-10"  # no other browser test uses it
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "es-AR"}
# records what the page asks the phone to vibrate (Chromium headless has no vibration motor to ask)
RECORD_VIBRATIONS = (
    "window.__vibrations = []; navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };"
)


@pytest.fixture
def phone(browser: Browser, console_url: str, local_stack: LocalStackProcess) -> Iterator[Console]:
    context = browser.new_context(**PHONE)
    context.add_init_script(RECORD_VIBRATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    screen = Console(page, console_url, local_stack)
    yield screen
    context.close()
    assert not screen.csp_violations, f"the console broke its own CSP: {screen.csp_violations}"
    assert not screen.errors, f"uncaught errors in the page: {screen.errors}"
    assert not screen.outside, f"the console reached outside this machine: {screen.outside}"


def officer_id(stack: LocalStackProcess) -> str:
    return str(stack.client("police").get("/v1/me").json()["user_id"])


@pytest.fixture
def crews(local_stack: LocalStackProcess) -> Iterator[Callable[..., None]]:
    """Puts the demo police officer in exactly the given cars' crews (the demo seed has them on GC-01);
    every crew is put back as it was afterwards, for the other tests on the session's stack."""
    operator = local_stack.client("operator")
    officer = officer_id(local_stack)
    before = {u["unit_id"]: u["crew"] for u in operator.get("/v1/units").json()["items"]}

    def crew(*cars: str) -> None:
        for unit_id, members in before.items():
            wanted = sorted({*members, officer} if unit_id in cars else set(members) - {officer})
            answer = operator.put(f"/v1/units/{unit_id}/crew", json={"user_ids": wanted})
            assert answer.status_code == 200, answer.text

    yield crew
    for unit_id, members in before.items():
        assert operator.put(f"/v1/units/{unit_id}/crew", json={"user_ids": members}).status_code == 200


def test_the_crew_takes_a_new_assignment_en_route_on_scene_and_resolved(
    phone: Console, resident: Any, crews: Callable[..., None]
) -> None:
    stack = phone.stack
    page = phone.page
    crews(CAR)
    # Given the officer, who crews one car, signed in on a phone: the police view opens on "my car now"
    phone.sign_in("police")
    expect(page.locator("body")).to_have_attribute("data-page", "mycar")
    expect(page.locator("[data-nav-link='queue']")).to_have_count(0)
    # on their own car, found by the API's crews: no car to choose
    expect(page.locator("[data-my-car]")).to_have_attribute("data-my-car", CAR)
    expect(page.locator("[data-my-car]")).to_contain_text(CAR)
    expect(page.get_by_label("Mi móvil", exact=True)).to_be_hidden()
    expect(page.locator("[data-no-assignment]")).to_contain_text(CAR)
    phone.arm_audio()
    tones = phone.tones()
    assert phone.serious_violations() == []

    # When a resident sends a robbery by the car's base and the operator assigns the car (over the API)
    alert_id = send_alert(resident, "robbery", unit_base(CAR))
    operator = stack.client("operator")
    for body in ({"action": "acknowledge"}, {"action": "assign", "unit_id": CAR}):
        answer = operator.post(f"/v1/alerts/{alert_id}/actions", json=body)
        assert answer.status_code == 200, answer.text

    # Then the phone shows it without a reload: type, status, place, time against the city's target
    card = page.locator("[data-assignment]")
    expect(card.locator("[data-field='type']")).to_have_text("Robo")
    expect(card.locator("[data-field='status']")).to_have_text("Asignada")
    expect(card.locator("[data-field='elapsed']")).to_contain_text("/ 7:00")
    # and it rang once, vibrated and was announced
    expect(card).to_have_attribute("data-rang", "1")
    assert phone.tones() == tones + 1
    assert page.evaluate("() => window.__vibrations.length") == 1
    expect(page.locator("[data-announcer]")).to_contain_text("Robo")
    # with one big button: the next step only
    expect(page.locator("[data-actions] button")).to_have_count(1)
    button = page.locator("[data-action='en_route']")
    expect(button).to_be_visible()
    box = button.evaluate("el => { const r = el.getBoundingClientRect(); return {w: r.width, h: r.height}; }")
    assert box["h"] >= 48, box  # a thumb's target on a 390 px screen
    assert box["w"] >= 300, box
    assert phone.serious_violations() == []
    phone.screenshot("police-my-car")

    # When the crew reports en route, then on scene (by keyboard too), then resolves with a note
    page.locator("[data-action='en_route']").click()
    expect(card.locator("[data-field='status']")).to_have_text("En camino")
    page.locator("[data-action='on_scene']").focus()
    page.keyboard.press("Enter")
    expect(card.locator("[data-field='status']")).to_have_text("En el lugar")
    page.get_by_label("Nota", exact=False).fill("Sin heridos; se labró acta")
    page.locator("[data-action='resolve']").click()
    # Then the car is free again and the API has the whole story, the note included
    expect(page.locator("[data-no-assignment]")).to_contain_text(CAR)
    expect(page.locator("[data-message]")).to_contain_text("Resuelta")
    alert = operator.get(f"/v1/alerts/{alert_id}").json()
    assert alert["status"] == "resolved"
    steps = [(e["action"], e.get("note")) for e in alert["timeline"]]
    assert ("en_route", None) in steps
    assert ("on_scene", None) in steps
    assert ("resolve", "Sin heridos; se labró acta") in steps
    # and the ring happened only for the new assignment, never for its steps
    assert page.evaluate("() => window.__vibrations.length") == 1


def test_an_officer_who_crews_several_cars_or_none_chooses_among_them(
    phone: Console, crews: Callable[..., None]
) -> None:
    page = phone.page
    # Given the officer in the crews of two cars
    crews(CAR, "GC-04")
    phone.sign_in("police")
    # Then the page asks which one, offering those two only, and shows the one chosen
    picker = page.get_by_label("Mi móvil", exact=True)
    expect(picker).to_be_visible()
    expect(picker.locator("option[value]:not([value=''])")).to_have_count(2)
    picker.select_option("GC-04")
    expect(page.locator("[data-no-assignment]")).to_contain_text("GC-04")
    # And an officer in no crew picks from every car (the API refuses a step on a car not theirs)
    crews()
    page.reload()
    phone.sign_in("police")
    expect(picker).to_be_visible()
    units = len(phone.stack.client("operator").get("/v1/units").json()["items"])
    expect(picker.locator("option[value]:not([value=''])")).to_have_count(units)


def test_a_step_on_another_cars_alert_is_refused_by_the_api(
    phone: Console, resident: Any, crews: Callable[..., None]
) -> None:
    stack = phone.stack
    crews()  # the officer crews no car: the page lets them pick any
    # Given an alert assigned to a car the officer does not crew
    alert_id = send_alert(resident, "robbery", unit_base("GC-04"))
    operator = stack.client("operator")
    for body in ({"action": "acknowledge"}, {"action": "assign", "unit_id": "GC-04"}):
        assert operator.post(f"/v1/alerts/{alert_id}/actions", json=body).status_code == 200
    # When the officer picks that car on the phone and tries the step
    phone.sign_in("police")
    page = phone.page
    page.get_by_label("Mi móvil", exact=True).select_option("GC-04")
    page.locator("[data-action='en_route']").click()
    # Then the API's refusal is shown and the alert did not move
    expect(page.locator("[data-message]")).to_have_class("message error")
    expect(page.locator("[data-assignment] [data-field='status']")).to_have_text("Asignada")
    assert operator.get(f"/v1/alerts/{alert_id}").json()["status"] == "assigned"
    # (the operator frees the car again for the other tests)
    freed = operator.post(f"/v1/alerts/{alert_id}/actions", json={"action": "cancel"})
    assert freed.status_code == 200, freed.text
