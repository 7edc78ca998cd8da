"""Error pages: the plugin's pages answer 403, 404, 410, 429 and 500 inside the host's layout,
with a way back; the JSON API keeps answering problem+json; the host's own routes keep their
error handling unless it opts in (SELFSERVICE_ERROR_PAGES = "app", as the demo does); a staff
route hidden from the caller answers exactly as a URL no route serves."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from flask import Flask

from .helpers import LiveServer, Person, csrf_token

API = "/privacy/api/v1"
LAYOUT = 'class="eh-brand"'  # the demo console's header


def main_of(html: str) -> str:
    """The page's main element, without what differs on every answer (nonces, tokens)."""
    found = re.search(r"<main\b.*?</main>", html, re.S)
    assert found, html[:300]
    return re.sub(r'(nonce|value)="[^"]*"', "", found[0])


@pytest.mark.backends("sqlite")
def test_a_plugin_page_error_is_shown_in_the_hosts_layout_with_a_way_back(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    referer = person.app_url + "/privacy/requests"
    missing = person.get("/privacy/requests/no-such-request", headers={"Referer": referer})
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/html")
    assert LAYOUT in missing.text and "We cannot find that page" in missing.text
    assert 'href="/privacy/requests" id="error-back"' in missing.text
    assert 'id="error-privacy"' in missing.text and 'id="error-home"' in missing.text
    # no way "back" to somewhere else, nor to the failing page itself
    elsewhere = person.get("/privacy/requests/no-such-request",
                           headers={"Referer": "https://evil.example/"})
    assert 'id="error-back"' not in elsewhere.text
    # the API keeps its problem+json
    problem = person.api("GET", f"{API}/requests/no-such-request", csrf=False)
    assert problem.status_code == 404
    assert problem.headers["Content-Type"] == "application/problem+json"


@pytest.mark.backends("sqlite")
def test_forbidden_and_gone_say_why_in_plain_words(app: Flask, make_person: Any) -> None:
    sam: Person = make_person()
    sam.login("sam@example.com")
    forbidden = sam.get("/privacy/support/legal-holds")
    assert forbidden.status_code == 403 and LAYOUT in forbidden.text
    assert "You cannot open this page" in forbidden.text
    assert "Only a privacy officer can do this." in forbidden.text  # what the guard said
    alice: Person = make_person()
    alice.login("alice@example.com")
    token = csrf_token(alice.get("/privacy/").text)
    expired = alice.http.post(alice.app_url + "/privacy/sessions/revoke-others",
                              data={"csrf_token": token + "x"}, timeout=10)
    assert expired.status_code == 400 and LAYOUT in expired.text
    assert "nothing was changed" in expired.text.lower()


@pytest.mark.backends("sqlite")
@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)
def test_a_failure_inside_a_plugin_page_is_a_500_page_that_tells_nothing_inside(
        app: Flask, make_person: Any) -> None:
    def broken_finder(email: str) -> str | None:
        raise RuntimeError("the host's account table is gone: SECRET-DETAIL")

    app.extensions["selfservice"].extension.account_finder(broken_finder)
    sam: Person = make_person()
    sam.login("sam@example.com")
    token = csrf_token(sam.get("/privacy/support").text)
    failed = sam.http.post(sam.app_url + "/privacy/support", timeout=10,
                           data={"csrf_token": token, "q": "alice@example.com"})
    assert failed.status_code == 500 and LAYOUT in failed.text
    assert "Something went wrong on our side" in failed.text
    assert "SECRET-DETAIL" not in failed.text and "RuntimeError" not in failed.text


@pytest.mark.backends("sqlite")
@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)
def test_the_host_opted_in_its_own_routes_get_the_page_too(
        app: Flask, live_server: LiveServer) -> None:
    assert app.config["SELFSERVICE_ERROR_PAGES"] == "app"  # the demo's choice
    unknown = requests.get(live_server.url + "/no-such-page", timeout=10)
    assert unknown.status_code == 404 and LAYOUT in unknown.text
    boom = requests.get(live_server.url + "/hosttest/boom", timeout=10)
    assert boom.status_code == 500 and "Something went wrong on our side" in boom.text
    assert "a bug in the host" not in boom.text


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_ERROR_PAGES="plugin")
def test_by_default_the_hosts_own_routes_keep_their_error_handling(
        app: Flask, person: Person, live_server: LiveServer) -> None:
    unknown = requests.get(live_server.url + "/no-such-page", timeout=10)
    assert unknown.status_code == 404 and LAYOUT not in unknown.text  # Werkzeug's page
    person.login("alice@example.com")
    assert LAYOUT in person.get("/privacy/requests/no-such-request").text


@pytest.mark.backends("sqlite")
def test_a_handler_the_host_registered_for_a_status_wins_on_the_plugins_pages_too(
        app: Flask, person: Person) -> None:
    app.register_error_handler(404, lambda error: ("the host's own 404", 404))
    person.login("alice@example.com")
    mine = person.get("/privacy/requests/no-such-request")
    assert (mine.status_code, mine.text) == (404, "the host's own 404")
    assert person.get("/privacy/support").text == "the host's own 404"  # hidden: the same


def _hidden_and_unknown(person: Person) -> tuple[requests.Response, requests.Response]:
    person.login("alice@example.com")
    hidden, unknown = person.get("/privacy/support"), person.get("/privacy/no-such-page")
    assert hidden.status_code == unknown.status_code == 404
    return hidden, unknown


@pytest.mark.backends("sqlite")
def test_a_hidden_staff_page_answers_as_a_url_no_route_serves(
        app: Flask, person: Person) -> None:
    hidden, unknown = _hidden_and_unknown(person)  # the demo: the page for both
    assert LAYOUT in hidden.text and main_of(hidden.text) == main_of(unknown.text)


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_ERROR_PAGES="plugin")
def test_a_hidden_staff_page_answers_as_the_hosts_unknown_url(
        app: Flask, person: Person) -> None:
    hidden, unknown = _hidden_and_unknown(person)  # the host's answer (Werkzeug's) for both
    assert hidden.text == unknown.text and LAYOUT not in hidden.text
