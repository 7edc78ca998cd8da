"""In Chromium: the sub-processor page signed out; an organisation's owner subscribes it and
objects to an announced change by keyboard only; the privacy officer reads the objection. Every
page passes axe-core with no serious violation and fits a 320 px screen (screenshots at 320 and
1280 px: SCREENSHOTS=folder keeps them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .helpers import LiveServer
from .subprocessor_changes import ADD, PAST, SHORT
from .test_browser import sign_in
from .test_cookie_browser import axe_serious, wait_saved
from .test_decisions_browser import shoot

SHOTS = os.environ.get("SCREENSHOTS")
LIST = "/privacy/subprocessors"


def tab_to(page: Any, element_id: str, presses: int = 80) -> None:
    """Press Tab from the top of the page until the element with this id has the focus."""
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id} on {page.url}")


def reject_optional_cookies(page: Any) -> None:
    """The banner's answer, so that the screenshots show the page itself."""
    page.get_by_role("button", name="Reject all", exact=True).click()
    wait_saved(page)


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[ADD, PAST, SHORT])
def test_an_owner_subscribes_and_objects_by_keyboard_and_the_officer_reads_it(
        app: Flask, live_server: LiveServer, browser: Any, tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    page.goto(live_server.url + LIST)
    reject_optional_cookies(page)
    assert page.get_by_role("heading", name="Our sub-processors").is_visible()
    assert page.get_by_role("link", name="Sign in to subscribe").is_visible()
    assert axe_serious(page, inside="#subprocessors") == []
    assert axe_serious(page, inside="#upcoming") == []
    shoot(page, folder, "subprocessors-signed-out")

    sign_in(page, live_server, "bob@example.com")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + LIST)
    tab_to(page, "subscription-toggle")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Acme AI is subscribed").wait_for()
    assert "Subscribed" in page.locator("#subscription-state").inner_text()
    assert axe_serious(page, inside="#notices") == []
    shoot(page, folder, "subprocessors-owner")
    page.set_viewport_size({"width": 1280, "height": 900})
    tab_to(page, f"object-{ADD['id']}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{LIST}/changes/{ADD['id']}/objection")
    assert axe_serious(page, inside="#change") == []
    shoot(page, folder, "subprocessor-objection-form")
    page.set_viewport_size({"width": 1280, "height": 900})
    tab_to(page, "reason")
    page.keyboard.type("We have not assessed Mailer GmbH; our customers' contracts need it.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "objection-send"
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Your objection is recorded").wait_for()
    assert "We have not assessed" in page.locator("#objection-reason").inner_text()
    assert axe_serious(page, inside="#objection") == []
    shoot(page, folder, "subprocessor-objection-sent")
    context.close()

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, "pat@example.com")
    reject_optional_cookies(page)
    page.goto(live_server.url + "/privacy/support/subprocessor-objections")
    assert "Acme AI" in page.locator("#objections").inner_text()
    assert axe_serious(page, inside="#objections") == []
    shoot(page, folder, "subprocessor-objections-officer")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("What was decided").fill("Mailer GmbH is not used for Acme AI's data.")
    page.get_by_role("button", name="Resolve").click()
    page.get_by_role("status").filter(has_text="Objection resolved").wait_for()
    assert "Resolved" in page.locator("#objections").inner_text()
    context.close()
