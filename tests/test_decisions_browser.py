"""In Chromium: a privacy officer denies a request by keyboard only; the customer reads the
decision, the reason and the way to appeal. The pages pass axe-core with no serious violation
and fit a 320 px screen without sideways scrolling."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .helpers import LiveServer
from .test_browser import sign_in
from .test_cookie_browser import axe_serious

API = "/privacy/api/v1"
#: where the screenshots go (look at them): SCREENSHOTS=folder, else the test's tmp_path
SHOTS = os.environ.get("SCREENSHOTS")


def fits(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def shoot(page: Any, folder: Path, name: str) -> None:
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        if width == 320:
            assert fits(page), f"{name} scrolls sideways at 320 px"


@pytest.mark.backends("sqlite")
def test_a_privacy_officer_denies_by_keyboard_and_the_customer_reads_why(
        app: Flask, live_server: LiveServer, browser: Any, make_person: Any,
        tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    alice = make_person()
    alice.login("alice@example.com")
    created = alice.api("POST", API + "/requests", json={
        "type": "correction", "jurisdiction": "us_state",
        "details": {"description": "My billing name is wrong", "state": "CO"}}).json()
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    sign_in(page, live_server, "pat@example.com")
    page.goto(f"{live_server.url}/privacy/support/requests/{created['reference']}/decide")
    assert axe_serious(page, inside="#decide") == []
    shoot(page, folder, "decide")
    page.set_viewport_size({"width": 1280, "height": 900})
    # keyboard only: from the page's top, Tab to the choices, the reason and the button
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "decide-completed":
            break
    else:
        raise AssertionError("Tab never reached the decision")
    page.keyboard.press("ArrowDown")  # radio group: the next choice, denied
    assert page.locator("#decide-denied").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "decide-reason"
    page.keyboard.press("ArrowDown")  # the first reason: identity not verified
    page.keyboard.press("Tab")
    page.keyboard.type("The name you gave does not match our records.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "decide-submit"
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="denied").wait_for()
    assert "We could not confirm" in page.locator("#decide-decision").inner_text()
    assert page.locator("#decide-form").count() == 0
    context.close()

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/privacy/requests/{created['id']}")
    decision = page.get_by_role("region", name="We did not do what you asked")
    assert decision.is_visible()
    assert "We could not confirm that the request came from you." in decision.inner_text()
    assert "within 60 days" in page.locator("#request-appeal-path").inner_text()
    assert axe_serious(page, inside="#request-decision") == []
    shoot(page, folder, "customer-denied")
    page.get_by_role("button", name="Appeal this decision").focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Appeal").wait_for()
    assert created["reference"] in page.locator("#request-appeal-of").inner_text()
    context.close()


@pytest.mark.backends("sqlite")
def test_the_metrics_and_legal_holds_pages_read_well(
        app: Flask, live_server: LiveServer, browser: Any, tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, "pat@example.com")
    page.goto(live_server.url + "/privacy/support/metrics")
    assert axe_serious(page, inside="#metrics") == []
    shoot(page, folder, "metrics")
    page.goto(live_server.url + "/privacy/support/legal-holds")
    page.get_by_label("Account id").fill("acct-alice")
    page.get_by_label("Reason (a case, a regulator's request)").fill("Case 2026-114")
    page.get_by_label("Review by").fill("2027-06-30")
    page.get_by_role("button", name="Place the hold").click()
    page.get_by_role("status").filter(has_text="Hold placed").wait_for()
    assert "Case 2026-114" in page.locator("#holds").inner_text()
    assert axe_serious(page, inside="#holds") == []
    shoot(page, folder, "legal-holds")
    page.get_by_label("Why it ends").fill("Case closed")
    page.get_by_role("button", name="Release").click()
    page.get_by_role("status").filter(has_text="Hold released").wait_for()
    assert page.locator("#holds-empty").is_visible()
    context.close()
