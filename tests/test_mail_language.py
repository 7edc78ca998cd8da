"""E-mails in the customer's language, written by a real worker outside any request: the plugin
records the language of its pages at sign-in and on a change, and every e-mail to the account
(and its export's offline viewer) is written in it; an organisation-wide e-mail reaches each
owner or admin in their own. Captured by a real SMTP server; the language rows migrate up and
down on both databases."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice import migrate, translation
from selfservice.models import AccountLanguage, AuditEvent
from selfservice.services import dpa_notices, languages, outbox

from .german import english_left
from .helpers import LiveServer, Person, Worker
from .test_dpa import API as DPA_API
from .test_dpa import entries
from .test_preferences import opt_in

API = "/privacy/api/v1"
GERMAN = "de-DE,de;q=0.9,en;q=0.5"
_URL = re.compile(r"https?://\S+")


def prose(body: str, *host_words: str) -> str:
    """What a reader reads as sentences: without links (their paths are the console's, not
    words) and without the host's own words (the host's catalogue translates those)."""
    for words in host_words:
        body = body.replace(words, " ")
    return _URL.sub(" ", body)


def body_of(message: EmailMessage) -> str:
    return str(message.get_content()).replace("\r\n", "\n")


def in_language(app: Flask, lang: str, message: str, **variables: Any) -> str:
    with app.app_context(), translation.language(lang):
        return translation.gettext(message, **variables)


def signed_in(make_person: Callable[[], Person], email: str, lang: str | None = None) -> Person:
    person = make_person()
    if lang:
        person.http.headers["Accept-Language"] = lang
    person.login(email)
    return person


def wait_for(mailbox: MailCapture, address: str, count: int, seconds: float = 90) -> list[
        EmailMessage]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = mailbox.to(address)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{address}: {len(mailbox.to(address))} of {count} e-mails, "
                         f"{[str(m['Subject']) for m in mailbox.to(address)]}")


def recorded(app: Flask, account_id: str) -> str | None:
    with app.app_context():
        return languages.recorded(account_id)


def language_events(app: Flask, account_id: str) -> list[dict[str, Any]]:
    with app.extensions["selfservice"].db.read() as session:
        return [e.details for e in session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == f"account:{account_id}",
            AuditEvent.action == "account.language").order_by(AuditEvent.seq))]


def test_the_language_is_recorded_at_sign_in_and_written_again_only_when_it_changed(
        app: Flask, backend: str, make_person: Callable[[], Person]) -> None:
    carol = signed_in(make_person, "carol@example.com", GERMAN)
    assert recorded(app, "acct-carol") == "de"
    opt_in(carol)  # a change in German: nothing to write
    assert language_events(app, "acct-carol") == [{"language": "de", "was": None}]
    carol.http.headers["Accept-Language"] = "fr-FR,fr;q=0.9"  # not shipped: English
    assert carol.get("/privacy/preferences").status_code == 200
    assert recorded(app, "acct-carol") == "de"  # looking at a page changes nothing
    carol.api("POST", API + "/requests", json={"type": "correction",
                                               "details": {"description": "Typo in my name"}})
    assert recorded(app, "acct-carol") == "en"
    assert language_events(app, "acct-carol") == [{"language": "de", "was": None},
                                                  {"language": "en", "was": "de"}]
    # an account that never signed in reads the source language
    assert recorded(app, "acct-dmitri") is None
    with app.app_context():
        assert languages.language_of("acct-dmitri") == "en"


@pytest.mark.backends("sqlite")
def test_a_german_customer_gets_every_e_mail_and_the_archive_in_german_an_english_one_in_english(
        app: Flask, live_server: LiveServer, make_person: Callable[[], Person],
        start_worker: Callable[..., Worker], mailbox: MailCapture) -> None:
    carol = signed_in(make_person, "carol@example.com", GERMAN)
    alice = signed_in(make_person, "alice@example.com", "en-GB,en;q=0.9")
    start_worker(SELFSERVICE_PUBLIC_URL=live_server.url)
    pat = signed_in(make_person, "pat@example.com")
    asked: dict[str, dict[str, dict[str, Any]]] = {}
    for person, email in ((carol, "carol@example.com"), (alice, "alice@example.com")):
        opt_in(person)
        asked[email] = {"export": person.ask("export"),
                        "correction": person.ask("correction",
                                          details={"description": "Mein Name"})}
        decided = pat.api("POST", f"{API}/support/requests/"
                                  f"{asked[email]['correction']['reference']}/decision",
                          json={"outcome": "denied", "reason_code": "identity_not_verified"})
        assert decided.status_code == 200, decided.text

    # training, two acknowledgements, the export, the decision
    german = wait_for(mailbox, "carol@example.com", 5)
    english = wait_for(mailbox, "alice@example.com", 5)
    export = asked["carol@example.com"]["export"]
    correction = asked["carol@example.com"]["correction"]
    subjects = {str(m["Subject"]) for m in german}
    assert subjects == {
        "Sie haben dem Modelltraining zugestimmt",
        f"Ihre Datenschutzanfrage {export['reference']} ist eingegangen",
        f"Ihre Datenschutzanfrage {correction['reference']} ist eingegangen",
        f"Die Kopie Ihrer Daten ist bereit ({export['reference']})",
        f"Ihre Datenschutzanfrage {correction['reference']} wurde abgelehnt"}
    for message in german:
        text = body_of(message)
        assert english_left(prose(text), html=False) == [], (message["Subject"], text)
        assert text.startswith("Guten Tag Carol")
    [decision] = [m for m in german if "abgelehnt" in str(m["Subject"])]
    assert "Grund: Wir konnten nicht bestätigen, dass die Anfrage von Ihnen stammt." in \
        body_of(decision)
    [ready] = [m for m in german if "bereit" in str(m["Subject"])]
    link = f"{live_server.url}/privacy/requests/{export['id']}#download-verify"
    assert link in body_of(ready) and "sha256" not in body_of(ready).lower()
    # the proof the e-mail links to is there, on the request's page
    assert 'id="download-verify"' in carol.get(f"/privacy/requests/{export['id']}").text

    alice_export = asked["alice@example.com"]["export"]
    assert {str(m["Subject"]) for m in english} == {
        "You opted in to model training",
        f"We received your privacy request {alice_export['reference']}",
        f"We received your privacy request "
        f"{asked['alice@example.com']['correction']['reference']}",
        f"Your copy of your data is ready ({alice_export['reference']})",
        f"Your privacy request {asked['alice@example.com']['correction']['reference']} "
        "was declined"}
    for message in english:
        assert body_of(message).startswith("Hello Alice")
        assert english_left(prose(body_of(message)), html=False)  # English, of course
        assert "ledger hash" not in body_of(message) and "sha256sum" not in body_of(message)

    # the archive made for her is in German too, and holds the language it was made in
    body = carol.api("GET", f"{API}/requests/{export['id']}", csrf=False).json()
    archive = carol.http.get(carol.app_url + body["download"]["url"], timeout=30)
    assert archive.status_code == 200, archive.text[:300]
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
        page = zf.read("index.html").decode()
        readme = zf.read("README.txt").decode()
        language = zf.read("data/account_language.jsonl").decode().splitlines()
    assert '<html lang="de">' in page and "Ihre Daten" in page
    host_words = [words for source in app.extensions["selfservice"].extension.sources
                  if not source.builtin
                  for words in (source.description, source.purpose, source.retention,
                                *host_columns(source))]
    left = english_left(strip(page, host_words))
    assert left == [], "\n".join(left)
    assert readme.startswith(f"Kopie Ihrer personenbezogenen Daten {export['reference']}")
    assert [line.count('"language":"de"') for line in language] == [1]

    # her deletion, confirmed in German: the e-mail that says when erasure starts
    deletion = carol.ask("deletion")
    confirmed = carol.api("POST", f"{API}/requests/{deletion['id']}/confirm",
                          json={"confirm": "carol@example.com"})
    assert confirmed.status_code == 200, confirmed.text
    about = [m for m in wait_for(mailbox, "carol@example.com", 7)
             if deletion["reference"] in str(m["Subject"])]
    assert len(about) == 2  # the acknowledgement, and when erasure starts
    for message in about:
        assert english_left(prose(body_of(message)), html=False) == [], body_of(message)
    [scheduled] = [m for m in about if str(m["Subject"]).startswith("Ihr Konto wird am ")]
    assert "Support-Team" in body_of(scheduled) and "abgemeldet" in body_of(scheduled)


def host_columns(source: Any) -> list[str]:
    """The host's words for its columns (titles, descriptions, or the property names)."""
    words = []
    for name, schema in source.schema["properties"].items():
        words.append(str(schema.get("title") or name.replace("_", " ").capitalize()))
        words.append(str(schema.get("description") or ""))
    return [w for w in words if w]


def strip(page: str, words: list[str]) -> str:
    """``page`` without the host's words (escaped as the page writes them), longest first."""
    from markupsafe import escape

    for text in sorted(words, key=len, reverse=True):
        page = page.replace(str(escape(text)), " ")
    return page


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_DPA_VERSIONS=[
    {"version": "2025-06-01", "effective": "2025-06-01",
     "template": "selfservice/dpa/standard.html", "changes": "First version."}])
def test_an_organisation_wide_e_mail_reaches_each_admin_in_their_own_language(
        app: Flask, app_config: dict[str, Any], live_server: LiveServer,
        make_person: Callable[[], Person], mailbox: MailCapture) -> None:
    from demo.app import create_app

    bob = signed_in(make_person, "bob@example.com", GERMAN)
    signed = bob.api("POST", DPA_API + "/dpa/signatures", json=entries(version="2025-06-01"))
    assert signed.status_code == 201, signed.text
    signed_in(make_person, "dmitri.volkov@example.net", "en-US,en;q=0.9")
    changes = "Annex III adds Cloudflare for network protection."
    newer = create_app(dict(app_config, SELFSERVICE_DPA_VERSIONS=[
        *app_config["SELFSERVICE_DPA_VERSIONS"],
        {"version": "2026-11-01", "effective": "2026-11-01",
         "template": "selfservice/dpa/standard.html", "changes": changes}]))
    with newer.app_context():
        assert dpa_notices.announce_current() == 1
        outbox.work(burst=True)
    [german] = mailbox.to("bob@example.com")
    [english] = mailbox.to("dmitri.volkov@example.net")
    assert german["Subject"] == in_language(app, "de", "A new version of our DPA applies "
                                            "(%(version)s)", version="2026-11-01")
    assert german["Subject"] == "Eine neue Version unseres AVV gilt (2026-11-01)"
    text = body_of(german)
    assert english_left(prose(text, changes), html=False) == [], text
    assert "Seit dem 1. November 2026 gilt" in text and "am " in text
    assert english["Subject"] == "A new version of our DPA applies (2026-11-01)"
    assert "has applied since November 1, 2026: version 2026-11-01" in body_of(english)
    assert changes in body_of(german) and changes in body_of(english)


def test_the_language_rows_migrate_down_and_up(app: Flask, backend: str) -> None:
    engine = app.extensions["selfservice"].db.engine
    with app.app_context():
        assert languages.remember("acct-alice", "de") is True
        assert languages.remember("acct-alice", "de") is False  # unchanged: nothing written
        migrate.downgrade("0012")
        inspector = sa.inspect(engine)
        assert "selfservice_account_languages" not in inspector.get_table_names()
        assert "notify_language" not in {c["name"] for c in
                                         inspector.get_columns("selfservice_deletions")}
        migrate.upgrade()
        inspector = sa.inspect(engine)
        assert "notify_language" in {c["name"] for c in
                                     inspector.get_columns("selfservice_deletions")}
        with app.extensions["selfservice"].db.read() as session:
            assert session.scalars(sa.select(AccountLanguage)).all() == []
        assert languages.language_of("acct-alice") == "en"  # until she signs in again
        assert languages.remember("acct-alice", "de") is True
