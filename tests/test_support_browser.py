"""In Chromium, by keyboard only: a support agent opens the queue, finds a request by its
reference, opens it and reveals the customer's details with a reason; axe-core finds no
serious violation, and nothing scrolls sideways on a 320 px screen."""

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
#: where the screenshots go (SUPPORT_SCREENSHOTS, else the test's own folder)
SHOTS = os.environ.get("SUPPORT_SCREENSHOTS")


def _no_sideways_scroll(page: Any) -> bool:
    wide = page.evaluate("""() => { const w = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= w) return [];
        return [...document.querySelectorAll('body *')].filter(
            e => e.getBoundingClientRect().right > w + 1).slice(0, 8).map(
            e => e.tagName + '#' + e.id + '.' + e.className + ' ' +
                 Math.round(e.getBoundingClientRect().right)); }""")
    assert wide == [], f"wider than the screen at {page.url}: {wide}"
    return True


def _shoot(page: Any, folder: Path, name: str) -> None:
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert _no_sideways_scroll(page) or width > 320, f"{name} scrolls sideways at {width}"
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


@pytest.mark.backends("sqlite")
def test_support_finds_a_request_by_reference_and_reveals_with_a_reason_by_keyboard(
        app: Flask, live_server: LiveServer, browser: Any, make_person: Any,
        tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    alice = make_person()
    alice.login("alice@example.com")
    reference = alice.api("POST", API + "/requests", json={"type": "correction"}).json()[
        "reference"]
    bob = make_person()
    bob.login("bob@example.com")
    bob.api("POST", API + "/requests", json={"type": "objection"})
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    sign_in(page, live_server, "sam@example.com")
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_server.url + "/privacy/support")
    assert page.get_by_role("heading", name="Privacy requests to answer").is_visible()
    queue = page.locator("#support-queue")
    assert "a***@example.com" in queue.inner_text()
    assert "alice@example.com" not in page.content()
    assert _no_sideways_scroll(page)
    assert axe_serious(page, inside="#support-queue") == []
    _shoot(page, folder, "queue")
    page.set_viewport_size({"width": 320, "height": 800})
    # keyboard only: into the search box, type the reference, Enter
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "support-q":
            break
    else:
        raise AssertionError("the search box is not reachable by Tab")
    page.keyboard.type(reference.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/privacy/support/requests/{reference}")
    assert page.locator("#support-email").inner_text() == "a***@example.com"
    assert page.locator("#support-name").inner_text() == "A. M."
    assert _no_sideways_scroll(page)
    assert axe_serious(page, inside="#reveal-form") == []
    _shoot(page, folder, "request")
    page.set_viewport_size({"width": 320, "height": 800})
    # an empty reason: the browser itself asks for one, nothing is sent
    page.locator("#reveal-reason").focus()
    page.keyboard.press("Enter")
    assert page.locator("#support-email").inner_text() == "a***@example.com"
    page.keyboard.type("She called to check her correction request")
    page.keyboard.press("Enter")
    page.locator("#reveal-done").wait_for()
    assert page.locator("#support-email").inner_text() == "alice@example.com"
    assert page.locator("#support-name").inner_text() == "Alice Martin"
    assert page.evaluate("() => document.activeElement.id") == "reveal-done"
    assert axe_serious(page) == []
    _shoot(page, folder, "revealed")
    log = alice.api("GET", API + "/access-log", csrf=False).json()
    assert [(e["role"], e["action"], e["reason"]) for e in log] == [
        ("support", "staff.revealed", "She called to check her correction request"),
        ("support", "staff.viewed", None)]
    context.close()
