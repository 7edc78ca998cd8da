"""Each right's page in a real browser (Debian Chromium driven by Playwright), by keyboard only:
Tab to each field, type, choose, send; the request made is the right's own. What was typed
while a request of the same kind is open comes back and is added to it by keyboard too. The
export form is closed while the interval holds, and says when it opens in the reader's time
zone and language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from .helpers import LiveServer, Person
from .test_layout_browser import _tab_to
from .test_requests import run_jobs
from .test_rights_pages import API, _denied, requests_of

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def signed_in(live_server: LiveServer, browser: Any) -> Iterator[Any]:
    """Opens a browser context signed in as ``email`` (the cookie banner answered)."""
    contexts: list[Any] = []

    def open_as(email: str, **options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server.url + "/auth/login?next=/privacy/requests")
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill("any")
        page.locator("button[type=submit]").click()
        page.wait_for_url(live_server.url + "/privacy/requests")
        page.locator("#ss-cookies button").first.wait_for()
        page.get_by_role("button", name=re.compile("Reject all|Alle ablehnen")).click()
        page.locator("#ss-cookies").wait_for(state="hidden")
        return page

    yield open_as
    for context in contexts:
        context.close()


def _send(page: Any) -> None:
    """Tab to the form's button and press Enter; the request's page opens."""
    _tab_to(page, "send-request")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/privacy/requests/[0-9a-f]+$"))
    page.get_by_role("status").filter(has_text="We received your request").wait_for()


def _open(page: Any, base: str, slug: str) -> None:
    page.goto(f"{base}/privacy/rights/{slug}")
    page.locator("h1").wait_for()


def _latest(person: Person, kind: str) -> dict[str, Any]:
    return next(r for r in requests_of(person) if r["type"] == kind)


def test_each_right_is_asked_for_by_keyboard_only(app: Flask, live_server: LiveServer,
                                                   make_person: Any, signed_in: Any) -> None:
    base = live_server.url
    alice, pat = make_person(), make_person()
    alice.login("alice@example.com")
    pat.login("pat@example.com")
    declined = alice.ask("objection", jurisdiction="us_state", details={"state": "VA"})
    _denied(pat, declined)
    page = signed_in("alice@example.com")

    _open(page, base, "export")  # a checkbox, by the space bar
    _tab_to(page, "csv")
    page.keyboard.press("Space")
    _send(page)
    assert _latest(alice, "export")["details"] == {"formats": ["jsonl", "csv"]}

    _open(page, base, "correction")  # two boxes
    _tab_to(page, "wrong")
    page.keyboard.type("My billing name")
    _tab_to(page, "should_be", most=1)
    page.keyboard.type("Alice Liddell")
    _send(page)
    assert _latest(alice, "correction")["details"] == {
        "description": "What is wrong:\nMy billing name\n\nWhat it should be:\nAlice Liddell"}

    _open(page, base, "restriction")  # words, then the law and the state by their names
    _tab_to(page, "description")
    page.keyboard.type("My usage logs")
    _tab_to(page, "jurisdiction", most=1)
    page.keyboard.type("Another")
    _tab_to(page, "state", most=1)
    page.keyboard.type("Colorado")
    _send(page)
    made = _latest(alice, "restriction")
    assert (made["jurisdiction"], made["details"]) == (
        "us_state", {"description": "My usage logs", "state": "CO"})

    for slug, kind in (("objection", "objection"),
                       ("automated-decision-review", "automated_decision_review")):
        _open(page, base, slug)
        _tab_to(page, "description")
        page.keyboard.type(f"About {slug}")
        _send(page)
        assert _latest(alice, kind)["details"] == {"description": f"About {slug}"}

    _open(page, base, "limit-sensitive-data")  # the switch, then a request
    _tab_to(page, "setting-switch")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="We now use your sensitive").wait_for()
    _tab_to(page, "description")
    page.keyboard.type("My location")
    _send(page)
    assert _latest(alice, "limit_sensitive_data")["details"] == {"description": "My location"}

    _open(page, base, "opt-out-of-sale")  # a switch only
    _tab_to(page, "setting-switch")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="You opted out").wait_for()
    preferences = alice.api("GET", API + "/preferences", csrf=False).json()
    assert preferences["limit_sensitive_data"] and preferences["do_not_sell_or_share"]

    _open(page, base, "appeal")  # a decision, by the space bar, and why
    _tab_to(page, "decision-1")
    page.keyboard.press("Space")
    _tab_to(page, "words", most=1)
    page.keyboard.type("The state is right")
    _send(page)
    appeal = alice.api("GET", f"{API}/requests/{_latest(alice, 'appeal')['id']}",
                       csrf=False).json()
    assert appeal["appeal_of"]["id"] == declined["id"]

    bob_page = signed_in("bob@example.com")  # portability: the export's form, JSON Lines
    _open(bob_page, base, "portability")
    _send(bob_page)
    bob = make_person()
    bob.login("bob@example.com")
    assert _latest(bob, "export")["details"] == {"formats": ["jsonl"]}


def test_what_was_typed_comes_back_and_is_added_by_keyboard(
        app: Flask, live_server: LiveServer, make_person: Any, signed_in: Any) -> None:
    alice = make_person()
    alice.login("alice@example.com")
    first = alice.ask("correction", details={"description": "My billing name is wrong"})
    page = signed_in("alice@example.com")
    _open(page, live_server.url, "correction")
    assert page.locator("#open-request").is_visible()  # before the form
    _tab_to(page, "wrong")
    page.keyboard.type("My postal address")
    _tab_to(page, "should_be", most=1)
    page.keyboard.type("7 Park Lane, York")
    _tab_to(page, "send-request")
    with page.expect_navigation() as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 409
    page.get_by_role("alert").filter(has_text="We did not send a second request").wait_for()
    assert page.locator("#wrong").input_value() == "My postal address"
    assert page.locator("#should_be").input_value() == "7 Park Lane, York"
    kept = page.locator("#add-text").input_value()
    assert "My postal address" in kept and "7 Park Lane, York" in kept
    _tab_to(page, "add-details")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/privacy/requests/{first['id']}")
    page.get_by_role("status").filter(has_text="We added what you wrote").wait_for()
    description = alice.api("GET", f"{API}/requests/{first['id']}", csrf=False).json()[
        "details"]["description"].replace("\r\n", "\n")  # a browser sends CR LF
    assert description.startswith("My billing name is wrong\n\n[")
    assert description.endswith("What is wrong:\nMy postal address\n\nWhat it should be:\n"
                                "7 Park Lane, York")
    assert len(requests_of(alice)) == 1


def test_the_export_form_says_when_it_opens_in_the_readers_zone_and_language(
        app: Flask, live_server: LiveServer, make_person: Any, signed_in: Any) -> None:
    alice = make_person()
    alice.login("alice@example.com")
    first = alice.ask("export")
    run_jobs(app)
    opens = datetime.fromisoformat(
        alice.api("GET", API + "/requests", csrf=False).json()["next_export_at"])
    page = signed_in("alice@example.com", timezone_id="Asia/Tokyo", locale="de-DE",
                     extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"})
    _open(page, live_server.url, "export")
    assert page.locator("#send-request").is_disabled()
    assert page.locator("#csv").is_disabled()
    said = page.locator("#next-export").inner_text()
    tokyo = opens.astimezone(ZoneInfo("Asia/Tokyo"))
    assert said.startswith("Ihre nächste Kopie können Sie ab ")
    assert f"{tokyo.day}." in said and str(tokyo.year) in said, said
    assert f"{tokyo:%H:%M}" in said and "UTC" not in said, said
    link = page.locator("#last-archive-download")
    assert link.get_attribute("href") == f"/privacy/requests/{first['id']}/download"
    assert link.inner_text() == "Letzte Kopie herunterladen"
