"""The admins' console in Chromium against the local stack: staff accounts, a new account's first sign-in,
and the audit trail's filters."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.browser.console_page import Console


def create_account(console: Console, email: str, full_name: str, group_label: str) -> str:
    """Fills the Staff page's form as an admin would; the temporary password the page shows once."""
    page = console.page
    form = page.locator("[data-staff-create]")
    form.get_by_label("Correo electrónico").fill(email)
    form.get_by_label("Nombre completo (opcional)").fill(full_name)
    form.locator("[data-new-groups]").get_by_label(group_label, exact=True).check()
    form.get_by_role("button", name="Crear cuenta").click()
    shown = page.locator("[data-temporary-password]")
    expect(shown).to_be_visible()
    return shown.inner_text()


def test_an_admin_creates_a_police_account_that_then_signs_in_to_the_police_view(console: Console) -> None:
    page = console.page
    email = f"agente.{uuid.uuid4().hex[:8]}@Demo.Vigia.Local"
    # Given an admin on the Staff page
    console.sign_in("admin")
    page.locator("[data-nav-link='staff']").click()
    expect(page.locator("body")).to_have_attribute("data-page", "staff")
    expect(page.locator("[data-staff] tr[data-user-id]").first).to_be_visible()
    # When they create a police officer's account
    password = create_account(console, email, "Lucía Agente", "Policía")
    # Then the temporary password is shown once, and the account is listed, lower-cased, in the police group
    assert re.fullmatch(r"[A-Za-z0-9]{16}", password)
    row = page.locator(f"[data-staff] tr[data-email='{email.lower()}']")
    expect(row).to_be_visible()
    expect(row.locator("input[data-group='police']")).to_be_checked()
    expect(row.locator("input[data-group='operator']")).not_to_be_checked()
    expect(row).to_contain_text("todavía no ingresó")
    console.screenshot("staff")
    assert console.serious_violations() == []
    # and once the admin says done it is gone from the page
    page.get_by_role("button", name="Listo, ocultar la contraseña").click()
    expect(page.locator("[data-temporary-password]")).to_have_count(0)
    assert password not in page.content()
    # and the audit trail, filtered by that action, says who created it
    console.go("audit")
    page.get_by_label("Acción", exact=True).fill("staff_created")
    page.get_by_role("button", name="Ver el registro").click()
    entry = page.locator("[data-audit] tr[data-audit-action='staff_created']").first
    expect(entry).to_contain_text(email.lower())
    expect(entry).to_contain_text("admin")
    assert console.serious_violations() == []
    console.screenshot("audit-filtered")

    # When the officer signs in with the temporary password
    page.locator("[data-sign-out]").click()
    expect(page.locator("[data-sign-in]")).to_be_visible()
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.locator("[data-sign-in] button[type=submit]").click()
    # Then the console asks for a password of their own, showing the pool's policy
    form = page.locator("[data-new-password]")
    expect(form).to_be_visible()
    expect(form.locator("[data-password-rules]")).to_contain_text("al menos 10 caracteres")
    expect(page.get_by_label("Contraseña nueva", exact=True)).to_be_focused()
    assert console.serious_violations() == []
    console.screenshot("new-password")
    # a mismatch and a password the policy refuses are said plainly
    page.get_by_label("Contraseña nueva", exact=True).fill("Propia-Clave-2026")
    page.get_by_label("Contraseña nueva, otra vez").fill("Otra-Clave-2026")
    page.keyboard.press("Enter")
    expect(form.locator("[role=alert]")).to_have_text("Las dos contraseñas no son iguales.")
    page.get_by_label("Contraseña nueva", exact=True).fill("cortita")
    page.get_by_label("Contraseña nueva, otra vez").fill("cortita")
    page.keyboard.press("Enter")
    expect(form.locator("[role=alert]")).to_contain_text("no cumple la política")
    # and a good one signs them in to what police may open (their car first), no operator page
    page.get_by_label("Contraseña nueva", exact=True).fill("Propia-Clave-2026")
    page.get_by_label("Contraseña nueva, otra vez").fill("Propia-Clave-2026")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-page", "mycar")
    expect(page.locator("[data-who]")).to_contain_text("police")
    for operator_page in ("queue", "dlq", "registrations", "audit", "staff"):
        expect(page.locator(f"[data-nav-link='{operator_page}']")).to_have_count(0)
    console.go("queue")
    expect(page.locator("body")).to_have_attribute("data-page", "mycar")
    expect(page.locator("[data-queue]")).to_have_count(0)
    # and the password they chose is theirs from now on
    tokens = console.stack.tokens(email.lower(), "Propia-Clave-2026")
    assert tokens["IdToken"]


def test_an_admin_disables_and_enables_an_account_and_changes_its_groups(console: Console) -> None:
    page = console.page
    email = f"analista.{uuid.uuid4().hex[:8]}@demo.vigia.local"
    console.sign_in("admin")
    console.go("staff")
    password = create_account(console, email, "Ana Lista", "Analista")
    row = page.locator(f"[data-staff] tr[data-email='{email}']")
    # When the admin adds the operator group with the keyboard and saves
    row.locator("input[data-group='operator']").focus()
    page.keyboard.press("Space")
    expect(row.locator("input[data-group='operator']")).to_be_checked()
    row.locator("[data-save-groups]").click()
    expect(page.locator("[data-message]")).to_contain_text("Operador, Analista")
    expect(row.locator("input[data-group='operator']")).to_be_checked()
    # And disables it
    row.locator("[data-staff-toggle='disable']").click()
    expect(row).to_have_attribute("data-enabled", "false")
    expect(row.locator("[data-account-state]")).to_have_text("Deshabilitada")
    # Then the account cannot sign in
    page.locator("[data-sign-out]").click()
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.locator("[data-sign-in] button[type=submit]").click()
    expect(page.locator("[data-sign-in-error]")).to_be_visible()
    expect(page.locator("[data-new-password]")).to_have_count(0)
    # And once enabled again it can
    console.sign_in("admin")
    console.go("staff")
    row.locator("[data-staff-toggle='enable']").click()
    expect(row).to_have_attribute("data-enabled", "true")
    # and the admin's own row offers no way to disable themselves
    admin_email = console.stack.demo_user("admin")["username"]
    own = page.locator(f"[data-staff] tr[data-email='{admin_email}']")
    expect(own).to_contain_text("tu cuenta")
    expect(own.locator("[data-staff-toggle]")).to_have_count(0)


def test_a_slow_staff_list_neither_takes_the_focus_nor_puts_back_a_list_without_the_new_account(
    console: Console,
) -> None:
    page = console.page
    email = f"lenta.{uuid.uuid4().hex[:8]}@demo.vigia.local"
    console.sign_in("admin")
    # Given the Staff page's first list is slow (Cognito's list answers late: it is read now, held back)
    held: list[tuple[Any, Any]] = []

    def hold_first(route: Any) -> None:
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))
        else:
            route.fallback()

    page.route(re.compile(r".*/v1/admin/staff$"), hold_first)
    console.go("staff")
    expect(page.locator("[data-staff-create]")).to_be_visible()
    page.wait_for_function("() => document.body.dataset.page === 'staff'")
    # When the admin, not waiting for it, creates an account from the form
    password = create_account(console, email, "Lenta Mente", "Analista")
    row = page.locator(f"[data-staff] tr[data-email='{email}']")
    expect(row).to_be_visible()
    # and goes on to the new account's groups
    row.locator("input[data-group='operator']").focus()
    # And then the first, older list arrives
    assert held, "the page asked for the staff list"
    route, answer = held[0]
    route.fulfill(response=answer)
    expect(page.locator("[data-staff] caption")).to_be_visible()
    page.wait_for_timeout(500)  # the old answer has landed (or would have)
    # Then the new account is still listed and the keyboard is still where the admin put it
    expect(row).to_be_visible()
    expect(row.locator("input[data-group='operator']")).to_be_focused()
    assert password
