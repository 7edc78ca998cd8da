"""Deletion in a real browser (Debian Chromium driven by Playwright), by keyboard only: the
danger zone, the plan, a wrong entry, the confirmation, signed out everywhere, signing in
again to only the grace page, the cancel, and the console back. Every new page passes axe-core
and scrolls sideways at no width down to 320 px; each is photographed at that width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .helpers import LiveServer
from .test_cookie_browser import AXE, axe_serious

WIDTHS = {"phone": {"width": 320, "height": 800}, "desktop": {"width": 1280, "height": 900}}


def press(page: Any, locator: Any, key: str = "Enter") -> None:
    """Reach a control by keyboard focus and press it (no mouse)."""
    locator.focus()
    page.keyboard.press(key)


def tab_to(page: Any, element_id: str) -> None:
    """Press Tab: the next control in the page's order must be ``element_id``, and show its
    focus."""
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.id,"
                            " document.activeElement.matches(':focus-visible')]")
    assert focused == [element_id, True], focused


def provider_login(page: Any, email: str) -> None:
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("any")
    press(page, page.locator("button[type=submit], input[type=submit]").first)


def check(page: Any, name: str, shots: Path, found: dict[str, Any]) -> None:
    """axe-core, no sideways scrolling, and a screenshot of the whole page."""
    page.wait_for_load_state()
    found[name] = axe_serious(page, "main")
    wide = page.evaluate("() => [document.documentElement.scrollWidth,"
                         " document.documentElement.clientWidth]")
    assert wide[0] <= wide[1], f"{name} scrolls sideways: {wide}"
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    height, width = page.evaluate("() => [document.documentElement.scrollHeight,"
                                  " document.documentElement.clientWidth]")
    for part, top in enumerate(range(0, height, 1000)):  # pieces small enough to look at
        page.screenshot(path=str(shots / f"{name}-{part}.png"), full_page=True,
                        clip={"x": 0, "y": top, "width": width,
                              "height": min(1000, height - top)})


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("viewport", list(WIDTHS.values()), ids=list(WIDTHS))
def test_a_customer_deletes_by_keyboard_signs_in_again_and_cancels(
        app: Flask, live_server: LiveServer, browser: Any, oidc: Any, tmp_path: Path,
        viewport: dict[str, int]) -> None:
    assert AXE.is_file(), "run `make install` to install axe-core"
    shots = tmp_path / f"shots-{viewport['width']}"
    shots.mkdir()
    found: dict[str, Any] = {}
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    context.set_default_timeout(10000)
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/auth/login?next=/privacy/")
    provider_login(page, "carol@example.com")
    page.wait_for_url(base + "/privacy/")
    press(page, page.get_by_role("button", name="Reject all"))  # the console's cookie banner
    page.locator("#ss-cookies").wait_for(state="hidden")
    press(page, page.locator("#delete-account"))
    page.wait_for_url(base + "/privacy/delete")
    assert page.get_by_role("link", name="Export my data first").is_visible()
    check(page, "start", shots, found)
    page.locator("#export-first").focus()
    tab_to(page, "deletion-continue")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/privacy/delete/*")
    plan_url = page.url
    assert page.locator("#point-of-no-return").is_visible()
    assert page.locator("#deletion-plan tr[data-source=inference_logs]").count() == 1
    check(page, "plan", shots, found)

    field = page.get_by_label("Type your e-mail address to confirm")
    field.focus()
    page.keyboard.type("someone@example.com")
    page.keyboard.press("Enter")
    page.get_by_role("alert").filter(has_text="Nothing was changed").wait_for()
    assert page.url == plan_url
    assert "not the e-mail address of this account" in page.locator("#confirm-error").inner_text()
    check(page, "plan-wrong-entry", shots, found)

    field = page.get_by_label("Type your e-mail address to confirm")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("CAROL@example.com")
    tab_to(page, "deletion-confirm")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your account is scheduled for deletion").wait_for()
    assert "signed out on every device" in page.locator("main").inner_text()
    check(page, "confirmed", shots, found)
    reference = page.locator("#deletion-reference").inner_text()
    assert page.request.get(base + "/privacy/api/v1/me").status == 401  # signed out

    press(page, page.get_by_role("link", name="Sign in to cancel"))
    grace = base + "/privacy/delete/scheduled"
    page.wait_for_url(lambda url: url.startswith((oidc.issuer, grace)))  # type: ignore
    if page.url.startswith(oidc.issuer):  # the provider may remember the sign-in
        provider_login(page, "carol@example.com")
    page.wait_for_url(grace)
    check(page, "grace", shots, found)
    for elsewhere in ("/console", "/privacy/preferences", "/console/team"):
        page.goto(base + elsewhere)
        assert page.url == base + "/privacy/delete/scheduled", elsewhere
    page.get_by_label("Why are you keeping your account? (optional)").focus()
    page.keyboard.type("Changed my mind")
    tab_to(page, "deletion-cancel")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/privacy/")
    page.get_by_role("status").filter(has_text="no longer scheduled for deletion").wait_for()
    page.goto(base + "/console")
    assert page.url == base + "/console"
    menu = page.locator(".eh-menu-button")
    if menu.is_visible():  # on a phone the console's links are behind its Menu button
        press(page, menu)
    assert page.get_by_role("link", name="Dashboard").first.is_visible()
    page.goto(base + "/privacy/requests")
    press(page, page.get_by_role("link", name=reference))
    page.get_by_role("heading", name="The plan you confirmed").wait_for()
    check(page, "request", shots, found)
    context.close()
    assert {name: v for name, v in found.items() if v} == {}
