"""In Chromium: the pages of the fault matrix (the database out of reach, the sign-in service
not answering) pass axe-core with no serious violation, fit a 320 px screen and lead back by
keyboard."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from .helpers import LiveServer
from .test_cookie_browser import axe_serious
from .test_decisions_browser import shoot

#: where the screenshots go (look at them): SCREENSHOTS=folder, else the test's tmp_path
SHOTS = os.environ.get("SCREENSHOTS")


def tab_to(page: Any, name: str) -> None:
    page.locator("body").focus()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"no {name!r} link by keyboard")


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_OIDC_ISSUER="http://127.0.0.1:9")  # nothing answers there
def test_the_outage_pages_in_a_browser(app: Flask, live_server: LiveServer, browser: Any,
                                       tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    @app.get("/console/billing")
    def billing() -> str:  # a host page while PostgreSQL does not answer
        raise sa.exc.OperationalError("SELECT 1", {}, psycopg.OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused'))

    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    for name, path, heading in (
            ("database-unavailable", "/console/billing", "Temporarily unavailable"),
            ("sign-in-unavailable", "/auth/login?next=/privacy/", "Sign-in unavailable")):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 503
        assert page.locator("h1").inner_text() == heading
        assert page.get_by_role("alert").is_visible()
        assert axe_serious(page, inside=".ss-page") == []
        shoot(page, folder, name)
        page.set_viewport_size({"width": 1280, "height": 900})
        tab_to(page, "Back to the start page")
        page.keyboard.press("Enter")
        page.wait_for_url(live_server.url + "/")
    context.close()
