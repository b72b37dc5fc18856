"""The police view in Chromium on a phone's screen: a new assignment rings and vibrates, and the crew takes it
en route, on scene and resolved with a note."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from infra.tools.console_site import load_pack
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


def schedule_of(stack: LocalStackProcess, day: date, unit_id: str) -> list[dict[str, Any]]:
    """The unit's stops on `day`, the schedule generated first (as an operator) when the day has none."""
    police = stack.client("police")
    if police.get(f"/v1/patrol-schedules/{day.isoformat()}").status_code == 404:
        made = stack.client("operator").post(
            "/v1/patrol-schedules",
            json={"date": day.isoformat()},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert made.status_code in (200, 201), made.text
    answer = police.get(f"/v1/patrol-schedules/{day.isoformat()}/units/{unit_id}")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["units"][0]["stops"])


def a_past_fixed_point(stack: LocalStackProcess, unit_id: str) -> tuple[str, dict[str, Any]]:
    """A fixed point of the car already over (today's, or yesterday's early in the morning), so the phone's
    clock can be put at its start and just after its end without claiming a time still to come."""
    now = datetime.now(ZoneInfo(load_pack("godoy-cruz").time_zone))
    for day in (now.date(), now.date() - timedelta(days=1)):
        over = [
            s
            for s in schedule_of(stack, day, unit_id)
            if datetime.fromisoformat(s["end"]) <= now - timedelta(minutes=3)
        ]
        if over:
            return day.isoformat(), over[-1]
    pytest.fail(f"{unit_id} has no fixed point over by {now}, today or yesterday")


def stops_done(stack: LocalStackProcess, day: str, unit_id: str) -> int:
    answer = stack.client("police").get("/v1/patrols/dosage", params={"date": day})
    assert answer.status_code == 200, answer.text
    return sum(int(u["stops_done"]) for u in answer.json()["units"] if u["unit_id"] == unit_id)


def test_the_crew_checks_in_at_the_fixed_point_and_is_refused_400_m_away(
    browser: Browser, console_url: str, local_stack: LocalStackProcess, crews: Callable[..., None]
) -> None:
    crews(CAR)
    # Given a fixed point of the officer's car, and the officer's phone standing on it (position faked)
    day, stop = a_past_fixed_point(local_stack, CAR)
    done = stops_done(local_stack, day, CAR)
    context = browser.new_context(
        **PHONE, permissions=["geolocation"], geolocation={"latitude": stop["lat"], "longitude": stop["lon"]}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    screen = Console(page, console_url, local_stack)
    try:
        screen.sign_in("police")
        # with its clock two minutes into the fixed point (the check-in says when; the API checks the window)
        page.clock.set_fixed_time(datetime.fromisoformat(stop["start"]) + timedelta(minutes=2))
        screen.go("shift")
        expect(page.locator("body")).to_have_attribute("data-page", "shift")
        expect(page.locator("[data-my-car]")).to_have_attribute("data-my-car", CAR)
        # Then the current fixed point is highlighted with its countdown, and the next ones follow
        left = (
            datetime.fromisoformat(stop["end"]) - datetime.fromisoformat(stop["start"]) - timedelta(minutes=2)
        )
        expect(page.locator("[data-current-stop] [data-place]")).to_have_attribute(
            "data-place", stop["place_id"]
        )
        countdown = f"{int(left.total_seconds()) // 60}:{int(left.total_seconds()) % 60:02d}"
        expect(page.locator("[data-current-stop] [data-countdown]")).to_have_text(countdown)
        current = page.locator(f"[data-stops] li[data-stop='{stop['start']}']")
        expect(current).to_have_attribute("aria-current", "true")
        expect(page.locator("[data-stops] li[aria-current]")).to_have_count(1)
        assert screen.serious_violations() == []
        screen.screenshot("police-my-shift")

        # When the officer checks in there
        page.locator("[data-check-in]").click()
        # Then it counts: the page says so and the day's dosage has one more fixed point done
        message = page.locator("[data-message]")
        expect(message).to_have_attribute("data-outcome", "matched")
        expect(message).to_contain_text(stop["place_id"])
        assert stops_done(local_stack, day, CAR) == done + 1

        # When the phone is 400 m north of the fixed point and checks in again
        context.set_geolocation({"latitude": stop["lat"] + 400 / 111_320, "longitude": stop["lon"]})
        page.locator("[data-check-in]").click()
        # Then the API refuses it and the page says why: the distance against the 150 m rule
        expect(message).to_have_attribute("data-outcome", "too_far")
        expect(message).to_contain_text("150 m")
        expect(message).to_contain_text(re.compile(r"\b(39\d|40\d) m\b"))
        expect(message).to_have_class(re.compile("warning"))

        # When it checks in on the spot but a minute after the fixed point ended
        context.set_geolocation({"latitude": stop["lat"], "longitude": stop["lon"]})
        page.clock.set_fixed_time(datetime.fromisoformat(stop["end"]) + timedelta(minutes=1))
        expect(page.locator("[data-current-stop] [data-between]")).to_be_visible()
        page.locator("[data-check-in]").click()
        # Then the page says it is outside the fixed point's window
        expect(message).to_have_attribute("data-outcome", "no_stop_now")
        expect(message).to_contain_text("desde el inicio hasta el fin del punto fijo")
        assert stops_done(local_stack, day, CAR) == done + 1

        # And the day downloads as iCalendar, fetched with the officer's token
        with page.expect_download() as download:
            page.locator("[data-ics]").click()
        assert download.value.suggested_filename == f"patrol-{day}-{CAR}.ics"
        path = download.value.path()
        assert path is not None
        text = Path(path).read_text()
        assert text.startswith("BEGIN:VCALENDAR")
        assert stop["place_id"] in text
    finally:
        context.close()
    assert not screen.csp_violations, screen.csp_violations
    assert not screen.errors, screen.errors
    assert not screen.outside, screen.outside


SURVEY_QUEUE = "vigia.surveys.queue"


def surveys_counted(stack: LocalStackProcess, quadrant: str) -> int:
    answer = stack.client("police").get("/v1/surveys/summary", params={"quadrant": quadrant})
    assert answer.status_code == 200, answer.text
    return sum(int(item["responses"]) for item in answer.json()["items"])


def queued(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("key => JSON.parse(localStorage.getItem(key) || '[]')", SURVEY_QUEUE))


def test_a_survey_taken_offline_is_queued_and_sent_once_when_back_online(
    phone: Console, crews: Callable[..., None]
) -> None:
    stack = phone.stack
    page = phone.page
    crews(CAR)
    quadrant = next(
        u for u in stack.client("police").get("/v1/units").json()["items"] if u["unit_id"] == CAR
    )["quadrant_id"]
    before = surveys_counted(stack, quadrant)
    # Given the officer on the survey, which asks the city pack's questions in the car's quadrant
    phone.sign_in("police")
    phone.go("survey")
    expect(page.locator("body")).to_have_attribute("data-page", "survey")
    expect(page.get_by_label("Cuadrante")).to_have_value(quadrant)
    expect(page.locator("[data-question]")).to_have_count(4)
    expect(page.locator("[data-question='safe_at_night'] legend")).to_contain_text(
        "seguro/a en su barrio de noche"
    )
    assert phone.serious_violations() == []  # (axe is loaded from the stack while there is a network)
    # and the phone loses its network
    page.context.set_offline(True)
    # When a neighbour's answers are submitted
    page.locator("[data-question='safe_at_night']").get_by_label("4", exact=True).check()
    page.locator("[data-question='trust_police']").get_by_label("2", exact=True).check()
    page.locator("[data-submit-survey]").click()
    # Then the page says it is queued, keeps it on the phone with its key and no personal data, and the form
    # is cleared for the next neighbour
    status = page.locator("[data-survey-queue]")
    expect(status).to_have_attribute("data-queued", "1")
    expect(status).to_contain_text("(1)")
    [item] = queued(page)
    assert set(item) == {"key", "body"}
    assert set(item["body"]) == {"quadrant_id", "answers", "unit_id", "at"}
    assert item["body"]["answers"] == {"safe_at_night": 4, "trust_police": 2}
    expect(page.locator("[data-question] input:checked")).to_have_count(0)
    assert surveys_counted(stack, quadrant) == before
    assert phone.serious_violations() == []
    phone.screenshot("police-survey")

    # When the phone is back online
    page.context.set_offline(False)
    # Then it is sent by itself, leaves the queue, and the API counts it once
    expect(status).to_have_attribute("data-queued", "0")
    expect(page.locator("[data-message]")).to_contain_text("enviada")
    assert queued(page) == []
    assert surveys_counted(stack, quadrant) == before + 1

    # When the next survey reaches the API but its answer is lost on the way back
    lost: list[str] = []

    def lose_the_answer(route: Any) -> None:
        route.fetch()  # the API has it
        lost.append(route.request.headers["idempotency-key"])
        route.abort()

    page.route("**/v1/surveys", lose_the_answer)
    page.locator("[data-question='street_lighting']").get_by_label("5", exact=True).check()
    page.locator("[data-submit-survey]").click()
    # Then it stays queued, said as waiting for the connection
    expect(page.locator("[data-message]")).to_contain_text("Sin conexión")
    expect(status).to_have_attribute("data-queued", "1")
    assert {item["key"] for item in queued(page)} == set(lost)
    assert surveys_counted(stack, quadrant) == before + 2
    # Then the retry (the network is back) sends the same key, the API replays it, and it is not counted again
    page.unroute("**/v1/surveys")
    retries: list[str] = []
    page.on(
        "request",
        lambda r: (
            retries.append(r.headers.get("idempotency-key", ""))
            if r.method == "POST" and r.url.endswith("/v1/surveys")
            else None
        ),
    )
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(status).to_have_attribute("data-queued", "0")
    assert retries, "the queued survey was not retried"
    assert set(retries) == set(lost), (retries, lost)
    assert surveys_counted(stack, quadrant) == before + 2

    # And one the API refuses (an answer off the question's scale) is dropped with the API's reason
    page.evaluate(
        "([key, item]) => localStorage.setItem(key, JSON.stringify([item]))",
        [
            SURVEY_QUEUE,
            {"key": str(uuid.uuid4()), "body": {"quadrant_id": quadrant, "answers": {"safe_at_night": 9}}},
        ],
    )
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-message]")).to_contain_text("safe_at_night")
    expect(status).to_have_attribute("data-queued", "0")
    assert queued(page) == []
    assert surveys_counted(stack, quadrant) == before + 2
