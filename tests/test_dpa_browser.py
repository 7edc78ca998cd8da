"""In Chromium: an owner reads the DPA, signs it by keyboard only and downloads the
countersigned PDF; a member sees who signed and whom to ask; a customer without an
organisation gets the standard DPA. Every page passes axe-core with no serious violation and
fits a 320 px screen (screenshots at 320 and 1280 px: SCREENSHOTS=folder keeps them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from selfservice.dpa_signing import verify

from .helpers import LiveServer
from .test_browser import sign_in
from .test_cookie_browser import axe_serious
from .test_decisions_browser import shoot

SHOTS = os.environ.get("SCREENSHOTS")


def tab_to(page: Any, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def type_into(page: Any, element_id: str, text: str) -> None:
    tab_to(page, element_id, limit=3)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


@pytest.mark.backends("sqlite")
def test_an_owner_signs_by_keyboard_and_downloads_the_countersigned_pdf(
        app: Flask, live_server: LiveServer, browser: Any, tmp_path: Path,
        dpa_signing_pem: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, "bob@example.com")
    page.get_by_role("link", name="Privacy settings").first.click()
    page.get_by_role("link", name="Data Processing Addendum (DPA)").click()
    page.wait_for_url(live_server.url + "/privacy/dpa")
    assert page.get_by_role("heading", name="Annex I: List of parties").is_visible()
    assert axe_serious(page, inside="#dpa-document") == []
    shoot(page, folder, "dpa-owner")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator("body").focus()  # keyboard only from here
    tab_to(page, "dpa-sign-link")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/privacy/dpa/sign")
    assert page.locator("#legal_name").input_value() == "Acme AI"  # pre-filled
    assert axe_serious(page, inside="#dpa-sign-form") == []
    page.locator("body").focus()
    tab_to(page, "legal_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Acme AI Limited")
    type_into(page, "address", "1 Harbour Square, Dublin 2, Ireland")
    type_into(page, "registration_number", "IE 654321")
    tab_to(page, "signer_name", limit=3)
    type_into(page, "signer_title", "Founder")
    tab_to(page, "signer_email", limit=3)
    tab_to(page, "authorised", limit=3)
    tab_to(page, "dpa-sign-submit", limit=3)
    page.keyboard.press("Enter")  # not ticked: refused, nothing recorded
    page.locator("#authorised-error").wait_for()
    assert axe_serious(page, inside="#dpa-sign-form") == []
    shoot(page, folder, "dpa-sign-refused")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#authorised").focus()
    page.keyboard.press("Space")
    tab_to(page, "dpa-sign-submit", limit=3)
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Signed.").wait_for()
    assert "Bob" in page.locator("#dpa-signed-current").inner_text()
    assert axe_serious(page, inside="#dpa-signatures") == []
    page.locator("#dpa-verify summary").focus()
    page.keyboard.press("Enter")  # open the proof
    shoot(page, folder, "dpa-signed")
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as info:
        page.locator("#dpa-download-2026-11-01").focus()
        page.keyboard.press("Enter")
    pdf = Path(info.value.path()).read_bytes()
    with open(dpa_signing_pem, "rb") as handle:
        result = verify(pdf, [handle.read()])
    assert result.intact and result.valid and result.trusted and result.covers_whole_file
    shown = page.locator("#dpa-verify").inner_text()
    assert result.document_sha256 in shown and result.certificate_sha256 in shown
    context.close()

    for email, name, inside in (("carol@example.com", "dpa-member", "#dpa-status"),
                                ("alice@example.com", "dpa-no-org", "#dpa-status")):
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        sign_in(page, live_server, email)
        page.goto(live_server.url + "/privacy/dpa")
        assert axe_serious(page, inside=inside) == []
        shoot(page, folder, name)
        if name == "dpa-member":
            assert "Bob Okafor" in page.locator("#dpa-ask-admin").inner_text()
        else:
            assert page.locator("#dpa-download-standard").is_visible()
        context.close()
