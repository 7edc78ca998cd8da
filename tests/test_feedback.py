"""Feedback and recovery on the customer pages: cancelling asks first and then says what
changed, once; statuses, sizes and dates in words people use; the proof one click away under
"Verify"; one "saved" message on the cookie settings page, and one after the banner too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from selfservice.services import outbox
from selfservice.text import human_size

from .helpers import Person, forms_of

API = "/privacy/api/v1"
SAVED = "Your cookie choices are saved."


def test_sizes_read_as_people_read_them() -> None:
    assert [human_size(n) for n in (0, 1, 812, 1024, 9_700, 57_246, 1_300_000, 5 * 1024 ** 3)] \
        == ["0 bytes", "1 byte", "812 bytes", "1 KB", "9.5 KB", "56 KB", "1.2 MB", "5 GB"]
    assert human_size(None) == ""


@pytest.mark.backends("sqlite")
def test_cancelling_asks_first_then_says_what_changed_once(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    created = person.api("POST", f"{API}/requests", json={"type": "objection"}).json()
    page = person.get(f"/privacy/requests/{created['id']}")
    link = f'href="/privacy/requests/{created["id"]}/cancel" id="request-cancel"'
    assert link in page.text and ">Received</span>" in page.text
    ask = person.get(f"/privacy/requests/{created['id']}/cancel")
    assert ask.status_code == 200 and "Cancel this request?" in ask.text
    assert 'id="confirm-cancel"' in ask.text and 'id="keep-request"' in ask.text
    # asking changed nothing
    assert person.api("GET", f"{API}/requests/{created['id']}", csrf=False).json()[
        "status"] == "received"
    [form] = [f for f in forms_of(ask.text) if f["action"].endswith("/cancel")]
    done = person.http.post(person.app_url + form["action"], data=form["fields"], timeout=10)
    assert done.url.endswith(f"/privacy/requests/{created['id']}")
    assert done.text.count("You cancelled this request.") == 1
    assert ">Cancelled</span>" in done.text and 'id="request-cancel"' not in done.text
    # a closed request has nothing to cancel: the page says so instead of asking
    again = person.get(f"/privacy/requests/{created['id']}/cancel")
    assert again.url.endswith(f"/privacy/requests/{created['id']}")
    assert "already closed, so there was nothing to cancel" in again.text


@pytest.mark.backends("sqlite")
def test_an_export_reads_plainly_and_keeps_its_proof_under_verify(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    created = person.api("POST", f"{API}/requests",
                         json={"type": "export", "details": {"formats": ["jsonl", "csv"]}})
    with app.app_context():
        outbox.work(burst=True)
    body = person.api("GET", f"{API}/requests/{created.json()['id']}", csrf=False).json()
    page = person.get(body["url"]).text
    assert ">Ready</span>" in page and "Your archive is ready to download." in page
    size = human_size(body["download"]["bytes"])
    assert f"{size}, {body['download']['records']:,} records" in page
    assert "bytes" not in page.split('id="download-size">')[1].split("</dd>")[0]
    assert "JSON Lines files, for programs; CSV files, for spreadsheets" in page
    assert "jsonl" not in re.sub(r"<[^>]+>", "", page).lower()  # no file extension as a word
    verify = page.split('<details class="ss-verify" id="download-verify">')[1].split(
        "</details>")[0]
    assert body["download"]["sha256"] in verify
    assert page.count(body["download"]["sha256"]) == 1  # only there
    # dates name their zone, and the script that shows them in the reader's zone is there once
    assert re.search(r'data-ss-time="datetime" datetime="[^"]+">[0-9-]{10} [0-9:]{5} UTC</time>',
                     page)
    assert page.count("local-time.js") == 1
    assert "Waiting for a worker" not in page


@pytest.mark.backends("sqlite")
def test_the_cookie_settings_say_saved_once(app: Flask, person: Person) -> None:
    settings = person.get("/privacy/cookies")
    [form] = [f for f in forms_of(settings.text) if f["action"].endswith("/cookie-consent")]
    saved = person.http.post(person.app_url + form["action"], timeout=10,
                             data={**form["fields"], "choice": "reject_all"})
    assert saved.url.endswith("/privacy/cookies")
    text = re.sub(r"<[^>]+>", " ", saved.text)
    assert text.count(SAVED) == 1 and "Your choice is saved" not in text


@pytest.mark.backends("sqlite")
def test_the_banner_says_what_it_saved_without_javascript(app: Flask, person: Person) -> None:
    home = person.get("/")
    [form] = [f for f in forms_of(home.text) if f["action"].endswith("/cookie-consent")]
    after: Any = person.http.post(person.app_url + form["action"], timeout=10,
                                  data={**form["fields"], "choice": "reject_all"})
    assert after.url == person.app_url + "/"
    assert 'id="ss-cookies"' not in after.text  # the banner gave way...
    assert f'<p id="ss-cb-status" class="ss-cb-status" role="status">{SAVED}</p>' in after.text
    assert SAVED not in person.get("/").text  # ...to one line, once
