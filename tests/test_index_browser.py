"""The Privacy settings page by keyboard, in Chromium: every card is reached with Tab, in the
order it is shown, and opens its page with Enter; what we hold about you is a row at a time on
a phone and a table to read on a wide screen."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from .helpers import LiveServer
from .test_browser import sign_in

pytestmark = pytest.mark.backends("sqlite")

#: each card's link (an organisation owner's page, from the top) and where it leads
CARDS = (("training-link", "/privacy/preferences#training"),
         ("marketing-link", "/privacy/preferences"),
         ("requests-link", "/privacy/requests"),
         ("new-request", "/privacy/requests"),
         ("export-my-data", "/privacy/rights/export"),
         ("cookies-link", "/privacy/cookies"),
         ("organisation-link", "/privacy/organisation"),
         ("dpa-link", "/privacy/dpa"),
         ("subprocessors-link", "/privacy/subprocessors"),
         ("data-link", "/privacy/data"),
         ("delete-account", "/privacy/delete"))


def _signed_in(browser: Any, live_server: LiveServer, email: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.set_default_timeout(15000)
    page = context.new_page()
    sign_in(page, live_server, email)
    page.get_by_role("button", name="Reject all").click()  # the console's cookie banner
    page.locator("#ss-cookies").wait_for(state="hidden")
    return page


def _focus_order(page: Any, last: str, most: int = 120) -> list[str]:
    """The ids Tab gives the focus to, from the top of the page to ``last``, each with its
    focus shown."""
    page.locator("body").focus()
    seen: list[str] = []
    for _ in range(most):
        page.keyboard.press("Tab")
        found = page.evaluate("[document.activeElement.id, "
                              "document.activeElement.matches(':focus-visible')]")
        seen.append(found[0] if found[1] else f"{found[0]} (focus not shown)")
        if found[0] == last:
            return seen
    raise AssertionError(f"Tab never reached #{last}: {seen}")


def test_every_card_is_reached_by_tab_in_order_and_opens_with_enter(
        app: Flask, live_server: LiveServer, browser: Any) -> None:
    page = _signed_in(browser, live_server, "bob@example.com", 1280)
    home = live_server.url + "/privacy/"
    page.goto(home)
    order = _focus_order(page, "delete-account")
    cards = [element_id for element_id, _ in CARDS]
    assert [i for i in order if i in cards] == cards, order
    for element_id, path in CARDS:
        page.goto(home)
        page.locator(f"#{element_id}").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(live_server.url + path)
    page.context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_what_we_hold_is_a_row_at_a_time_on_a_phone(app: Flask, live_server: LiveServer,
                                                    browser: Any, width: int) -> None:
    page = _signed_in(browser, live_server, "alice@example.com", width)
    page.goto(live_server.url + "/privacy/")
    page.locator("#data-link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/privacy/data")
    rows = page.locator("details.ss-source")
    assert rows.count() >= 12
    why = page.locator("#source-invoices dd").first
    if width >= 768:  # a wide screen: every row open, to read like a table
        assert page.locator("details.ss-source:not([open])").count() == 0
        assert why.is_visible()
    else:  # a phone: each row closed, opened by its summary from the keyboard
        assert page.locator("details.ss-source[open]").count() == 0
        assert not why.is_visible()
        page.locator("#source-invoices summary").focus()
        page.keyboard.press("Enter")
        assert why.is_visible()
        assert "tax" in why.inner_text()
        # turned to landscape on a tablet: open to read
        page.set_viewport_size({"width": 1024, "height": 768})
        page.wait_for_function(
            "document.querySelectorAll('details.ss-source:not([open])').length === 0")
    page.context.close()
