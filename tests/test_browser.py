"""A person in a real browser (Debian Chromium driven by Playwright) signs in to the demo."""

from __future__ import annotations

import pytest
from flask import Flask

from .helpers import LiveServer


def sign_in(page: object, live_server: LiveServer, email: str) -> None:
    page.goto(live_server.url + "/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Sign in").first.click()  # type: ignore[attr-defined]
    page.locator("input[name=login]").fill(email)  # type: ignore[attr-defined]
    page.locator("input[name=password]").fill("any")  # type: ignore[attr-defined]
    page.locator("button[type=submit], input[type=submit]").first.click()  # type: ignore
    page.wait_for_url(live_server.url + "/console")  # type: ignore[attr-defined]


@pytest.mark.backends("sqlite")
def test_a_customer_opts_in_to_training_withdraws_and_keeps_the_receipts(
        app: Flask, live_server: LiveServer, browser: object, oidc: object,
        tmp_path: object) -> None:
    import json

    context = browser.new_context(accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    sign_in(page, live_server, "alice@example.com")
    page.get_by_role("link", name="Privacy settings").first.click()
    page.get_by_role("link", name="Model training").first.click()
    assert page.locator("#training-state").inner_text() == "Not used for training"
    page.get_by_role("link", name="Review and opt in…").click()
    page.wait_for_url(live_server.url + "/privacy/preferences/training")
    assert page.get_by_text("How to withdraw").is_visible()
    # without the tick the browser does not even send the form
    page.get_by_role("button", name="Opt in to model training").click()
    assert page.url.endswith("/privacy/preferences/training")
    assert page.locator(".ss-errors").count() == 0  # no round trip to the server
    # by keyboard: tick the box, then submit
    page.get_by_label("I have read what this means").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Opt in to model training").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/privacy/preferences")
    page.get_by_role("status").filter(has_text="You opted in").wait_for()
    assert page.locator("#training-state").inner_text() == "Opted in"

    page.get_by_role("button", name="Withdraw consent").click()
    page.get_by_role("status").filter(has_text="You withdrew your consent").wait_for()
    assert page.locator("#training-state").inner_text() == "Not used for training"
    # the proof is one click away, under "Verify"
    assert not page.locator("#chain-state").is_visible()
    page.locator("#history-verify summary").click()
    assert page.locator("#chain-state").inner_text() == "Record intact"
    rows = page.locator("table.ss-table tbody tr")
    assert rows.count() == 2
    with page.expect_download() as info:
        rows.first.get_by_role("link", name="Download").click()
    path = info.value.path()
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["receipt"]["ledger"]["granted"] is False  # newest first: the withdrawal
    context.close()


@pytest.mark.backends("sqlite")
def test_a_customer_signs_in_and_opens_privacy_settings(
        app: Flask, live_server: LiveServer, browser: object, oidc: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign in").first.click()
    page.locator("input[name=login]").fill("alice@example.com")
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(live_server.url + "/console")
    page.get_by_role("link", name="Privacy settings").first.click()
    page.wait_for_url(live_server.url + "/privacy/")
    assert page.get_by_role("heading", name="Privacy settings").is_visible()
    assert page.locator("#training-state").inner_text() == "Off"
    page.get_by_role("link", name="What we hold about you").click()
    page.wait_for_url(live_server.url + "/privacy/data")
    assert page.get_by_text("Inference").first.is_visible()
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_load_state()
    # signed out: back on the public landing page, and the session no longer works
    assert page.url == live_server.url + "/"
    assert page.get_by_role("link", name="Sign in").first.is_visible()
    assert page.request.get(live_server.url + "/privacy/api/v1/me").status == 401
    context.close()
