"""A person in a real browser (Debian Chromium driven by Playwright) signs in to the demo."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask

from .helpers import LiveServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


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
    assert page.get_by_text("Inference").first.is_visible()
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_load_state()
    # signed out: back on the public landing page, and the session no longer works
    assert page.url == live_server.url + "/"
    assert page.get_by_role("link", name="Sign in").first.is_visible()
    assert page.request.get(live_server.url + "/privacy/api/v1/me").status == 401
    context.close()
