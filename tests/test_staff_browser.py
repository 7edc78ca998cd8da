"""In Chromium: after a support agent revealed her details, Alice reads who accessed her data
on the Privacy settings page, which axe-core finds no serious violation on."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from .helpers import LiveServer
from .test_browser import sign_in
from .test_cookie_browser import axe_serious

API = "/privacy/api/v1"


@pytest.mark.backends("sqlite")
def test_alice_reads_who_accessed_her_data(app: Flask, live_server: LiveServer, browser: Any,
                                           make_person: Any) -> None:
    alice = make_person()
    alice.login("alice@example.com")
    reference = alice.api("POST", API + "/requests", json={"type": "correction"}).json()[
        "reference"]
    sam = make_person()
    sam.login("sam@example.com")
    response = sam.api("POST", f"{API}/support/requests/{reference}/reveal",
                       json={"reason": "She asked on the phone why her name is wrong"})
    assert response.status_code == 200
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    sign_in(page, live_server, "alice@example.com")
    page.goto(live_server.url + "/privacy/")
    section = page.get_by_role("region", name="Who accessed your data")
    assert section.is_visible()
    row = section.get_by_role("row").nth(1)
    assert "Support agent" in row.inner_text()
    assert "She asked on the phone why her name is wrong" in row.inner_text()
    assert f"(request {reference})" in row.inner_text()
    assert axe_serious(page, inside="#access-log") == []
    page.set_viewport_size({"width": 360, "height": 740})  # a phone: the table stacks
    assert section.get_by_text("Support agent").is_visible()
    context.close()
