"""A page per right, through the real login, services and database: each page asks only for
what its request carries and sends its own type; an open request of the same kind comes
first, and what was typed is never lost (added to the open request instead); the export form
is closed while the interval holds; an appeal names one of the customer's own decisions; the
generic URL still takes the old form; and German pages have no English left."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice.models import AuditEvent

from .german import english_left
from .helpers import Person, csrf_token
from .test_requests import run_jobs

API = "/privacy/api/v1"
DE = {"Accept-Language": "de-DE,de;q=0.9"}
#: words english_left() counts as English that German uses too ("was Sie tun möchten")
GERMAN_TOO = frozenset({"was", "so"})


class _Fields(HTMLParser):
    """The names of every field of the form with ``id``, and of every form's action."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.names = form_id, False, set[str]()
        self.disabled = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif self.inside and tag in ("input", "select", "textarea") and a.get("name"):
            self.names.add(str(a["name"]))
        elif self.inside and tag == "fieldset" and "disabled" in a:
            self.disabled = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def fields(html: str, form_id: str = "right-form") -> set[str]:
    parser = _Fields(form_id)
    parser.feed(html)
    return parser.names


def form_disabled(html: str, form_id: str = "right-form") -> bool:
    parser = _Fields(form_id)
    parser.feed(html)
    return parser.disabled


def requests_of(person: Person) -> list[dict[str, Any]]:
    return person.api("GET", API + "/requests", csrf=False).json()[  # type: ignore[no-any-return]
        "requests"]


def post(person: Person, path: str, fields: dict[str, str], page: str | None = None,
         headers: dict[str, str] | None = None) -> Any:
    token = csrf_token(person.get(page or path).text)
    return person.http.post(person.app_url + path, data={"csrf_token": token, **fields},
                            allow_redirects=False, timeout=10, headers=headers or {})


LAW = {"csrf_token", "jurisdiction", "state"}
#: right -> (the fields of its form, what is typed, the request it makes: type, details)
RIGHTS: dict[str, tuple[set[str], dict[str, str], str, dict[str, Any]]] = {
    "export": ({"csrf_token", "csv"}, {"csv": "y"}, "export",
               {"formats": ["jsonl", "csv"]}),
    "portability": ({"csrf_token", "csv"}, {}, "export", {"formats": ["jsonl"]}),
    "correction": (LAW | {"wrong", "should_be"},
                   {"wrong": "My billing name", "should_be": "Alice Liddell",
                    "jurisdiction": "gdpr"}, "correction",
                   {"description": "What is wrong:\nMy billing name\n\nWhat it should be:\n"
                                   "Alice Liddell"}),
    "restriction": (LAW | {"description"},
                    {"description": "My usage logs", "jurisdiction": "us_state", "state": "CO"},
                    "restriction", {"description": "My usage logs", "state": "CO"}),
    "objection": (LAW | {"description"}, {"description": "", "jurisdiction": "uk_gdpr"},
                  "objection", {}),
    "automated-decision-review": (LAW | {"description"},
                                  {"description": "Suspended on 3 November",
                                   "jurisdiction": "gdpr", "state": "CO"},
                                  "automated_decision_review",
                                  {"description": "Suspended on 3 November"}),
    "limit-sensitive-data": (LAW | {"description"},
                             {"description": "My location", "jurisdiction": "ccpa"},
                             "limit_sensitive_data", {"description": "My location"}),
}


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("slug", list(RIGHTS))
def test_each_rights_page_asks_only_its_fields_and_sends_its_own_request(
        app: Flask, person: Person, slug: str) -> None:
    form, typed, kind, details = RIGHTS[slug]
    person.login("alice@example.com")
    page = person.get(f"/privacy/rights/{slug}")
    assert page.status_code == 200
    assert fields(page.text) == form
    sent = post(person, f"/privacy/rights/{slug}", typed)
    assert sent.status_code == 303, sent.text[:400]
    [made] = requests_of(person)
    assert (made["type"], made["details"]) == (kind, details)
    assert sent.headers["Location"] == made["url"]
    shown = person.get(made["url"]).text
    assert f"We received your request {made['reference']}" in shown
    if typed.get("jurisdiction"):
        assert made["jurisdiction"] == typed["jurisdiction"]


@pytest.mark.backends("sqlite")
def test_the_chooser_lists_every_right_and_deletion_as_danger(app: Flask,
                                                              person: Person) -> None:
    person.login("alice@example.com")
    page = person.get("/privacy/requests").text
    for slug in [*RIGHTS, "opt-out-of-sale", "appeal"]:
        assert f'href="/privacy/rights/{slug}"' in page, slug
        assert person.get(f"/privacy/rights/{slug}").status_code == 200, slug
    assert re.search(r'class="ss-button ss-button-danger" href="/privacy/delete" '
                     r'id="delete-account"', page)
    assert 'href="/privacy/preferences" id="withdraw-consent"' in page
    assert person.get("/privacy/rights/no-such-right").status_code == 404
    # the old links open the right's page
    old = person.http.get(person.app_url + "/privacy/requests?type=correction",
                          allow_redirects=False, timeout=10)
    assert old.headers["Location"] == "/privacy/rights/correction"
    assert person.http.get(person.app_url + "/privacy/rights", allow_redirects=False,
                           timeout=10).headers["Location"] == "/privacy/requests#rights"


@pytest.mark.backends("sqlite")
def test_what_was_typed_is_kept_and_added_to_the_open_request(
        app: Flask, person: Person, make_person: Any) -> None:
    person.login("alice@example.com")
    first = person.ask("correction", details={"description": "My billing name is wrong"})
    page = person.get("/privacy/rights/correction").text
    # the open request comes before the form, with a box to add to it
    assert page.index('id="open-request"') < page.index('id="right-form"')
    assert first["reference"] in page and 'id="add-form"' in page
    typed = {"wrong": "My postal address", "should_be": "7 Park Lane, York",
             "jurisdiction": "uk_gdpr", "state": ""}
    again = post(person, "/privacy/rights/correction", typed)
    assert again.status_code == 409  # not a redirect: nothing typed is lost
    assert 'id="right-conflict"' in again.text and "We did not send a second request" in again.text
    for words in ("My postal address", "7 Park Lane, York"):
        assert again.text.count(words) == 2, words  # in the form, and ready to add
    assert re.search(r'<option value="uk_gdpr" selected>', again.text)
    assert len(requests_of(person)) == 1
    # "add details": appended to the open request, with a note in its timeline
    token = csrf_token(again.text)
    added = person.http.post(f"{person.app_url}/privacy/requests/{first['id']}/details",
                             data={"add-csrf_token": token,
                                   "add-text": "My postal address is 7 Park Lane, York"},
                             allow_redirects=False, timeout=10)
    assert added.status_code == 303 and added.headers["Location"] == first["url"]
    shown = person.get(first["url"]).text
    assert f"We added what you wrote to {first['reference']}" in shown
    body = person.api("GET", f"{API}/requests/{first['id']}", csrf=False).json()
    assert re.fullmatch(r"My billing name is wrong\n\n\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\]\n"
                        r"My postal address is 7 Park Lane, York",
                        body["details"]["description"])
    assert body["events"][-1]["note"] == "Details added by you"
    assert body["status"] == "received"
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        [event] = session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "request.details_added")).all()
        assert event.target_id == first["id"]
        assert event.details == {"reference": first["reference"], "characters": 38}
    # another account's request: 404, and nothing added
    bob: Person = make_person()
    bob.login("bob@example.com")
    token = csrf_token(bob.get("/privacy/rights/correction").text)
    foreign = bob.http.post(f"{bob.app_url}/privacy/requests/{first['id']}/details",
                            data={"add-csrf_token": token, "add-text": "Mine now"},
                            allow_redirects=False, timeout=10)
    assert foreign.status_code == 404
    # without the CSRF token: refused, and what was written comes back
    forged = person.http.post(f"{person.app_url}/privacy/requests/{first['id']}/details",
                              data={"add-text": "Forged words"}, allow_redirects=False,
                              timeout=10)
    assert forged.status_code == 400 and "Forged words" in forged.text
    description = person.api("GET", f"{API}/requests/{first['id']}", csrf=False).json()[
        "details"]["description"]
    assert "Mine now" not in description and "Forged" not in description


@pytest.mark.backends("sqlite")
def test_an_addition_to_a_request_closed_meanwhile_is_kept_for_a_new_one(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    first = person.ask("objection")
    token = csrf_token(person.get("/privacy/rights/objection").text)
    assert person.api("POST", f"{API}/requests/{first['id']}/cancel").status_code == 200
    late = person.http.post(f"{person.app_url}/privacy/requests/{first['id']}/details",
                            data={"add-csrf_token": token, "add-text": "Also my prompts"},
                            allow_redirects=False, timeout=10)
    assert late.status_code == 409 and 'id="right-closed"' in late.text
    assert re.search(r'<textarea id="description"[^>]*>Also my prompts</textarea>', late.text)


def test_the_api_adds_details_to_an_own_open_request_only(backend: str, app: Flask,
                                                          person: Person,
                                                          make_person: Any) -> None:
    person.login("alice@example.com")
    first = person.ask("restriction")
    path = f"{API}/requests/{first['id']}/details"
    added = person.api("POST", path, json={"text": "Only my usage logs"})
    assert added.status_code == 200, added.text
    assert added.json()["details"] == {"description": "Only my usage logs"}
    assert person.api("POST", path, json={"text": ""}).status_code == 422
    assert person.api("POST", path, json={"text": "x", "more": 1}).status_code == 422
    assert person.api("POST", path, json={"text": "bad\u0000"}).status_code == 422
    assert person.api("POST", path, json={"text": "x"}, csrf=False).status_code == 403
    for _ in range(2):
        assert person.api("POST", path, json={"text": "y" * 1900}).status_code == 200
    full = person.api("POST", path, json={"text": "z" * 200})
    assert full.status_code == 422
    assert full.json()["errors"] == [{"field": "text", "message": "is too long for this "
                                      "request: 107 more characters fit"}]
    bob: Person = make_person()
    bob.login("bob@example.com")
    assert bob.api("POST", path, json={"text": "Mine"}).status_code == 404
    assert bob.api("POST", f"{API}/requests/nope/details",
                   json={"text": "Mine"}).status_code == 404
    export = person.ask("export")
    refused = person.api("POST", f"{API}/requests/{export['id']}/details", json={"text": "x"})
    assert refused.status_code == 409
    person.api("POST", f"{API}/requests/{first['id']}/cancel")
    assert person.api("POST", path, json={"text": "late"}).status_code == 409


@pytest.mark.backends("sqlite")
def test_the_export_form_is_closed_while_the_interval_holds(app: Flask,
                                                             person: Person) -> None:
    person.login("alice@example.com")
    page = person.get("/privacy/rights/export").text
    assert not form_disabled(page) and 'id="next-export"' not in page
    first = person.ask("export", details={"formats": ["jsonl", "csv"]})
    run_jobs(app)
    page = person.get("/privacy/rights/export").text
    assert form_disabled(page)
    next_at = person.api("GET", API + "/requests", csrf=False).json()["next_export_at"]
    opens = datetime.fromisoformat(next_at)
    assert timedelta(hours=23) < opens - datetime.now(UTC) <= timedelta(hours=24)
    assert re.search(r'id="next-export">You can ask for your next copy from <script[^>]*>'
                     r'</script><time [^>]*data-ss-time="datetime" datetime="'
                     + re.escape(opens.isoformat()) + '">', page)
    assert f'href="/privacy/requests/{first["id"]}/download" id="last-archive-download"' in page
    assert first["reference"] in page
    # a form sent anyway (a tab left open) says so, and makes nothing
    token = csrf_token(page)
    late = person.http.post(person.app_url + "/privacy/rights/export",
                            data={"csrf_token": token, "csv": "y"}, allow_redirects=False,
                            timeout=10)
    assert late.status_code == 429 and 'id="right-too-soon"' in late.text
    assert 'id="csv" name="csv" value="y" checked' in late.text
    assert len(requests_of(person)) == 1
    # the chooser says when too
    assert 'id="next-export"' in person.get("/privacy/requests").text


def _denied(pat: Person, created: dict[str, Any]) -> None:
    response = pat.api("POST", f"{API}/support/requests/{created['reference']}/decision",
                       json={"outcome": "denied", "reason_code": "identity_not_verified",
                             "message": "The name does not match."})
    assert response.status_code == 200, response.text


@pytest.mark.backends("sqlite")
def test_an_appeal_names_one_of_the_customers_own_decisions(app: Flask,
                                                            make_person: Any) -> None:
    alice, bob, pat = (make_person() for _ in range(3))
    for who, email in ((alice, "alice"), (bob, "bob"), (pat, "pat")):
        who.login(f"{email}@example.com")
    page = alice.get("/privacy/rights/appeal").text
    assert 'id="appeal-none"' in page and 'id="right-form"' not in page
    hers = alice.ask("restriction", jurisdiction="us_state", details={"state": "CO"})
    gdpr = alice.ask("objection", jurisdiction="gdpr")
    his = bob.ask("restriction", jurisdiction="us_state", details={"state": "VA"})
    for created in (hers, gdpr, his):
        _denied(pat, created)
    page = alice.get("/privacy/rights/appeal").text
    assert fields(page) == {"csrf_token", "decision", "words"}
    assert f'value="{hers["id"]}"' in page and hers["reference"] in page
    # each decision says why it was declined, in the reader's words
    assert re.search(r'id="decision-1-hint">We could not confirm that the request came from '
                     r'you\. You can appeal until', page)
    assert gdpr["id"] not in page  # no appeal to us under the GDPR
    assert his["id"] not in page and his["reference"] not in page
    # the declined request's page leads here with its decision chosen
    declined = alice.get(f"/privacy/requests/{hers['id']}").text
    assert f'href="/privacy/rights/appeal?decision={hers["id"]}" id="request-appeal-words"' \
        in declined
    chosen = alice.get(f"/privacy/rights/appeal?decision={hers['id']}").text
    assert re.search(rf'value="{hers["id"]}" checked', chosen)
    # Bob's decision, sent anyway: refused, nothing made
    refused = post(alice, "/privacy/rights/appeal", {"decision": his["id"], "words": "x"})
    assert refused.status_code == 400 and "Choose one of the decisions listed here" in refused.text
    assert not [r for r in requests_of(alice) if r["type"] == "appeal"]
    assert not [r for r in requests_of(bob) if r["type"] == "appeal"]
    none = post(alice, "/privacy/rights/appeal", {"words": "Please look again"})
    assert none.status_code == 400 and "Choose the decision you appeal" in none.text
    assert "Please look again" in none.text
    sent = post(alice, "/privacy/rights/appeal",
                {"decision": hers["id"], "words": "My passport shows the name."})
    assert sent.status_code == 303, sent.text[:400]
    [appeal] = [r for r in requests_of(alice) if r["type"] == "appeal"]
    body = alice.api("GET", f"{API}/requests/{appeal['id']}", csrf=False).json()
    assert body["appeal_of"] == {"id": hers["id"], "reference": hers["reference"]}
    assert body["details"] == {"description": f"Appeal of the decision on {hers['reference']}"
                                              "\n\nMy passport shows the name.", "state": "CO"}
    received = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["due_at"]) == received + timedelta(days=60)
    # appealed: no longer offered; the open appeal comes first
    page = alice.get("/privacy/rights/appeal").text
    assert 'id="appeal-none"' in page and appeal["reference"] in page
    # no appeal to us under the GDPR: its page does not offer one
    assert 'id="request-appeal-words"' not in alice.get(f"/privacy/requests/{gdpr['id']}").text


@pytest.mark.backends("sqlite")
def test_the_generic_form_still_sends_requests_and_never_an_unnamed_appeal(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    sent = post(person, "/privacy/requests", {"type": "objection", "jurisdiction": "gdpr",
                                              "description": "Analytics"})
    assert sent.status_code == 303
    [made] = requests_of(person)
    assert (made["type"], made["details"]) == ("objection", {"description": "Analytics"})
    again = post(person, "/privacy/requests", {"type": "objection", "jurisdiction": "gdpr",
                                               "description": "And marketing"},
                 page="/privacy/rights/objection")
    assert again.status_code == 409 and again.text.count("And marketing") == 2
    appeal = post(person, "/privacy/requests", {"type": "appeal", "jurisdiction": "us_state",
                                                "state": "CO", "description": ""},
                  page="/privacy/rights/objection")
    assert appeal.status_code == 400 and "Choose the decision you appeal" in appeal.text
    assert len(requests_of(person)) == 1


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("slug", "setting"), [("opt-out-of-sale", "do_not_sell_or_share"),
                                               ("limit-sensitive-data",
                                                "limit_sensitive_data")])
def test_a_right_that_is_a_setting_is_switched_at_once(app: Flask, person: Person, slug: str,
                                                       setting: str) -> None:
    person.login("alice@example.com")
    page = person.get(f"/privacy/rights/{slug}").text
    assert 'id="setting-state"' in page and 'value="on"' in page
    for value, words in (("on", "You opted out" if "sale" in slug else "We now use"),
                         ("on", "Nothing changed"), ("off", "again" if "sale" in slug
                                                     else "You lifted the limit")):
        switched = post(person, f"/privacy/rights/{slug}/setting", {"value": value})
        assert switched.status_code == 303
        assert words in person.get(switched.headers["Location"]).text
        assert person.api("GET", API + "/preferences", csrf=False).json()[setting] is (
            value == "on")
    assert post(person, f"/privacy/rights/{slug}/setting",
                {"value": "maybe"}).status_code == 400
    assert post(person, "/privacy/rights/correction/setting",
                {"value": "on"}).status_code == 404
    events = person.api("GET", API + "/consent-events", csrf=False).json()["events"]
    assert [e["granted"] for e in events if e["purpose"] == setting][-2:] == [True, False]


def plugin_part(html: str) -> str:
    """The plugin's page, without the host's layout around it (the host's own language)."""
    start = html.index('<div class="ss-page"')
    return html[start:html.rindex("</main>")]


@pytest.mark.backends("sqlite")
def test_the_rights_pages_in_german_have_no_english_left(app: Flask,
                                                         make_person: Any) -> None:
    alice, pat = make_person(), make_person()
    alice.login("alice@example.com")
    pat.login("pat@example.com")
    export = alice.ask("export", details={"formats": ["jsonl", "csv"]})
    run_jobs(app)
    correction = alice.ask("correction", details={"description": "Mein Name ist falsch"})
    denied = alice.ask("restriction", jurisdiction="us_state", details={"state": "CO"})
    _denied(pat, denied)
    token = csrf_token(alice.get(f"/privacy/requests/{denied['id']}").text)
    appealed = alice.http.post(f"{alice.app_url}/privacy/requests/{denied['id']}/appeal",
                               data={"csrf_token": token}, allow_redirects=False, timeout=10)
    appeal = appealed.headers["Location"]
    alice.get(appeal)  # its message shown once
    assert "Einspruch gegen die Entscheidung zu" in alice.get(appeal, headers=DE).text
    pages = {f"/privacy/rights/{slug}" for slug in [*RIGHTS, "opt-out-of-sale", "appeal"]}
    pages.add(appeal)
    pages |= {"/privacy/requests", f"/privacy/requests/{correction['id']}",
              f"/privacy/requests/{export['id']}", f"/privacy/requests/{denied['id']}",
              f"/privacy/requests/{correction['id']}/cancel"}
    for path in sorted(pages):
        page = alice.get(path, headers=DE)
        assert page.status_code == 200, path
        assert english_left(plugin_part(page.text), allowed=GERMAN_TOO) == [], path
    # a form sent while one is open, and a copy asked for too soon: in German too
    kept = post(alice, "/privacy/rights/correction",
                {"wrong": "Adresse", "should_be": "Hauptstraße 1", "jurisdiction": "gdpr"},
                headers=DE)
    assert kept.status_code == 409
    assert "Wir haben keine zweite Anfrage gesendet" in kept.text
    assert english_left(plugin_part(kept.text), allowed=GERMAN_TOO) == []
    soon = post(alice, "/privacy/rights/export", {"csv": "y"}, headers=DE)
    assert soon.status_code == 429
    assert english_left(plugin_part(soon.text), allowed=GERMAN_TOO) == []
    # the same pages in English still read as before
    english = alice.get("/privacy/rights/correction").text
    assert "Correct your data" in english and "What happens next" in english
