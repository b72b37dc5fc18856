"""The residents' app, reports (docs/app.md "Reports"): not an emergency channel, her own reports and the
operator's closing note, in Chromium on a small phone against the session's local stack."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.console_page import unit_base
from tests.browser.test_resident_app import (  # noqa: F401  (the app test's fixtures: one phone, one stack)
    Phone,
    app_url,
    approved_resident,
    phone,
)
from tests.e2e.conftest import ApiSession, LocalStackProcess


def sign_in(screen: Phone, email: str) -> None:
    page = screen.page
    page.goto(screen.url)
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill("Segura-2026x")
    page.locator("[data-sign-in] button[type=submit]").click()
    expect(page.locator("[data-alerts]")).to_be_visible()


def test_a_resident_reports_an_unsafe_place_and_sees_it_closed_with_the_operators_note(
    phone: Phone,  # noqa: F811
    local_stack: LocalStackProcess,
) -> None:
    page = phone.page
    sign_in(phone, approved_resident(local_stack))
    # The entry is apart from the alert buttons and says it is not for emergencies
    entry = page.locator(".reports-entry")
    expect(entry).to_contain_text("no es una emergencia")
    entry.scroll_into_view_if_needed()
    assert phone.serious_violations() == []
    phone.screenshot("reports-entry")
    entry.locator("[data-go-report]").click()
    form = page.locator("[data-report]")
    expect(form).to_contain_text("Esto no es una emergencia")
    # The types are the pack's, in her Spanish; the unsafe-place questions show only for an unsafe place
    expect(form.locator("#f-type option[value='broken_lighting']")).to_have_text("Luminaria apagada o rota")
    form.locator("#f-type").select_option("broken_lighting")
    expect(form.locator("[data-unsafe-fields]")).to_be_hidden()
    form.locator("#f-type").select_option("unsafe_place")
    expect(form.locator("[data-unsafe-fields]")).to_be_visible()
    # her gender is optional, never required, and the form says why it is asked
    gender = page.get_by_label("Tu género (opcional)")
    assert gender.get_attribute("required") is None
    expect(form).to_contain_text("No es obligatorio")
    page.get_by_label("Cuándo te sentís insegura/o ahí").select_option("night")
    gender.select_option("woman")
    text = f"La plaza sin luz, nadie pasa {uuid.uuid4().hex[:6]}"
    page.get_by_label("Descripción (opcional)").fill(text)
    assert phone.serious_violations() == []
    phone.screenshot("report-form")
    form.locator("button[type=submit]").click()
    # Then Mis reportes lists it, open, with the department in her words
    mine = page.locator("[data-my-reports]")
    expect(mine).to_contain_text("Reporte enviado")
    item = mine.locator("[data-report-id]")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-status", "open")
    expect(item).to_contain_text("Abierto")
    expect(item).to_contain_text("Área: Seguridad urbana y prevención")
    expect(item).to_contain_text(text)
    report_id = item.get_attribute("data-report-id")
    operator = local_stack.client("operator")
    stored = operator.get(f"/v1/reports/{report_id}").json()
    assert (stored["type"], stored["time_of_day"], stored["declared_gender"], stored["description"]) == (
        "unsafe_place",
        "night",
        "woman",
        text,
    )
    # When the operator closes it with a note
    note = "Se colocaron dos luminarias nuevas en la plaza."
    closed = operator.post(f"/v1/reports/{report_id}/status", json={"status": "closed", "note": note})
    assert closed.status_code == 200, closed.text
    # Then she sees it closed, with the note
    mine.locator("[data-refresh-reports]").click()
    expect(item).to_have_attribute("data-status", "closed")
    expect(item).to_contain_text("Cerrado")
    expect(item.locator("[data-closing-note]")).to_contain_text(note)
    assert phone.serious_violations() == []
    phone.screenshot("my-reports")
    # In English the same list reads in her language: the pack's English labels and department names
    page.locator("[data-locale-switch]").select_option("en")
    expect(item).to_contain_text("Here I feel unsafe")
    expect(item).to_contain_text("Closed")
    expect(item).to_contain_text("Department: Urban safety and prevention")
    expect(item.locator("[data-closing-note]")).to_contain_text(note)


def test_an_emergency_written_as_a_report_points_her_to_the_alert_button_and_nothing_is_stored(
    phone: Phone,  # noqa: F811
    local_stack: LocalStackProcess,
) -> None:
    page = phone.page
    sign_in(phone, approved_resident(local_stack))
    page.locator("[data-go-report]").click()
    page.locator("#f-type").select_option("trash")
    text = f"Hay un hombre con un arma en la esquina {uuid.uuid4().hex[:6]}"
    page.get_by_label("Descripción (opcional)").fill(text)
    page.locator("[data-report] button[type=submit]").click()
    refused = page.locator("[data-message='emergency']")
    expect(refused).to_be_visible()
    expect(refused).to_have_attribute("role", "alert")
    expect(refused).to_contain_text("parece una emergencia")
    expect(refused).to_contain_text("botón de alerta")
    assert phone.serious_violations() == []
    phone.screenshot("report-emergency")
    # Nothing is stored: not in the city's reports, not in hers
    city = local_stack.client("operator").get("/v1/reports", params={"limit": 200}).json()["items"]
    assert [r for r in city if r.get("description") == text] == []
    # The button takes her to the alert buttons
    refused.locator("[data-go-alerts]").click()
    expect(page.locator("[data-alerts] [data-alert-type]").first).to_be_visible()
    page.locator("[data-go-my-reports]").click()
    expect(page.locator("[data-no-reports]")).to_be_visible()


def test_past_her_reports_limit_she_is_told_when_she_may_send_again(
    phone: Phone,  # noqa: F811
    local_stack: LocalStackProcess,
) -> None:
    page = phone.page
    email = approved_resident(local_stack)
    her = ApiSession(local_stack.api, local_stack.sign_in(email, "Segura-2026x"))
    place = {k: unit_base("GC-01")[k] for k in ("lat", "lon")}
    sent = [her.post("/v1/reports", json={"type": "trash", "location": place}) for _ in range(5)]
    assert [r.status_code for r in sent] == [201] * 5  # the packs' limit: 5 an hour
    sign_in(phone, email)
    page.locator("[data-go-report]").click()
    page.locator("#f-type").select_option("dark_spot")
    page.locator("[data-report] button[type=submit]").click()
    refused = page.locator("[data-message='too-many']")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("Enviaste varios reportes seguidos")
    # when: a clock time and the minutes left, from the API's Retry-After (5 just sent: about an hour)
    expect(refused).to_contain_text(re.compile(r"a las \d{1,2}:\d{2}.*en unos (5\d|60) min"))
    phone.screenshot("report-too-many")
    page.locator("[data-report] [data-go-my-reports]").click()
    expect(page.locator("[data-my-reports] [data-report-id]")).to_have_count(5)
