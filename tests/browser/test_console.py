"""The monitoring centre's console in Chromium against the local stack: the journeys an operator lives."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.console_page import Console, send_alert, unit_base, wait_until


def test_operator_signs_in_to_a_live_queue(console: Console) -> None:
    # Given the demo operator
    # When they sign in with e-mail and password
    console.sign_in("operator")
    # Then the live queue opens, fresh, with every operator section and no admin-only one
    page = console.page
    expect(page.locator("body")).to_have_attribute("data-page", "queue")
    expect(page.locator(".live")).to_have_attribute("data-live-state", "live")
    expect(page.locator(".live")).to_have_text("En vivo")
    expect(page.locator("[data-nav]")).to_contain_text("Cola en vivo")
    for section in ("queue", "units", "dlq", "registrations"):
        expect(page.locator(f"[data-nav-link='{section}']")).to_be_visible()
    expect(page.locator("[data-nav-link='audit']")).to_have_count(0)
    expect(page.locator("[data-map-panel]")).to_have_attribute("data-map", "ready")
    # and the tokens live in the page's memory only: nothing stored, and a reload signs out
    stored = page.evaluate(
        "() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie"
    )
    assert "eyJ" not in stored
    assert page.context.cookies() == []
    page.reload()
    expect(page.locator("[data-sign-in]")).to_be_visible()


def test_an_alert_arrives_is_handled_by_the_operator_and_closed_by_police(
    console: Console, resident: Any
) -> None:
    stack = console.stack
    page = console.page
    # Given an operator on the queue with alert sounds on
    console.sign_in("operator")
    console.arm_audio()
    tones = console.tones()
    # When a resident sends a robbery alert next to car GC-01's base (through the API, as the app does)
    alert_id = send_alert(resident, "robbery", unit_base("GC-01"))
    # Then it appears in the queue without a reload, rings once and is announced
    row = console.row(alert_id)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Robo")
    expect(row.locator(".elapsed")).to_contain_text("/ 7:00")
    assert console.tones() == tones + 1
    expect(page.locator("[data-announcer]")).to_contain_text("Robo")

    # When the operator moves to it with J, opens it with Enter and acknowledges with A
    focused = (
        "() => document.activeElement.closest('tr') && document.activeElement.closest('tr').dataset.alertId"
    )
    for _ in range(200):
        page.keyboard.press("j")
        if page.evaluate(focused) == alert_id:
            break
    assert page.evaluate(focused) == alert_id
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-page", "incident")
    expect(page.locator("[data-action='acknowledge']")).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator("[data-field='status']")).to_have_text("Tomada")
    expect(page.locator("[data-timeline] [data-step='acknowledge']")).to_be_visible()

    # And assigns the nearest available car: GC-01 is suggested first, picked with key 1
    page.keyboard.press("s")
    first = page.locator("[data-assign-unit]").first
    expect(first).to_have_attribute("data-assign-unit", "GC-01")
    page.keyboard.press("1")
    expect(page.locator("[data-field='unit']")).to_have_text("GC-01")
    expect(page.locator("[data-field='status']")).to_have_text("Asignada")

    # When the police car's crew reports en route, on scene and resolved over the API
    police = stack.client("police")
    for step in ("en_route", "on_scene"):
        answer = police.post(f"/v1/alerts/{alert_id}/actions", json={"action": step})
        assert answer.status_code == 200, answer.text
    # Then the timeline follows on the open incident, without a reload
    expect(page.locator("[data-timeline] [data-step='on_scene']")).to_be_visible()
    expect(page.locator("[data-field='status']")).to_have_text("En el lugar")
    # and the unit board shows the car on scene with its alert
    console.go("units")
    car = page.locator("[data-units] tr[data-unit-id='GC-01']")
    expect(car).to_have_attribute("data-status", "on_scene")
    expect(car).to_contain_text(alert_id[-6:])

    answer = police.post(f"/v1/alerts/{alert_id}/actions", json={"action": "resolve"})
    assert answer.status_code == 200, answer.text
    expect(car).to_have_attribute("data-status", "available")
    # and the incident shows it resolved, its response time, and no action left
    console.go(f"alerts/{alert_id}")
    expect(page.locator("[data-field='status']")).to_have_text("Resuelta")
    expect(page.locator("[data-timeline] [data-step='resolve']")).to_be_visible()
    expect(page.locator("[data-field='response_time']")).to_have_text(re.compile(r"\d+ s"))
    expect(page.locator("[data-no-actions]")).to_be_visible()
    # and it left the queue
    console.go("queue")
    expect(page.locator("[data-queue-total]")).to_be_visible()
    expect(console.row(alert_id)).to_have_count(0)


def test_a_silent_alert_produces_nothing_on_the_operators_screen(console: Console, resident: Any) -> None:
    page = console.page
    # Given an operator on the queue with alert sounds on
    console.sign_in("operator")
    console.arm_audio()
    tones = console.tones()
    # When a resident sends a silent (domestic violence) alert, and then a public one
    silent_id = send_alert(resident, "domestic_violence", unit_base("GC-05"))
    # (stored and routed: the response team has it)
    team = console.stack.client("response_team")
    wait_until(lambda: any(i["alert_id"] == silent_id for i in team.get("/v1/silent-alerts").json()["items"]))
    public_id = send_alert(resident, "suspicious_activity", unit_base("GC-05"))
    # Then the public one shows (so the console fetched after the silent one existed) ...
    expect(console.row(public_id)).to_be_visible()
    # ... and the silent one has no row, no sound, no announcement and no mark on the map
    expect(page.locator(f"[data-alert-id='{silent_id}']")).to_have_count(0)
    assert console.tones() == tones + 1
    expect(page.locator("[data-announcer]")).not_to_contain_text(silent_id)
    assert silent_id not in page.content()
    # and opening it by address shows the operator nothing of it either
    console.go(f"alerts/{silent_id}")
    expect(page.locator("[data-not-found]")).to_be_visible()
    expect(page.locator("[data-actions]")).to_have_count(0)


def test_a_step_someone_else_took_first_shows_what_is_allowed_now(console: Console) -> None:
    page = console.page
    stack = console.stack
    alert_id = send_alert(stack.client("citizen"), "robbery", unit_base("GC-07"))
    console.sign_in("operator")
    console.go(f"alerts/{alert_id}")
    expect(page.locator("[data-action='acknowledge']")).to_be_visible()
    # Given the console cannot hear of changes for a while (the API is unreachable for its reads, the
    # live check of GET /v1/events included: without it, only someone else's event would show the drop) ...
    unreachable = re.compile(r".*/v1/(alerts|units|events).*")
    page.route(
        unreachable,
        lambda route: route.abort() if route.request.method == "GET" else route.fallback(),
    )
    expect(page.locator(".live")).to_have_attribute("data-live-state", "reconnecting")
    # ... and another operator acknowledges the alert meanwhile
    assert (
        stack.client("operator")
        .post(f"/v1/alerts/{alert_id}/actions", json={"action": "acknowledge"})
        .status_code
        == 200
    )
    # When this operator acknowledges it too
    page.locator("[data-action='acknowledge']").click()
    # Then the console says where the alert is and offers what is possible from there, not an error
    message = page.locator("[data-message]").first
    expect(message).to_have_attribute("data-conflict", "acknowledged")
    expect(message).to_contain_text("Tomada")
    expect(page.locator("[data-actions] [data-action='assign']")).to_be_visible()
    expect(page.locator("[data-actions] [data-action='acknowledge']")).to_have_count(0)
    # and once the API answers again the screen is live
    page.unroute(unreachable)
    expect(page.locator(".live")).to_have_attribute("data-live-state", "live")


def test_a_resident_cannot_open_the_console(console: Console) -> None:
    page = console.page
    # When a resident signs in
    console.sign_in("citizen", expect_ready=False)
    # Then she is told the console is for the monitoring centre, and sees no section, no queue, no indicator
    refused = page.locator("[data-refused]")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("cuenta de un vecino")
    expect(page.locator("body")).to_have_attribute("data-state", "refused")
    expect(page.locator("[data-nav]")).to_be_hidden()
    expect(page.locator("[data-queue]")).to_have_count(0)
    expect(page.locator(".live")).to_be_hidden()
    # and the address of a page does not open it
    console.go("queue")
    expect(page.locator("[data-queue]")).to_have_count(0)
    # and signing out brings back the sign-in form
    refused.get_by_role("button").click()
    expect(page.locator("[data-sign-in]")).to_be_visible()


def test_wrong_password_is_said_plainly(console: Console) -> None:
    page = console.page
    console.open()
    page.get_by_label("Correo electrónico").fill("operator@demo.vigia.local")
    page.get_by_label("Contraseña").fill("not-the-password")
    page.locator("[data-sign-in] button[type=submit]").click()
    expect(page.locator("[data-sign-in-error]")).to_have_text("El correo o la contraseña no son correctos.")
    expect(page.locator("[data-nav]")).to_be_hidden()


def test_sign_in_with_the_mfa_step_then_sign_out(console: Console) -> None:
    page = console.page
    stack = console.stack
    user = stack.demo_user("operator")
    seen: list[dict[str, Any]] = []

    # Given a user pool that asks staff for their authenticator code (the deployed stack's; the local one
    # runs with StaffMfa=Off, so Cognito's challenge is played here, and the tokens are the real ones)
    def cognito(route: Any) -> None:
        target = route.request.headers.get("x-amz-target", "")
        body = route.request.post_data_json
        seen.append({"target": target, "body": body})
        if target.endswith("InitiateAuth") and body["AuthFlow"] == "USER_PASSWORD_AUTH":
            route.fulfill(json={"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "session-1"}, status=200)
        elif target.endswith("RespondToAuthChallenge"):
            if body["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"] != "123456":
                route.fulfill(json={"__type": "CodeMismatchException", "message": "Invalid code"}, status=400)
            else:
                route.fulfill(json={"AuthenticationResult": stack.tokens(user["username"], user["password"])})
        else:
            route.fallback()

    page.route(stack.outputs["AwsEndpointUrl"] + "/**", cognito)
    page.route(stack.outputs["AwsEndpointUrl"] + "/", cognito)
    console.open()
    page.get_by_label("Correo electrónico").fill(user["username"])
    page.get_by_label("Contraseña").fill(user["password"])
    page.locator("[data-sign-in] button[type=submit]").click()
    # When asked for the code, a wrong one is refused and the right one signs in
    code = page.get_by_label("Código", exact=True)
    expect(code).to_be_focused()
    code.fill("000000")
    page.keyboard.press("Enter")
    expect(page.locator("[data-mfa] [role=alert]")).to_contain_text("no es correcto")
    code.fill("123456")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    answer = next(s["body"] for s in seen if s["target"].endswith("RespondToAuthChallenge"))
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert answer["Session"] == "session-1"
    assert answer["ChallengeResponses"]["USERNAME"] == user["username"]
    # When they sign out, the console forgets them and asks Cognito to end the session everywhere
    page.locator("[data-sign-out]").click()
    expect(page.locator("[data-sign-in]")).to_be_visible()
    expect(page.locator("[data-nav]")).to_be_hidden()
    wait_until(lambda: any(s["target"].endswith("GlobalSignOut") for s in seen))


def test_the_session_refreshes_before_the_token_expires(console: Console) -> None:
    # The refresh, the MFA exchange and the token parsing of console/js/auth.js, run in the page itself
    console.open()
    outcome = console.page.evaluate(
        """async () => {
          const { Session } = await import('./js/auth.js');
          const calls = [];
          const claims = (exp) => btoa(JSON.stringify({ exp, 'cognito:groups': ['operator'] }));
          const jwt = (exp) => ['e30', claims(exp), 'sig'].join('.');
          const now = () => Date.now();
          const fetchFn = async (url, init) => {
            const body = JSON.parse(init.body);
            calls.push({ target: init.headers['X-Amz-Target'], body });
            // each token expires 2 minutes + 1 s from now: the refresh is due right away (5 s floor)
            const result = { IdToken: jwt(Math.floor(now() / 1000) + 121), AccessToken: 'a' };
            if (body.AuthFlow === 'USER_PASSWORD_AUTH') result.RefreshToken = 'r-1';
            return new Response(JSON.stringify({ AuthenticationResult: result }), { status: 200 });
          };
          const config = { client_id: 'c', region: 'us-east-1', cognito_endpoint: 'http://x' };
          const session = new Session(config, { fetchFn });
          await session.signIn('Op@Example.AR', 'pw');
          await new Promise((resolve) => setTimeout(resolve, 5600));
          const groups = session.groups;
          session.forget();
          return { calls, groups };
        }"""
    )
    targets = [c["target"].split(".")[-1] for c in outcome["calls"]]
    assert targets[:2] == ["InitiateAuth", "InitiateAuth"]
    assert outcome["calls"][0]["body"]["AuthParameters"]["USERNAME"] == "op@example.ar"
    assert outcome["calls"][1]["body"] == {
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": "c",
        "AuthParameters": {"REFRESH_TOKEN": "r-1"},
    }
    assert outcome["groups"] == ["operator"]


def test_the_live_indicator_says_live_reconnecting_and_stale_since(console: Console) -> None:
    console.open()
    states = console.page.evaluate(
        """async () => {
          const { createLive } = await import('./js/live.js');
          let clock = Date.parse('2026-11-30T14:05:00Z');
          const transport = { start() {}, stop() {} };
          const live = createLive({ transport, staleAfterMs: 15000, now: () => clock });
          const seen = [];
          live.report(true); seen.push(live.state());
          clock += 3000; live.report(false); seen.push(live.state());
          clock += 20000; seen.push(live.state());
          live.report(true); seen.push(live.state());
          return seen.map((s) => [s.state, s.since && new Date(s.since).toISOString()]);
        }"""
    )
    assert states == [
        ["live", "2026-11-30T14:05:00.000Z"],
        ["reconnecting", "2026-11-30T14:05:00.000Z"],
        ["stale", "2026-11-30T14:05:00.000Z"],
        ["live", "2026-11-30T14:05:23.000Z"],
    ]


def test_the_language_follows_the_city_and_switches(console: Console) -> None:
    page = console.page
    console.sign_in("operator")
    expect(page.locator("html")).to_have_attribute("lang", "es-AR")
    expect(page.locator("[data-nav-link='units']")).to_have_text("Móviles")
    page.get_by_label("Idioma").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-nav-link='units']")).to_have_text("Units")
    expect(page.locator("h1")).to_have_text("Live queue")
    page.get_by_label("Language").select_option("es-CL")
    expect(page.locator("[data-nav-link='units']")).to_have_text("Radiopatrullas")
    expect(page.locator("h1")).to_have_text("Cola en vivo")  # what Chile says as Argentina does


def test_every_page_passes_the_accessibility_check(console: Console, browser: Any) -> None:
    page = console.page
    stack = console.stack
    citizen = stack.client("citizen")
    operator = stack.client("operator")
    # Given a city with open alerts (one being handled), a pending registration and a trail to audit
    handled = send_alert(citizen, "panic", unit_base("GC-03"))
    send_alert(citizen, "fire", unit_base("GC-09"))
    for body in (
        {"action": "acknowledge"},
        {"action": "assign", "unit_id": "GC-03", "note": "Móvil más cercano"},
    ):
        answer = operator.post(f"/v1/alerts/{handled}/actions", json=body)
        assert answer.status_code == 200, answer.text
    stack.register(
        {
            "full_name": "Rosa Pendiente",
            "national_id": "27444555",
            "phone": "+5492614999001",
            "email": "rosa.pendiente@example.ar",
            "password": "Segura-2026x",
            "address": "San Martín 1200",
            "home_location": unit_base("GC-04"),
        }
    )
    console.open()
    expect(page.locator("[data-sign-in]")).to_be_visible()
    pages = {"sign-in": []}
    pages["sign-in"] = console.serious_violations()
    console.screenshot("sign-in")
    # When an admin visits every page of the console
    console.sign_in("admin")
    console.arm_audio()
    visits = [
        ("queue", "queue", "[data-queue] tr[data-alert-id]"),
        ("incident", f"alerts/{handled}", "[data-timeline] [data-step='assign']"),
        ("units", "units", "[data-units] tr[data-unit-id='GC-03'][data-status='responding']"),
        ("dead-letters", "dlq", "tr[data-dlq='dispatch']"),
        ("registrations", "registrations", "[data-registrations] tr[data-status='pending']"),
        ("audit", f"audit?alert_id={handled}", "[data-audit] tr[data-audit-action]"),
        ("staff", "staff", "[data-staff] tr[data-user-id]"),
    ]
    for name, route, ready in visits:
        console.go(route)
        expect(page.locator(ready).first).to_be_visible()
        if page.locator("[data-map-panel]").count():
            expect(page.locator("[data-map-panel]")).to_have_attribute("data-map", "ready")
        pages[name] = console.serious_violations()
        console.screenshot(name)
    # and a resident's refusal
    resident_page = browser.new_page(viewport={"width": 1440, "height": 900})
    refused = Console(resident_page, console.url, stack)
    refused.sign_in("citizen", expect_ready=False)
    expect(resident_page.locator("[data-refused]")).to_be_visible()
    pages["refused"] = refused.serious_violations()
    refused.screenshot("refused")
    resident_page.close()
    # Then axe-core finds no serious or critical violation on any of them
    assert {name: found for name, found in pages.items() if found} == {}


def test_an_operator_sees_a_dead_letter_and_redrives_it(console: Console) -> None:
    page = console.page
    stack = console.stack
    sqs = stack.aws("sqs")
    dlq = sqs.get_queue_url(QueueName=f"vigia-{stack.outputs['Parameters']['CityId']}-siren-dlq")["QueueUrl"]
    # Given a message that failed every retry of the siren queue (others may be there: the stack is shared)
    body = {"event_type": "DeliveryTask", "alert_id": "01DEADLETTER"}
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(body))
    console.sign_in("operator")
    console.go("dlq")
    row = page.locator("tr[data-dlq='siren']")
    expect(row).to_contain_text("01DEADLETTER")
    depth = int(row.get_attribute("data-depth") or 0)
    assert depth >= 1
    # When the operator redrives the queue
    row.locator("[data-redrive='siren']").click()
    # Then the console says how many went back to the siren queue
    expect(page.locator("[data-message]")).to_have_text(
        re.compile(r"^[1-9]\d* mensaje\(s\) volvieron a siren\.$")
    )
    moved = int((page.locator("[data-message]").text_content() or "0").split()[0])
    assert moved >= depth


def test_the_screen_says_since_when_it_is_stale_and_recovers(console: Console) -> None:
    page = console.page

    # Given a console that calls itself stale after 6 s without an answer (the default is 15 s)
    def settings(route: Any) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "stale_after_s": 6})

    page.route("**/console/config.json", settings)
    console.sign_in("operator")
    indicator = page.locator(".live")
    expect(indicator).to_have_attribute("data-live-state", "live")
    # When the API cannot be reached
    page.route(re.compile(r".*/v1/.*"), lambda route: route.abort())
    # Then the header says reconnecting, then stale since the time of the last answer
    expect(indicator).to_have_attribute("data-live-state", "reconnecting")
    expect(indicator).to_have_attribute("data-live-state", "stale")
    expect(indicator).to_have_text(re.compile(r"^Desactualizado desde las \d{2}:\d{2}$"))
    # and once the API answers again, it is live
    page.unroute(re.compile(r".*/v1/.*"))
    expect(indicator).to_have_attribute("data-live-state", "live")
    expect(indicator).to_have_text("En vivo")


def test_each_priority_has_its_own_tone_and_none_plays_before_the_user_arms_sound(console: Console) -> None:
    console.open()
    outcome = console.page.evaluate(
        """async () => {
          const sound = await import('./js/sound.js');
          const before = sound.playPriority(1);
          return { before, patterns: [1, 2, 3].map((p) => sound.pattern(p)), played: sound.tonesPlayed() };
        }"""
    )
    assert outcome["before"] is False
    assert outcome["played"] == 0
    assert len({tuple(p) for p in outcome["patterns"]}) == 3
    # the most urgent beeps most and highest
    beeps = [p[1] for p in outcome["patterns"]]
    pitches = [p[0] for p in outcome["patterns"]]
    assert beeps == sorted(beeps, reverse=True)
    assert pitches == sorted(pitches, reverse=True)
