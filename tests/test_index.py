"""The Privacy settings page answers at a glance: each area's state now (training and since
when, marketing, open requests, the next export, cookies, the organisation's policy, the DPA,
sub-processor notices, a deletion under way), each card leading to its page; and the page of
what we hold about the customer. In English and in German, in a fixed number of statements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask

from devtools.services import OidcProvider, RedisServer
from selfservice.services import deletion, dpa_negotiated, outbox, overview

from .conftest import build_app, drop_app
from .dpa_pdfs import plain_pdf
from .german import english_left
from .helpers import LiveServer, Person

API = "/privacy/api/v1"
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def page_part(html: str) -> str:
    """The plugin's page, without the host's layout around it."""
    start = html.index('<div class="ss-page"')
    return html[start:html.rindex("</main>")]


def text_of(html: str, element_id: str) -> str:
    """The words of the element with ``element_id`` (up to its closing tag), tags removed."""
    found = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no #{element_id}"
    return words(found[2])


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def card(html: str, name: str) -> str:
    """The words of one card (``card-training``, ...)."""
    start = html.index(f'id="card-{name}"')
    end = html.find('class="ss-card', start)
    return words(html[start:end])


def signed_in(make_person: Any, email: str) -> Person:
    person: Person = make_person()
    person.login(email)
    return person


def index(person: Person, **headers: str) -> str:
    page = person.get("/privacy/", headers=headers)
    assert page.status_code == 200, page.text[-2000:]
    return page_part(page.text)


# -- the cards' states -------------------------------------------------------------------------

def test_training_and_marketing_say_on_or_off_and_since_when(app: Flask, backend: str,
                                                             make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    html = index(alice)
    assert text_of(html, "training-state") == "Off"
    assert "Your content is not used to train models unless you opt in." in card(html, "training")
    assert "Since" not in card(html, "training")  # never opted in: off from the start
    assert text_of(html, "marketing-state") == "Off"

    changed = alice.api("PATCH", API + "/preferences",
                        json={"training_opt_in": True, "marketing_emails": True})
    assert changed.status_code == 200, changed.text
    html = index(alice)
    assert text_of(html, "training-state") == "On"
    today = changed.json()["updated_at"][:10]
    assert f'datetime="{today}' in html.split('id="card-training"')[1].split("</li>")[0]
    assert "Since" in card(html, "training") and "withdraw your consent" in card(html, "training")
    assert text_of(html, "marketing-state") == "On"
    # the head of each card is the link to its page
    assert 'href="/privacy/preferences#training" id="training-link"' in html


def test_open_requests_and_the_export_interval(app: Flask, backend: str,
                                               make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    html = index(alice)
    assert text_of(html, "open-requests") == "No open requests"
    assert text_of(html, "export-state") == "You can ask for a copy now"
    assert 'id="new-request"' in html

    correction = alice.ask("correction", details={"description": "My billing name is wrong"})
    export = alice.ask("export")
    html = index(alice)
    assert text_of(html, "open-requests") == "2 open requests"
    requests = card(html, "requests")
    assert f"Correction Received {correction['reference']}" in requests
    assert f"Copy of your data Waiting to start {export['reference']}" in requests
    assert f'href="/privacy/requests/{correction["id"]}"' in html
    assert "We are preparing your copy." in card(html, "export")

    with app.app_context():
        outbox.work(burst=True)  # the export is built
    html = index(alice)
    assert text_of(html, "open-requests") == "1 open request"
    assert export["reference"] not in card(html, "requests")
    # the interval holds: the next export's date, and the archive ready to download
    assert text_of(html, "export-state").startswith("Next copy from ")
    assert "is ready to download until" in text_of(html, "export-ready")
    assert f'href="/privacy/requests/{export["id"]}"' in html


def test_a_deletion_under_way_comes_first_and_a_scheduled_one_locks_the_page(
        app: Flask, backend: str, make_person: Any) -> None:
    carol = signed_in(make_person, "carol@example.com")
    assert "card-deletion" in index(carol)
    assert 'id="deletion-state"' not in index(carol)
    with app.app_context():
        identity = app.extensions["selfservice"].extension.load_identity("acct-carol")
        started, _ = deletion.start(identity)
    html = index(carol)
    assert html.index('id="card-deletion"') < html.index('id="areas"')  # above the cards
    assert text_of(html, "deletion-state") == "Not confirmed yet"
    assert f"(request {started.reference}). Nothing is erased until you confirm it" in card(
        html, "deletion")
    assert 'href="/privacy/delete" id="deletion-continue"' in html
    assert "Deletion of your account" in card(html, "requests")

    with app.app_context():
        deletion.confirm(identity, started.id, "carol@example.com")
    again = signed_in(make_person, "carol@example.com")  # the confirmation signed her out
    assert again.get("/privacy/").url.endswith("/privacy/delete/scheduled")


def test_an_organisation_admin_sees_the_dpa_as_it_stands(app: Flask, backend: str,
                                                         make_person: Any) -> None:
    bob = signed_in(make_person, "bob@example.com")
    html = index(bob)
    assert text_of(html, "dpa-state") == "Not signed"
    assert "Acme AI has not signed it yet." in card(html, "dpa")
    assert "Model training: Each member decides." in card(html, "organisation")
    assert "You can set it for every member." in card(html, "organisation")
    assert "you can subscribe Acme AI to e-mail notices" in text_of(html, "subprocessor-notices")

    current = bob.api("GET", API + "/dpa", csrf=False).json()["current"]["version"]
    signed = bob.api("POST", API + "/dpa/signatures", json={
        "version": current, "legal_name": "Acme AI Limited", "address": "1 Harbour Square",
        "signer_name": "Bob Okafor", "signer_title": "Founder",
        "signer_email": "bob@example.com", "authorised": True})
    assert signed.status_code == 201, signed.text
    assert bob.api("PUT", API + "/dpa/subprocessor-subscription",
                   json={"subscribed": True}).status_code == 200
    assert bob.api("PUT", API + "/org/training-policy",
                   json={"policy": "opted_out"}).status_code == 200
    html = index(bob)
    assert text_of(html, "dpa-state") == "Signed"
    assert f"Version {current}, signed on" in card(html, "dpa")
    assert "Acme AI gets an e-mail about each change, since" in text_of(
        html, "subprocessor-notices")
    assert "Model training: No member's content is used for training." in card(
        html, "organisation")

    # a member: the organisation's policy decides her training; no DPA status
    carol = signed_in(make_person, "carol@example.com")
    html = index(carol)
    assert text_of(html, "training-state") == "Off"
    assert "Your organisation, Acme AI, decides this for its members." in card(html, "training")
    assert 'id="dpa-state"' not in html
    assert "owners and admins can sign it here" in card(html, "dpa")
    assert 'id="subprocessor-notices"' in html  # the organisation gets the notices


def test_a_negotiated_dpa_is_the_organisations_dpa(app: Flask, backend: str,
                                                   make_person: Any) -> None:
    with app.app_context():
        officer = app.extensions["selfservice"].extension.load_identity("acct-pat")
        dpa_negotiated.upload(officer, "org-acme", plain_pdf(), "Acme AI DPA, negotiated",
                              "2026-11-20")
    html = index(signed_in(make_person, "bob@example.com"))
    assert text_of(html, "dpa-state") == "Negotiated"
    assert "Acme AI has a DPA of its own, signed on" in card(html, "dpa")
    assert 'datetime="2026-11-20"' in html


def test_someone_without_an_organisation_sees_no_organisation_card(
        app: Flask, backend: str, make_person: Any) -> None:
    html = index(signed_in(make_person, "alice@example.com"))
    assert "card-organisation" not in html and 'id="dpa-state"' not in html
    assert "Read or download our standard DPA." in card(html, "dpa")
    assert 'id="subprocessor-notices"' not in html
    assert "Only necessary cookies" in text_of(html, "cookies-state")


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_DPA_VERSIONS=[])
def test_without_a_dpa_there_is_no_dpa_card(app: Flask, make_person: Any) -> None:
    assert 'id="card-dpa"' not in index(signed_in(make_person, "bob@example.com"))


# -- the page of what we hold ----------------------------------------------------------------

def test_the_data_page_lists_every_registered_source(app: Flask, backend: str,
                                                     make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    with app.app_context():
        sources = overview.registered_sources()
    assert len(sources) >= 12
    page = alice.get("/privacy/data")
    assert page.status_code == 200
    html = page_part(page.text)
    assert text_of(html, "ss-sources-title") == f"{len(sources)} kinds of data"
    assert html.count('<details class="ss-source"') == len(sources)
    for source in sources:
        row = html.split(f'id="source-{source.name}"')[1].split("</details>")[0]
        for text in (source.description, source.purpose, source.retention):
            assert text.replace("'", "&#39;") in row, (source.name, text)
    invoices = html.split('id="source-invoices"')[1].split("</details>")[0]
    assert "Legal obligation" in invoices and "A law requires us to keep it" in invoices
    assert "Performance of a contract" in html.split('id="source-invoices"')[0]
    assert "We also keep the record of your privacy choices" in html
    # the index says how many, and leads here
    assert f"{len(sources)} kinds of data" in card(index(alice), "data")
    assert 'href="/privacy/data" id="data-link"' in index(alice)


@pytest.mark.backends("sqlite")
def test_the_hosts_catalogue_translates_its_sources_words(
        app_config: dict[str, Any], live_server: LiveServer, redis_server: RedisServer,
        oidc: OidcProvider, tmp_path: Path) -> None:
    """A host that translates its sources' words in its own catalogue (Flask-Babel's
    ``messages`` domain) has them shown in German on the page, as in the archive."""
    folder = tmp_path / "host-translations"
    app = build_app({**app_config, "BABEL_TRANSLATION_DIRECTORIES": str(folder)},
                    str(tmp_path / "instance"))
    live_server.app = app
    try:
        with app.app_context():
            invoices = next(s for s in overview.registered_sources() if s.name == "invoices")
        catalog = Catalog(locale="de", domain="messages")
        catalog.add(invoices.description, "Ihre Rechnungen: Zeitraum, Betrag, Währung, Status")
        target = folder / "de" / "LC_MESSAGES" / "messages.mo"
        target.parent.mkdir(parents=True)
        with target.open("wb") as handle:
            write_mo(handle, catalog)
        alice = Person(live_server.url, oidc.issuer)
        alice.login("alice@example.com")
        html = page_part(alice.get("/privacy/data", headers=GERMAN).text)
        row = html.split('id="source-invoices"')[1].split("</details>")[0]
        assert "Ihre Rechnungen: Zeitraum, Betrag, Währung, Status" in row
        assert invoices.description not in row
        english = page_part(alice.get("/privacy/data").text)
        assert invoices.description in english.split('id="source-invoices"')[1]
    finally:
        live_server.app = None
        drop_app(app, redis_server)


def test_the_data_page_is_for_the_signed_in_customer(app: Flask, backend: str,
                                                     person: Person) -> None:
    page = person.http.get(person.app_url + "/privacy/data", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and "/auth/login?next=/privacy/data" in page.headers[
        "Location"]


# -- German ------------------------------------------------------------------------------------

def test_the_pages_in_german_have_no_english_left(app: Flask, backend: str,
                                                  make_person: Any) -> None:
    alice, bob = (signed_in(make_person, f"{n}@example.com") for n in ("alice", "bob"))
    alice.ask("correction", details={"description": "My billing name is wrong"})
    alice.api("PATCH", API + "/preferences", json={"training_opt_in": True,
                                                   "limit_sensitive_data": True,
                                                   "do_not_sell_or_share": True})
    html = index(alice, **GERMAN)
    # (a soft hyphen lets the long word break on a phone)
    assert "<h1>Datenschutzeinstellungen</h1>" in html.replace("\xad", "") and 'lang="de"' in html
    assert text_of(html, "training-state") == "An"
    assert text_of(html, "open-requests") == "1 offene Anfrage"
    assert english_left(html) == []
    bob_html = index(bob, **GERMAN)
    assert text_of(bob_html, "dpa-state") == "Nicht unterzeichnet"
    assert english_left(bob_html) == []

    data = page_part(alice.get("/privacy/data", headers=GERMAN).text)
    assert "Was wir über Sie speichern" in data
    with app.app_context():
        host_texts = {text for source in overview.registered_sources()
                      for text in (source.description, source.purpose, source.retention)}
    # the host's own texts are the host's to translate (its catalogue): ours are all German
    for text in sorted(host_texts, key=len, reverse=True):
        data = data.replace(text.replace("'", "&#39;"), "")
    assert english_left(data) == []


# -- no statement per request, choice or source ------------------------------------------------

@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = app.extensions["selfservice"].db.engine

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_the_page_reads_in_as_many_statements_however_much_the_account_has(
        app: Flask, backend: str, make_person: Any) -> None:
    bob = signed_in(make_person, "bob@example.com")
    index(bob)  # the first visit of a session does some work once (cookies, the lock)
    with statements(app) as few:
        index(bob)
    for kind, body in (("correction", {"description": "The company name is wrong"}),
                       ("objection", {}), ("restriction", {}), ("export", {}),
                       ("limit_sensitive_data", {}), ("automated_decision_review", {})):
        bob.ask(kind, details=body)
    for value in (True, False, True, False):
        bob.api("PATCH", API + "/preferences", json={"training_opt_in": value,
                                                     "marketing_emails": value})
    html = index(bob)
    assert text_of(html, "open-requests") == "6 open requests"
    with statements(app) as many:
        index(bob)
    assert len(many) == len(few), "\n".join(many)
    # who is signed in (2), the preferences (2), the requests, choices, organisation (6 in one
    # unit of work), the DPA (2), other sessions and the staff access log (1 each), and each unit
    # of work's BEGIN on SQLite
    assert len([s for s in many if s != "BEGIN"]) <= 14, "\n".join(many)
