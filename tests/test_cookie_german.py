"""The cookie banner and pages in German, from the plugin's catalogue: no English left, the text
hash recorded with a German decision is the hash of the German words the banner showed (and
differs from the English one, which is what it was before the words moved onto the catalogue),
a host's SELFSERVICE_COOKIE_TEXTS still win, and the demo's own texts (its cookies) come from
its catalogue while a text it has not translated is shown as written."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask

from selfservice.cookie_texts import text_hash

from .german import english_left
from .helpers import LiveServer
from .test_cookies import NONE, Visitor, records

GERMAN = "de-DE,de;q=0.9,en;q=0.5"
CONSENT = "/privacy/cookie-consent"
#: the hashes of the banner's words as shown before they moved onto the catalogue (the
#: hand-written dictionary of English and German): the same words give the same proof
ENGLISH_HASH = "da065a5a0d7441cf0e759e10a90f2e9629f55ccb33e8516cf051aff010d8d887"
GERMAN_HASH = "818936355809aa6fac75ccbfd010d0ab92cb75f6c3c4df1d908b2dfe13d15dbe"


def shown_words(page: str) -> dict[str, str]:
    """The banner's words as the page shows them, read back from its HTML."""

    def text(pattern: str) -> str:
        found = re.search(pattern, page, re.S)
        assert found, pattern
        return html.unescape(re.sub(r"<[^>]+>", "", found[1])).strip()

    necessary = text(r'<label for="ss-cb-necessary">(.*?)</label>')
    words = {
        "title": text(r'<h2 id="ss-cb-title"[^>]*>(.*?)</h2>'),
        "body": text(r'<div id="ss-cb-body">\s*<p>(.*?)</p>'),
        "choices": text(r'<legend>(.*?)</legend>'),
        "cat_necessary": necessary.rsplit(" (", 1)[0],
        "always_on": necessary.rsplit(" (", 1)[1].rstrip(")"),
        "cat_necessary_text": text(r'<label for="ss-cb-necessary">.*?</label>\s*<p>(.*?)</p>'),
    }
    for choice in ("accept_all", "reject_all", "customise", "save"):
        words[choice] = text(rf'value="{choice}"[^>]*>(.*?)</button>')
    for category in ("functional", "analytics", "marketing"):
        words[f"cat_{category}"] = text(rf'<label for="ss-cb-{category}">(.*?)</label>')
        words[f"cat_{category}_text"] = text(
            rf'<label for="ss-cb-{category}">.*?</label>\s*<p>(.*?)</p>')
    return words


def decide_by_form(visitor: Visitor, choice: str = "reject_all") -> str:
    """Answer the banner with its form (no JavaScript); the banner's page."""
    page = visitor.get("/").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    lang = re.search(r'<input type="hidden" name="lang" value="([^"]+)"', page)[1]
    version = re.search(r'data-version="([^"]+)"', page)[1]
    answer = visitor.http.post(visitor.url + CONSENT, timeout=10, data={
        "csrf_token": token, "choice": choice, "next": "/", "lang": lang, "source": "banner",
        "policy_version": version})
    assert answer.status_code == 200, answer.text[:300]
    return page


@pytest.mark.backends("sqlite")
def test_the_banner_and_the_cookie_pages_leave_no_english_in_german(
        app: Flask, live_server: LiveServer) -> None:
    german, english = Visitor(live_server, lang=GERMAN), Visitor(live_server, lang="en")
    banner = german.get("/").text
    assert 'id="ss-cookies" class="ss-cb" lang="de"' in banner
    assert "Alle ablehnen" in banner and english_left(banner) == []
    assert "Reject all" in english.get("/").text
    pages = {"settings": "/privacy/cookies", "policy": "/privacy/cookie-policy"}
    for name, path in pages.items():
        page = german.get(path).text
        assert english_left(page) == [], name
        assert '<html lang="de">' in page, name
    policy = german.get("/privacy/cookie-policy").text
    # the plugin's own cookies and the demo's, each in German; durations in German words
    assert "Hält Sie angemeldet und schützt Formulare vor Fälschung." in policy
    assert "Speichert den hellen oder dunklen Modus." in policy
    assert "12 Monate" in policy and "Drittanbieter" in policy
    english_policy = english.get("/privacy/cookie-policy").text
    assert "Remembers light or dark mode." in english_policy and "12 months" in english_policy
    # after a choice: the saved message and the history, in German
    decide_by_form(german)
    settings = german.get("/privacy/cookies").text
    assert "Ihre Wahl ist gespeichert." in settings and "Im Cookie-Banner" in settings
    assert english_left(settings) == []
    # Global Privacy Control: the notice and the confirmation page without JavaScript
    gpc = Visitor(live_server, gpc=True, lang=GERMAN)
    page = gpc.get("/").text
    assert "Global-Privacy-Control-Signal" in page and english_left(page) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    confirm = gpc.http.post(live_server.url + CONSENT, timeout=10, data={
        "csrf_token": token, "choice": "accept_all", "next": "/"})
    assert confirm.status_code == 409 and "Ja, Marketing einschalten" in confirm.text
    assert english_left(confirm.text) == []


@pytest.mark.backends("sqlite")
def test_a_policy_change_asks_again_in_german(app: Flask, live_server: LiveServer) -> None:
    from selfservice.services import cookie_consent

    german = Visitor(live_server, lang=GERMAN)
    german.put({"functional": False, "analytics": True, "marketing": False})
    app.config["SELFSERVICE_COOKIES"] = [*app.config["SELFSERVICE_COOKIES"], {
        "name": "hj_session", "provider": "Hotjar", "category": "analytics",
        "purpose": "Heatmaps.", "duration": "30 minutes", "party": "third"}]
    with app.app_context():
        cookie_consent.reload_registry()
    page = german.get("/").text
    assert "Unsere Cookies haben sich seit Ihrer Wahl geändert" in page
    assert "<strong>Statistik</strong>; hinzugefügt: <span translate=\"no\">hj_session" in page
    assert english_left(page) == []
    settings = german.get("/privacy/cookies").text
    assert english_left(settings) == []


@pytest.mark.backends("sqlite")
def test_the_hash_of_a_german_decision_is_of_the_german_words_shown(
        app: Flask, live_server: LiveServer) -> None:
    german, english = Visitor(live_server, lang=GERMAN), Visitor(live_server, lang="en")
    german_page = decide_by_form(german)
    english_page = decide_by_form(english)
    de, en = records(app)
    assert (de.language, en.language) == ("de", "en")
    assert de.text_hash != en.text_hash
    assert de.text_hash == text_hash(shown_words(german_page)) == GERMAN_HASH
    assert en.text_hash == text_hash(shown_words(english_page)) == ENGLISH_HASH
    # through the API, the language named is the language hashed, whatever the header says
    other = Visitor(live_server, lang="en")
    assert other.put(NONE, language="de").status_code == 200
    assert records(app)[-1].text_hash == GERMAN_HASH


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_COOKIE_TEXTS={
    "de": {"title": "Kekse in der EcoHash-Konsole", "accept_all": "Alle Kekse erlauben"},
    "fr": {"title": "Les cookies de cette console"}})
def test_a_host_override_wins_in_its_language_and_is_what_is_hashed(
        app: Flask, live_server: LiveServer) -> None:
    german, english = Visitor(live_server, lang=GERMAN), Visitor(live_server, lang="en")
    page = decide_by_form(german)
    words = shown_words(page)
    assert (words["title"], words["accept_all"]) == ("Kekse in der EcoHash-Konsole",
                                                     "Alle Kekse erlauben")
    assert words["reject_all"] == "Alle ablehnen"  # the catalogue's, where no override
    english_page = english.get("/").text
    assert "Cookies on this console" in english_page and "Kekse" not in english_page
    [de] = records(app)
    assert de.text_hash == text_hash(words) != GERMAN_HASH
    # a language only the host names: its words where it has them, English for the rest
    assert Visitor(live_server).put(NONE, language="fr").status_code == 200
    assert records(app)[-1].language == "fr"


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_COOKIES=[
    {"name": "console_theme", "provider": "EcoHash", "category": "functional",
     "purpose": "Remembers light or dark mode.", "duration": "12 months"},
    {"name": "wx_probe", "provider": "Weather Widgets Ltd", "category": "analytics",
     "purpose": "Counts how often the weather widget is opened.", "duration": "a fortnight"}])
def test_a_host_text_comes_from_the_host_catalogue_or_stays_as_written(
        app: Flask, live_server: LiveServer) -> None:
    policy = Visitor(live_server, lang=GERMAN).get("/privacy/cookie-policy").text
    assert "Speichert den hellen oder dunklen Modus." in policy  # the demo's catalogue
    assert "Counts how often the weather widget is opened." in policy  # not translated
    assert "a fortnight" in policy and "Weather Widgets Ltd" in policy


@pytest.mark.backends("sqlite")
def test_the_data_sources_read_in_german_on_what_we_hold(app: Flask, live_server: LiveServer,
                                                         oidc: Any) -> None:
    """The demo's own texts (its data sources) on a plugin page, from the demo's catalogue."""
    from .helpers import Person

    alice = Person(live_server.url, oidc.issuer)
    alice.http.headers["Accept-Language"] = GERMAN
    alice.login("alice@example.com")
    page = alice.get("/privacy/data").text
    assert "Ihr Kontoprofil: Name, E-Mail-Adresse, Firma, Rechnungsland und wann das Konto " \
           "angelegt wurde" in page
    assert "Bis zu 13 Monate." in page
    assert "Up to 13 months." not in page


def host_texts_of(app: Flask) -> dict[str, list[str]]:
    from selfservice import host_texts

    return host_texts.collected(app.config, app.extensions["selfservice"].extension)


@pytest.mark.backends("sqlite")
def test_the_demo_translates_every_text_it_gives_the_plugin(app: Flask) -> None:
    """``flask selfservice texts`` lists the demo's texts; its German catalogue has each."""
    from babel.support import Translations

    from devtools import demo_i18n

    texts = host_texts_of(app)
    assert "Remembers light or dark mode." in texts  # a cookie
    assert "Up to 13 months." in texts  # a source's retention
    assert "Encryption" not in texts  # Annex II: the DPA is a contract, written whole
    assert "First version signed in the console (it replaces the DPA sent by e-mail on " \
           "request)." in texts  # what changed in a DPA version
    assert "Germany (EU)" in texts  # a sub-processor change
    assert "This console" not in texts and "12 months" not in texts  # the plugin's words
    with (demo_i18n.TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        german = Translations(f, domain="messages")
    assert [t for t in texts if german.ugettext(t) == t and t not in NAMES] == []
    written = app.test_cli_runner().invoke(args=["selfservice", "texts"])
    assert written.exit_code == 0 and 'msgid "Remembers light or dark mode."' in written.output
    assert "#. cookie console_theme: purpose" in written.output


#: the demo's texts that are the same in German (names)
NAMES = {"EcoHash", "Google Ads", "LinkedIn"}


def in_language(app: Flask, lang: str, function: str, text: Any) -> Any:
    from selfservice import translation

    # an app context of its own: the language is kept on flask.g, per app context
    with app.app_context(), app.test_request_context(headers={"Accept-Language": lang}):
        return getattr(translation, function)(text)


@pytest.mark.backends("sqlite")
def test_host_texts_and_durations_follow_the_reader(app: Flask) -> None:
    assert in_language(app, "de", "host_text", "Up to 13 months.") == "Bis zu 13 Monate."
    assert in_language(app, "en", "host_text", "Up to 13 months.") == "Up to 13 months."
    assert in_language(app, "de", "host_text", "Not in any catalogue.") == "Not in any catalogue."
    assert in_language(app, "de", "host_text", None) == ""
    assert in_language(app, "de", "duration", "30 minutes") == "30 Minuten"
    assert in_language(app, "de", "duration", "1 day") == "1 Tag"
    assert in_language(app, "en", "duration", "1 days") == "1 day"
    assert in_language(app, "de", "duration", "a fortnight") == "a fortnight"


@pytest.mark.backends("sqlite")
def test_the_banner_in_a_german_browser(app: Flask, live_server: LiveServer, browser: Any,
                                        oidc: object) -> None:
    """Chromium asking for German: the banner, its choices and the message after a choice are
    German; what the script records is the German words' hash, as without JavaScript."""
    from .test_cookie_browser import AXE, axe_serious, banner, button, consent_api
    from .test_cookie_browser import records as history

    assert AXE.is_file(), "run `make install` to install axe-core"
    context = browser.new_context(locale="de-DE", bypass_csp=True)  # axe: an inline script
    try:
        context.set_default_timeout(5000)
        page = context.new_page()
        page.goto(live_server.url + "/")
        assert banner(page).is_visible()
        assert page.evaluate("document.documentElement.lang") == "de"
        assert english_left(page.content()) == []
        button(page, "Anpassen").click()
        assert page.get_by_label("Statistik").is_visible()
        assert english_left(page.content()) == []
        assert axe_serious(page, "#ss-cookies") == []
        button(page, "Alle ablehnen").click()
        page.wait_for_function("saved => document.getElementById('ss-cb-status')"
                               ".textContent === saved",
                               arg="Ihre Cookie-Auswahl ist gespeichert.")
        assert not banner(page).is_visible()
        consent_id = consent_api(page, live_server)["consent_id"]
    finally:
        context.close()
    [record] = history(app, consent_id)
    assert (record.method, record.language, record.text_hash) == ("banner", "de", GERMAN_HASH)
