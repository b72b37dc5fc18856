"""The response team's silent alerts in Chromium: the sealed list, opening one with a reason (audited), the
lifecycle to close, and nothing of her left on the screen, in storage or in the browser's console; an
operator sees none of it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.console_page import Console, send_alert, unit_base

REASON = "Seguimiento del equipo de respuesta"
IDLE = "03:01"  # pages/silent.js IDLE_MS is 3 minutes


def _her(stack: Any) -> dict[str, str]:
    me = stack.client("citizen").get("/v1/me").json()
    return {"name": me["full_name"], "phone": me["phone"]}


def _nothing_of_her(page: Any, her: dict[str, str], messages: list[str]) -> None:
    """No element, no storage, no console message holds her name or phone."""
    text = page.evaluate("() => document.documentElement.outerHTML")
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    for value in her.values():
        assert value not in text
        assert value not in stored
        assert not [m for m in messages if value in m]


def _open(page: Any, alert_id: str) -> None:
    page.locator(f"[data-silent-open='{alert_id}']").click()
    page.get_by_label(re.compile("^Motivo$")).fill(REASON)
    page.locator(f"[data-silent-reason='{alert_id}'] button[type=submit]").click()


def test_the_response_team_opens_a_silent_alert_with_a_reason_and_closes_it(
    console: Console, browser: Any
) -> None:
    page, stack = console.page, console.stack
    her = _her(stack)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.clock.install()  # the idle time-out is run forward, not waited for
    # Given a response-team member on her silent alerts page
    console.sign_in("response_team")
    expect(page.locator("body")).to_have_attribute("data-page", "silent")
    expect(page.locator("[data-silent-list]")).to_be_visible()
    # When the demo citizen sends a silent alert through the API
    alert_id = send_alert(stack.client("citizen"), "domestic_violence", unit_base("GC-05"))
    # Then it reaches the list, sealed, with the time since received against the acknowledge target
    row = page.locator(f"tr[data-silent-id='{alert_id}']")
    expect(row).to_be_visible()
    expect(row.locator("[data-age-s]")).to_contain_text("/")
    for value in her.values():
        expect(page.locator("[data-silent-list]")).not_to_contain_text(value)
    assert console.serious_violations() == []
    console.screenshot("silent-alerts")
    # Opening it asks for a reason first: none is refused on the screen, nothing is read
    page.locator(f"[data-silent-open='{alert_id}']").click()
    page.locator(f"[data-silent-reason='{alert_id}'] button[type=submit]").click()
    expect(page.locator("[data-silent-facts]")).to_have_count(0)
    # With a reason she is shown: identity, exact place on the map, the referral directory, the actions
    _open(page, alert_id)
    facts = page.locator("[data-silent-facts]")
    expect(facts.locator("[data-field='name']")).to_have_text(her["name"])
    expect(facts.locator("[data-field='phone']")).to_have_text(her["phone"])
    expect(facts.locator("[data-field='place']")).to_contain_text(re.compile(r"-32\.\d{5}, -68\.\d{5}"))
    expect(page.locator("[data-silent-detail] [data-map-panel]")).to_have_attribute("data-map", "ready")
    expect(page.locator("[data-silent-referrals] tbody tr").first).to_be_visible()
    expect(page.locator("[data-silent-action='acknowledge']")).to_be_visible()
    assert console.serious_violations() == []
    console.screenshot("silent-alert")
    # After three minutes without a key or a click her details leave the screen
    page.clock.fast_forward(IDLE)
    expect(page.locator("[data-silent-nothing-open]")).to_be_visible()
    _nothing_of_her(page, her, messages)
    # Opened again (a second reason), acknowledged, then closed with an outcome
    _open(page, alert_id)
    expect(facts.locator("[data-field='name']")).to_have_text(her["name"])
    page.locator("[data-silent-action='acknowledge']").click()
    expect(page.locator("[data-silent-timeline]")).to_contain_text("Confirmar")
    page.get_by_label("Resultado").select_option("safe")
    page.locator("[data-silent-close] button[type=submit]").click()
    expect(page.locator("[data-silent-nothing-open]")).to_be_visible()
    expect(row).to_have_count(0)
    assert stack.client("response_team").get(f"/v1/alerts/{alert_id}").json()["status"] == "closed"
    # Nothing of her is left: not in the page, not in storage, never printed to the console
    _nothing_of_her(page, her, messages)

    # The admin sees each read, with its reason, in the alert's audit trail
    admin_page = browser.new_page(viewport={"width": 1440, "height": 900})
    admin = Console(admin_page, console.url, stack)
    admin.sign_in("admin")
    admin.go(f"audit?alert_id={alert_id}")
    reads = admin_page.locator("[data-audit] tr[data-audit-action='unseal']").filter(has_text=REASON)
    expect(reads).to_have_count(2)
    expect(admin_page.locator("[data-nav-link='silent']")).to_have_count(0)
    admin_page.close()


def test_an_operator_sees_none_of_the_silent_alerts(console: Console) -> None:
    page, stack = console.page, console.stack
    her = _her(stack)
    alert_id = send_alert(stack.client("citizen"), "domestic_violence", unit_base("GC-06"))
    console.sign_in("operator")
    # no link to the page, and its address leads back to the operator's own pages
    expect(page.locator("[data-nav-link='silent']")).to_have_count(0)
    console.go("silent")
    expect(page.locator("body")).to_have_attribute("data-page", "queue")
    expect(page.locator("[data-silent-list]")).to_have_count(0)
    html = page.content()
    assert alert_id not in html
    for value in her.values():
        assert value not in html
    # (the team closes it, so it does not wait on the team's list of other tests)
    closed = stack.client("response_team").post(
        f"/v1/alerts/{alert_id}/actions", json={"action": "close", "outcome": "no_action_needed"}
    )
    assert closed.status_code == 200, closed.text
