"""The live queue draws only the rows in view (a virtual list): 10,000 open alerts cost a few dozen rows of
DOM, the table still says how many there are, scrolling draws the others, and J/K walk the whole queue."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.console_page import Console
from tests.support.synthetic_queue import fulfil_with, is_open_queue

COUNT = 10_000


def test_ten_thousand_open_alerts_draw_only_the_rows_in_view(console: Console) -> None:
    # Given an API whose open queue holds 10,000 alerts
    page = console.page
    page.route(is_open_queue, fulfil_with(COUNT))
    # When the operator signs in
    console.sign_in("operator")
    rows = page.locator("[data-queue] tr[data-alert-id]")
    expect(rows.first).to_be_visible()
    # Then the table says it has them all, but draws only what is in view
    table = page.locator("[data-queue]")
    expect(table).to_have_attribute("aria-rowcount", str(COUNT + 1))
    expect(page.locator("[data-queue-total]")).to_contain_text("10000")
    assert 0 < rows.count() < 100
    expect(rows.first).to_have_attribute("aria-rowindex", "2")
    expect(rows.first).to_have_attribute("data-alert-id", "01JSYNTH000000000000000000")

    # When they walk down with J past the rows first drawn
    for _ in range(60):
        page.keyboard.press("j")
    # Then the keyboard is on the 60th alert, drawn and in view, and the DOM did not grow
    focused = page.locator("[data-queue] tr:has(a:focus)")
    expect(focused).to_have_attribute("aria-rowindex", "61")
    expect(focused).to_have_attribute("data-alert-id", f"01JSYNTH{59:018d}")
    expect(focused).to_be_in_viewport()
    assert rows.count() < 100
    # and the list holds still once the keyboard stops: redrawing the rows in view must not make the
    # browser's scroll anchoring move the list, which redraws, which moves it again (focus falls off)
    scroller = page.locator("[data-queue-scroll]")
    resting = scroller.evaluate("el => el.scrollTop")
    page.wait_for_timeout(1500)
    assert scroller.evaluate("el => el.scrollTop") == resting
    expect(focused).to_have_attribute("aria-rowindex", "61")

    # When they scroll to the end of the queue
    page.locator("[data-queue-scroll]").evaluate("el => { el.scrollTop = el.scrollHeight }")
    # Then the last alert is drawn, with its place in the whole table
    last = console.row(f"01JSYNTH{COUNT - 1:018d}")
    expect(last).to_be_visible()
    expect(last).to_have_attribute("aria-rowindex", str(COUNT + 1))
    assert rows.count() < 100

    # And K takes the keyboard back from where it was (the 60th), not from a recycled row
    page.keyboard.press("k")
    expect(page.locator("[data-queue] tr:has(a:focus)")).to_have_attribute("aria-rowindex", "60")
    # and Enter opens that alert
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{console.url}#/alerts/01JSYNTH{58:018d}")
    assert not console.csp_violations
    assert not console.errors
