"""The residents' app (/app/) in Chromium on a small phone's screen against the local stack (docs/app.md)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.console_page import Console, unit_base, wait_until
from tests.e2e.conftest import ROOT, LocalStackProcess

SHOTS_DIR = ROOT / "docs" / "app"
PHONE = {"width": 360, "height": 740}  # a small phone


class Phone:
    """The app in a phone-sized context whose position is faked; records what the page reached and broke."""

    def __init__(self, context: BrowserContext, page: Page, url: str) -> None:
        self.context = context
        self.page = page
        self.url = url
        self.requests: list[str] = []
        self.alert_posts: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.csp_violations: list[str] = []
        context.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def _request(self, request: Any) -> None:
        self.requests.append(request.url)
        if request.method == "POST" and urlsplit(request.url).path == "/v1/alerts":
            self.alert_posts.append(
                {"key": request.headers.get("idempotency-key"), "body": request.post_data}
            )

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    @property
    def outside(self) -> list[str]:
        return [
            url
            for url in self.requests
            if url.startswith(("http:", "https:", "ws:", "wss:")) and urlsplit(url).hostname != "127.0.0.1"
        ]

    def serious_violations(self) -> list[Any]:
        if not self.page.evaluate("() => Boolean(window.axe)"):
            self.page.add_script_tag(url=self.url + "../console/vendor/axe-core/axe.min.js")
        result = self.page.evaluate("async () => (await axe.run(document)).violations")
        return [
            (v["id"], [n["target"] for n in v["nodes"]])
            for v in result
            if v["impact"] in ("serious", "critical")
        ]

    def screenshot(self, name: str) -> None:
        """docs/app/<name>.png with VIGIA_CONSOLE_SHOTS=1 (`make console-shots`); else none."""
        if os.environ.get("VIGIA_CONSOLE_SHOTS") == "1":
            SHOTS_DIR.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS_DIR / f"{name}.png"))


@pytest.fixture
def app_url(local_stack: LocalStackProcess) -> str:
    return f"{local_stack.api}/app/"


@pytest.fixture
def phone(browser: Browser, app_url: str) -> Iterator[Phone]:
    home = unit_base("GC-01")
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="es-AR",
        geolocation={"latitude": home["lat"], "longitude": home["lon"], "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    screen = Phone(context, page, app_url)
    yield screen
    context.close()
    assert not screen.csp_violations, screen.csp_violations
    assert not screen.errors, screen.errors
    assert not screen.outside, f"the app reached outside this machine: {screen.outside}"


def sms_code(stack: LocalStackProcess, phone: str) -> str:
    def code() -> str | None:
        for sms in reversed(stack.outbox()):
            if sms.get("recipient") == phone and str(sms.get("alert_id", "")).startswith("registration-"):
                found = re.findall(r"\b\d{6}\b", sms["body"])
                if found:
                    return found[0]
        return None

    return str(stack.wait_for(code, timeout=90))


POLICE_PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def staff_screen(
    browser: Browser, console_url: str, local_stack: LocalStackProcess
) -> Iterator[Callable[..., Console]]:
    """Opens the console in a browser context of its own (an operator's desk, an officer's phone); each is
    closed after the test, and none may have broken its CSP, thrown, or reached outside this machine."""
    opened: list[tuple[BrowserContext, Console]] = []

    def open_screen(**options: Any) -> Console:
        context = browser.new_context(locale="es-AR", **options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        screen = Console(page, console_url, local_stack)
        opened.append((context, screen))
        return screen

    yield open_screen
    for context, screen in opened:
        context.close()
        assert not screen.csp_violations, screen.csp_violations
        assert not screen.errors, screen.errors
        assert not screen.outside, screen.outside


def officers_car(stack: LocalStackProcess) -> str:
    """The car the demo police officer crews (the demo seed puts them in one)."""
    officer = stack.client("police").get("/v1/me").json()["user_id"]
    units = stack.client("operator").get("/v1/units").json()["items"]
    (car,) = [u["unit_id"] for u in units if officer in (u.get("crew") or [])]
    return str(car)


def test_a_resident_registers_is_approved_sends_a_robbery_and_follows_it(
    phone: Phone, local_stack: LocalStackProcess, staff_screen: Callable[..., Console]
) -> None:
    page, stack = phone.page, local_stack
    n = uuid.uuid4().int
    email = f"app-{n % 10**10:010d}@example.ar"
    number = f"+549261{5_000_000 + n % 4_000_000:07d}"
    page.goto(phone.url)
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    phone.screenshot("sign-in")
    assert not phone.serious_violations()

    # Given a resident who registers from home in the app
    page.locator("[data-go-register]").click()
    page.get_by_label("Nombre y apellido").fill("Marta Vecina")
    page.get_by_label("DNI").fill(f"{30_000_000 + n % 9_000_000}")
    page.get_by_label("Celular").fill(number)
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill("Segura-2026x")
    page.get_by_label("Domicilio").fill("Perito Moreno 450")
    assert not phone.serious_violations()
    phone.screenshot("register")
    page.locator("[data-register] button[type=submit]").click()
    # and types the code the SMS brought
    page.get_by_label("Código").fill(sms_code(stack, number))
    page.locator("[data-confirm] button[type=submit]").click()
    # Then she is signed in and told her registration waits for approval
    expect(page.locator("[data-pending='pending']")).to_be_visible()
    phone.screenshot("pending")

    # When an operator, on the console's registrations page, where another neighbour also waits, approves her
    neighbour = uuid.uuid4().int
    stack.register(
        {
            "full_name": "Otra Vecina",
            "national_id": f"{20_000_000 + neighbour % 70_000_000}",
            "phone": f"+549261{4_000_000 + neighbour % 5_000_000:07d}",
            "email": f"espera-{neighbour % 10**10:010d}@example.ar",
            "password": "Segura-2026x",
            "address": "Calle de Prueba 200",
            "home_location": {k: unit_base("GC-01")[k] for k in ("lat", "lon")},
        }
    )
    operator = stack.client("operator")
    pending = operator.get("/v1/registrations", params={"status": "pending"}).json()["items"]
    user_id = next(item["user_id"] for item in pending if item["email"] == email)
    desk = staff_screen()
    desk.sign_in("operator")
    desk.go("registrations")
    row = desk.page.locator(f"[data-registrations] tr[data-user-id='{user_id}']")
    expect(row).to_contain_text("Marta Vecina")
    # (by keyboard: the focus stays on the button pressed, inside the list that must redraw)
    row.locator("[data-decision='approve']").focus()
    desk.page.keyboard.press("Enter")
    expect(desk.page.locator("[data-message]")).to_contain_text("Marta Vecina")
    expect(row).to_have_count(0)  # no longer pending
    page.locator("[data-check-again]").click()

    # Then she sees one large button per public alert type of the pack, none for the silent one
    public = [
        t["code"] for t in stack.client("citizen").get("/v1/alert-types").json()["items"] if not t["silent"]
    ]
    buttons = page.locator("[data-alert-type]")
    expect(buttons).to_have_count(len(public))
    assert sorted(b.get_attribute("data-alert-type") or "" for b in buttons.all()) == sorted(public)
    assert not phone.serious_violations()
    phone.screenshot("alerts")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the app is wider than the phone: {width}px"

    # When she taps robbery
    page.locator("[data-alert-type='robbery']").click()
    sent = page.locator("[data-sent]")
    expect(sent).to_be_visible()
    alert_id = sent.get_attribute("data-alert-id")
    assert alert_id
    # Then one alert was sent, with an Idempotency-Key and her position with its accuracy
    assert len(phone.alert_posts) == 1
    assert phone.alert_posts[0]["key"]
    assert '"accuracy_m":12' in (phone.alert_posts[0]["body"] or "")
    expect(page.locator("[data-cancel]")).to_be_visible()
    stored = operator.get(f"/v1/alerts/{alert_id}").json()
    assert stored["type"] == "robbery"
    assert stored["location"]["accuracy_m"] == 12

    # When the operator assigns the police officer's car, and the officer, signed in on the police view on
    # a phone, takes it en route and on scene
    car = officers_car(stack)
    crew = staff_screen(**POLICE_PHONE)
    crew.sign_in("police")
    expect(crew.page.locator("[data-my-car]")).to_have_attribute("data-my-car", car)
    for body in ({"action": "acknowledge"}, {"action": "assign", "unit_id": car}):
        answer = operator.post(f"/v1/alerts/{alert_id}/actions", json=body)
        assert answer.status_code == 200, answer.text
    expect(crew.page.locator("[data-assignment] [data-field='type']")).to_have_text("Robo")
    crew.page.locator("[data-action='en_route']").click()
    expect(sent).to_have_attribute("data-status", "en_route")
    crew.page.locator("[data-action='on_scene']").click()
    # Then her screen follows it to on scene, and the cancel button is gone (the API refuses then)
    expect(sent).to_have_attribute("data-status", "on_scene")
    expect(page.locator("[data-steps] li[aria-current='step']")).to_have_attribute("data-step", "on_scene")
    expect(page.locator("[data-cancel]")).to_have_count(0)
    assert not phone.serious_violations()
    phone.screenshot("on-scene")
    # and when the officer resolves it with a note, her screen says resolved
    crew.page.get_by_label("Nota", exact=False).fill("Sin heridos; se labró acta")
    crew.page.locator("[data-action='resolve']").click()
    expect(sent).to_have_attribute("data-status", "resolved")

    # When she goes back and long-presses the city's name
    page.locator("[data-new-alert]").click()
    expect(buttons).to_have_count(len(public))
    before_html = page.locator("body").inner_html()
    history = page.evaluate("() => history.length")
    team = stack.client("response_team")
    silent_before = {item["alert_id"] for item in team.get("/v1/silent-alerts").json()["items"]}
    city = page.locator("[data-city-name]")
    city.hover()
    page.mouse.down()
    page.wait_for_timeout(2_000)  # the gesture's hold (config.json silent_alarm.hold_ms: 1500)
    page.mouse.up()
    # Then the response team has a silent alert from her
    posts = wait_until(lambda: len(phone.alert_posts) == 2 and phone.alert_posts)
    assert '"type":"domestic_violence"' in (posts[1]["body"] or "")
    assert posts[1]["key"] != posts[0]["key"]
    new = wait_until(
        lambda: {i["alert_id"] for i in team.get("/v1/silent-alerts").json()["items"]} - silent_before
    )
    assert len(new) == 1
    # and her screen and history show nothing happened
    page.wait_for_timeout(1_000)
    assert page.locator("body").inner_html() == before_html
    assert page.evaluate("() => history.length") == history


def test_the_app_is_installable_and_its_worker_keeps_only_the_shell(phone: Phone) -> None:
    page = phone.page
    page.goto(phone.url)
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    # in English on request (the city's language first)
    expect(page.locator("[data-sign-in] h2")).to_have_text("Entrar")
    page.get_by_label("Idioma").select_option("en")
    expect(page.locator("[data-sign-in] h2")).to_have_text("Sign in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Password")).to_be_visible()
    assert not phone.serious_violations()
    manifest = page.evaluate("async () => (await fetch('manifest.webmanifest')).json()")
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "./"
    cached = page.evaluate(
        """async () => {
            await navigator.serviceWorker.ready;
            const names = await caches.keys();
            const urls = [];
            for (const name of names) {
                for (const r of await (await caches.open(name)).keys()) urls.push(r.url);
            }
            return urls;
        }"""
    )
    assert any(url.endswith("/app/app.js") for url in cached)
    assert not [url for url in cached if "/v1/" in url or "cognito" in url.lower()], cached


def approved_resident(stack: LocalStackProcess) -> str:
    """A registered and approved resident (over the API); her e-mail, password Segura-2026x."""
    n = uuid.uuid4().int
    email = f"app-{n % 10**10:010d}@example.ar"
    user_id = stack.register(
        {
            "full_name": "Rosa Vecina",
            "national_id": f"{40_000_000 + n % 9_000_000}",
            "phone": f"+549261{4_000_000 + n % 5_000_000:07d}",
            "email": email,
            "password": "Segura-2026x",
            "address": "Sarmiento 80",
            "home_location": {k: unit_base("GC-01")[k] for k in ("lat", "lon")},
        }
    )
    assert stack.client("operator").post(f"/v1/registrations/{user_id}/approve").status_code == 200
    return email


def test_a_lost_answer_is_retried_with_the_same_key_and_the_alert_can_be_cancelled(
    phone: Phone, local_stack: LocalStackProcess
) -> None:
    page = phone.page
    email = approved_resident(local_stack)
    stored: list[str] = []

    def lose_first_answer(route: Any) -> None:
        # the API stores the alert but its answer never reaches the phone (a poor connection)
        if not stored:
            answer = route.fetch()
            stored.append(answer.json()["alert_id"])
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/v1/alerts", lose_first_answer)
    page.goto(phone.url)
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill("Segura-2026x")
    page.locator("[data-sign-in] button[type=submit]").click()
    # When she taps fire and the first answer is lost
    page.locator("[data-alert-type='fire']").click()
    sent = page.locator("[data-sent]")
    expect(sent).to_be_visible()
    # Then the app tried again with the same key and body and shows the one alert the API stored
    assert len(phone.alert_posts) == 2
    assert phone.alert_posts[0] == phone.alert_posts[1]
    expect(sent).to_have_attribute("data-alert-id", stored[0])
    # When she cancels it within the city's window
    page.locator("[data-cancel]").click()
    expect(sent).to_have_attribute("data-status", "cancelled")
    answer = local_stack.client("operator").get(f"/v1/alerts/{stored[0]}")
    assert answer.json()["status"] == "cancelled"
