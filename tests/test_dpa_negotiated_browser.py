"""In Chromium, by keyboard: an owner asks for changes to the DPA instead of signing it; a
privacy officer opens the DPA page of the support console, follows the request to the upload
form and stores the negotiated PDF (the file itself is chosen with set_input_files: a headless
browser has no file dialog to drive); the owner downloads it, a member sees it exists. Every
page passes axe-core with no serious violation and fits 320 px (screenshots at 320 and 1280 px:
SCREENSHOTS=folder keeps them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .dpa_pdfs import signed_pdf
from .helpers import LiveServer
from .test_browser import sign_in
from .test_cookie_browser import axe_serious
from .test_decisions_browser import SHOTS, shoot
from .test_dpa_browser import tab_to

CHANGES = "Clause 9: audits once a year, on 30 days' notice."


def _ask_for_changes(page: Any, live_server: LiveServer, folder: Path) -> str:
    sign_in(page, live_server, "bob@example.com")
    page.goto(live_server.url + "/privacy/dpa")
    page.locator("body").focus()
    tab_to(page, "dpa-ask-changes")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/privacy/dpa/changes")
    assert axe_serious(page, inside="#dpa-changes-form") == []
    tab_to(page, "dpa-changes-submit")
    page.keyboard.press("Enter")  # nothing written: refused, nothing recorded
    page.locator("#changes-error").wait_for()
    assert axe_serious(page, inside="#dpa-changes-form") == []
    shoot(page, folder, "dpa-changes-refused")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#changes").focus()
    page.keyboard.type(CHANGES)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "dpa-changes-submit"
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="received").wait_for()
    assert CHANGES in page.locator("#request-changes").inner_text()
    assert axe_serious(page, inside="#ss-request") == []
    shoot(page, folder, "dpa-changes-request")
    found = re.search(r"DR-[0-9A-Z]{4}-[0-9A-Z]{4}", page.locator("h1").inner_text())
    assert found, page.locator("h1").inner_text()
    return found[0]


def _upload_as_officer(page: Any, live_server: LiveServer, folder: Path, reference: str,
                       pdf_path: Path) -> None:
    sign_in(page, live_server, "pat@example.com")
    page.goto(live_server.url + "/privacy/support")
    page.locator("body").focus()
    tab_to(page, "officer-dpa")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/privacy/support/dpa")
    assert axe_serious(page, inside="#dpa-requests") == []
    shoot(page, folder, "support-dpa")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("body").focus()
    tab_to(page, f"upload-for-{reference}")
    page.keyboard.press("Enter")
    page.wait_for_url("**/privacy/support/dpa?**#upload")
    assert page.locator("#upload-request").input_value() == reference
    page.locator("#upload-org_id").focus()
    tab_to(page, "upload-version_label", limit=3)
    page.keyboard.type("Acme AI DPA, negotiated November 2026")
    tab_to(page, "upload-signed_on", limit=3)
    page.keyboard.type("11202026")  # the date field, as en-US lays it out: mm dd yyyy
    assert page.locator("#upload-signed_on").input_value() == "2026-11-20"
    tab_to(page, "upload-file", limit=3)
    page.locator("#upload-file").set_input_files(str(pdf_path))
    tab_to(page, "upload-submit", limit=3)
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Stored").wait_for()
    flashed = page.get_by_role("status").filter(has_text="Stored").inner_text()
    assert "(intact)" in flashed and f"{reference} is completed" in flashed
    assert axe_serious(page, inside="#dpa-orgs") == []
    shoot(page, folder, "support-dpa-uploaded")


@pytest.mark.backends("sqlite")
def test_an_owner_asks_for_changes_and_a_privacy_officer_uploads_the_negotiated_dpa(
        app: Flask, live_server: LiveServer, browser: Any, tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    pdf = signed_pdf(tmp_path)
    pdf_path = tmp_path / "acme-dpa-negotiated.pdf"
    pdf_path.write_bytes(pdf)
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    reference = _ask_for_changes(context.new_page(), live_server, folder)
    context.close()

    context = browser.new_context(bypass_csp=True)
    _upload_as_officer(context.new_page(), live_server, folder, reference, pdf_path)
    context.close()

    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, "bob@example.com")
    page.goto(live_server.url + "/privacy/dpa")
    assert axe_serious(page, inside="#dpa-negotiated") == []
    shoot(page, folder, "dpa-negotiated-owner")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("body").focus()
    tab_to(page, "dpa-negotiated-download-1")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert Path(info.value.path()).read_bytes() == pdf
    context.close()

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, "carol@example.com")
    page.goto(live_server.url + "/privacy/dpa")
    assert axe_serious(page, inside="#dpa-negotiated") == []
    assert page.locator("#dpa-negotiated a[href$='/pdf']").count() == 0
    assert "Bob Okafor" in page.locator("#dpa-negotiated").inner_text()
    shoot(page, folder, "dpa-negotiated-member")
    context.close()
