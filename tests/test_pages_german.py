"""The customer pages in German (issue 14, item 5): each page, fetched as the demo account it is
for with ``Accept-Language: de``, shows no English of ours and says its language in
``<html lang>``; in English it still reads as before. Form errors, flashed messages, dates,
numbers and sizes follow the page's language, and the browser rewrites dates in it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from babel.dates import format_date
from flask import Flask, render_template, render_template_string

from selfservice import formatting, translation
from selfservice.blueprints import error_pages, rate_limits

from .german import english_left
from .helpers import LiveServer, Person, csrf_token

pytestmark = pytest.mark.backends("sqlite")


def plugin_part(html: str) -> str:
    """What the plugin wrote of a page: its title and its main element (the demo console's
    header and footer around them are the host's, in the host's language)."""
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    main = re.search(r"<main\b.*?</main>", html, re.S)
    assert title and main, html[:300]
    return f"<p>{title[1]}</p>{main[0]}"


#: the soft hyphen German's long words carry in headings ("Unterauftrags\u00adverarbeiter")
SHY = "\u00ad"


def language_of(html: str) -> str:
    found = re.search(r'<html lang="([^"]*)"', html)
    assert found, html[:200]
    return found[1]


def hidden(html: str, name: str) -> str:
    """The value of a form's hidden field."""
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found[1]


def objection_path(person: Person) -> str:
    found = re.search(r'href="(/privacy/subprocessors/changes/[^"]+/objection)"',
                      person.get("/privacy/subprocessors").text)
    assert found, "no announced change to object to"
    return found[1]


#: (account, path or how to find it, status, what the page says in English, and in German)
PAGES: list[tuple[str, str | Callable[[Person], str], int, str, str]] = [
    ("alice", "/privacy/preferences", 200, "Privacy preferences",
     "Ihre Datenschutzentscheidungen"),
    ("alice", "/privacy/preferences/training", 200, "Opt in to model training?",
     "Dem Modelltraining zustimmen?"),
    ("alice", "/privacy/organisation", 404, "You are not a member of an organisation.",
     "Sie sind nicht Mitglied einer Organisation."),
    ("alice", "/privacy/delete", 200, "What deleting your account means",
     "Was die Löschung Ihres Kontos bedeutet"),
    ("alice", "/privacy/dpa", 200, "You are not part of an organisation",
     "Sie gehören in dieser Konsole zu keiner Organisation."),
    ("alice", "/privacy/subprocessors", 200, "Our sub-processors",
     "Unsere Unterauftragsverarbeiter"),
    ("alice", "/privacy/requests/no-such-request", 404, "We cannot find that page",
     "Wir finden diese Seite nicht"),
    ("alice", "/auth/logout", 200, "Sign out", "Abmelden"),
    ("bob", "/privacy/organisation", 200, "Change the policy", "Richtlinie ändern"),
    ("bob", "/privacy/dpa", 200, "has not signed the DPA yet",
     "hat den AVV noch nicht unterzeichnet."),
    ("bob", "/privacy/dpa/sign", 200, "What you are signing", "Was Sie unterzeichnen"),
    ("bob", "/privacy/dpa/changes", 200, "Ask for changes to the DPA",
     "Änderungen am AVV erbitten"),
    ("bob", "/privacy/subprocessors", 200, "Change notices by e-mail",
     "Änderungshinweise per E-Mail"),
    ("bob", objection_path, 200, "Your objection", "Ihr Widerspruch"),
    ("carol", "/privacy/organisation", 200, "Only the organisation's owner or admins",
     "Nur Inhaber oder Administratoren der Organisation"),
    ("carol", "/privacy/dpa", 200, "Its owners and admins can sign it here",
     "Inhaber und Administratoren können ihn hier unterzeichnen"),
]


def fetch(person: Person, path: str, lang: str) -> Any:
    return person.get(path, headers={"Accept-Language": lang})


def test_every_page_is_german_for_a_german_reader_and_unchanged_in_english(
        app: Flask, make_person: Any) -> None:
    people: dict[str, Person] = {}
    for account, where, status, english, german in PAGES:
        if account not in people:
            people[account] = make_person()
            people[account].login(f"{account}@example.com")
        person = people[account]
        path = where if isinstance(where, str) else where(person)
        page = fetch(person, path, "de-DE,de;q=0.9,en;q=0.5")
        assert page.status_code == status, (path, page.text[:300])
        assert language_of(page.text) == "de", path
        assert english_left(plugin_part(page.text)) == [], path
        assert german in page.text.replace(SHY, ""), path
        again = fetch(person, path, "en")
        assert again.status_code == status and language_of(again.text) == "en", path
        assert english in again.text and german not in again.text, path


def test_the_dpa_page_translates_its_chrome_and_keeps_the_contract_as_signed(
        app: Flask, person: Person) -> None:
    person.login("bob@example.com")
    german = fetch(person, "/privacy/dpa", "de").text
    english = fetch(person, "/privacy/dpa", "en").text
    contract = re.compile(r'<article class="ss-dpa" lang="en" translate="no"[^>]*>(.*?)</article>',
                          re.S)
    assert contract.search(german)[1] == contract.search(english)[1]  # type: ignore[index]
    assert "1. Scope and roles" in german and 'id="dpa-contract-language"' in german
    assert "Der Vertrag unten ist auf Englisch" in german
    assert 'id="dpa-contract-language"' not in english
    # the standard DPA's PDF is the English contract whatever the page's language
    link = re.search(r'href="([^"]+)" id="dpa-download-standard"', german)
    assert link, "no download link"
    def without_dates(pdf: bytes) -> bytes:  # the file is made anew, at this second
        return re.sub(rb"/CreationDate \(D:[^)]*\)|/ID \[[^]]*\]", b"", pdf)

    pdf = fetch(person, link[1].replace("&amp;", "&"), "de")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert without_dates(pdf.content) == without_dates(
        fetch(person, link[1].replace("&amp;", "&"), "en").content)


def test_form_errors_and_messages_follow_the_pages_language(app: Flask, person: Person) -> None:
    person.login("bob@example.com")
    person.http.headers["Accept-Language"] = "de"
    # a WTForms validator's message: the opt-in without its tick
    page = person.get("/privacy/preferences/training")
    refused = person.http.post(person.app_url + "/privacy/preferences/training", timeout=10,
                               data={"csrf_token": csrf_token(page.text),
                                     "policy_version": hidden(page.text, "policy_version")})
    assert refused.status_code == 400
    assert "Setzen Sie zur Bestätigung das Häkchen" in refused.text
    assert "Es wurde nichts geändert." in refused.text
    assert english_left(plugin_part(refused.text)) == []
    # a Length validator, its number written the German way
    form = person.get("/privacy/dpa/changes")
    too_long = person.http.post(person.app_url + "/privacy/dpa/changes", timeout=10,
                                data={"csrf_token": csrf_token(form.text),
                                      "changes": "x" * 4001})
    assert too_long.status_code == 400
    assert "Bleiben Sie bei höchstens 4.000 Zeichen" in too_long.text
    assert "bis zu 4.000 Zeichen" in form.text
    # a flashed message after a change
    version = hidden(person.get("/privacy/organisation").text, "policy_version")
    saved = person.submit("/privacy/organisation",
                          {"policy": "opted_out", "policy_version": version})
    after = person.follow(saved)
    assert "Die Trainingsrichtlinie von Acme AI lautet jetzt" in after.text
    assert english_left(plugin_part(after.text)) == []


def start_deletion(person: Person) -> Any:
    token = csrf_token(person.get("/privacy/delete").text)
    answer = person.http.post(person.app_url + "/privacy/delete", data={"csrf_token": token},
                              allow_redirects=False, timeout=10)
    return person.follow(answer)


def test_the_deletion_pages_speak_german_from_the_plan_to_the_grace_period(
        app: Flask, person: Person) -> None:
    person.login("carol@example.com")  # an account nothing blocks
    person.http.headers["Accept-Language"] = "de"
    plan = start_deletion(person)
    assert "Prüfen, was die Löschung bewirkt" in plan.text
    assert english_left(plugin_part(plan.text)) == []
    # nor a text left in English and marked so: what is kept of the plugin's own records too
    assert 'lang="en"' not in plugin_part(plan.text)
    assert "Der Nachweis Ihrer Einwilligungsentscheidungen wird 3 Jahre lang" in plan.text
    starts = re.search(r'id="point-of-no-return">(?:<script[^>]*></script>)?<time lang="de" '
                       r'data-ss-time="datetime" datetime="([^"]+)">([^<]+)</time>', plan.text)
    assert starts, "no point of no return"
    moment = datetime.fromisoformat(starts[1]).astimezone(UTC)
    assert starts[2].startswith(format_date(moment, "long", locale="de"))  # "5. Januar 2027"
    assert starts[2].endswith(f", {moment:%H:%M} UTC")
    # a validator's message, then the view's own
    empty = person.http.post(plan.url, data={"csrf_token": csrf_token(plan.text), "confirm": ""},
                             timeout=10, allow_redirects=False)
    assert empty.status_code == 422
    assert "Geben Sie zur Bestätigung Ihre E-Mail-Adresse" in empty.text
    wrong = person.http.post(plan.url, data={"csrf_token": csrf_token(plan.text),
                                             "confirm": "someone@example.org"},
                             timeout=10, allow_redirects=False)
    assert "Das ist weder die E-Mail-Adresse dieses Kontos" in wrong.text
    assert english_left(plugin_part(wrong.text)) == []
    confirmed = person.http.post(plan.url, data={"csrf_token": csrf_token(plan.text),
                                                 "confirm": "carol@example.com"},
                                 timeout=10, allow_redirects=False)
    assert confirmed.status_code == 200
    assert "Ihr Konto ist zur Löschung vorgemerkt" in confirmed.text
    assert english_left(plugin_part(confirmed.text)) == []
    grace = person.get("/privacy/delete/scheduled", login="carol@example.com")
    assert "Konto behalten" in grace.text and language_of(grace.text) == "de"
    assert english_left(plugin_part(grace.text)) == []


def render_in(app: Flask, lang: str, render: Callable[[], str]) -> str:
    """A page rendered as for a signed-out visitor reading ``lang``."""
    # an app context of its own: the language is kept on ``g`` for the request
    with app.app_context(), app.test_request_context(
            "/privacy/somewhere", headers={"Accept-Language": lang}):
        app.preprocess_request()
        return render()


@pytest.mark.parametrize("status", sorted(error_pages.STATUSES))
def test_every_error_page_is_german(app: Flask, status: int) -> None:
    german = render_in(app, "de", lambda: error_pages.render_error(
        "selfservice/error.html", status))
    assert language_of(german) == "de" and f"Fehler {status}" in german
    assert english_left(plugin_part(german)) == []
    english = render_in(app, "en", lambda: error_pages.render_error(
        "selfservice/error.html", status))
    assert f"Error {status}" in english


@pytest.mark.parametrize(("template", "context"), [
    ("selfservice/too_many.html", {"status": 429, "wait": "?"}),
    ("selfservice/export_gone.html", {"status": 410}),
    ("selfservice/export_unavailable.html", {"status": 503}),
    ("selfservice/unavailable.html", {"again": "/privacy/", "home": "/"}),
    ("selfservice/unavailable_plain.html", {"again": "/privacy/", "home": "/"}),
    ("selfservice/auth_error.html", {"message": "", "again": "/auth/login", "home": "/"}),
])
def test_the_other_error_pages_are_german(app: Flask, template: str,
                                          context: dict[str, Any]) -> None:
    def page() -> str:
        values = dict(context)
        if values.get("wait") == "?":
            values["wait"] = rate_limits.wait_words(600)
        values.setdefault("back", None)
        values.setdefault("home", "/")
        return render_template(template, **values)

    german = render_in(app, "de", page)
    assert language_of(german) == "de"
    assert english_left(plugin_part(german)) == [], template
    if template.endswith("too_many.html"):
        assert "Bitte warten Sie 10 Minuten" in german
    assert english_left(plugin_part(render_in(app, "en", page))) != []  # and English in English


def test_numbers_sizes_and_dates_are_written_the_readers_way(app: Flask) -> None:
    moment = datetime(2026, 12, 5, 14, 3, tzinfo=UTC)
    expected = {
        "en": ("1,234", "1.2 MB", "812 bytes", "5 December 2026", "2026-12-05",
               "5 December 2026 at 14:03 UTC", "2026-12-05 14:03 UTC"),
        "de": ("1.234", "1,2 MB", "812 Byte", "5. Dezember 2026", "05.12.2026",
               "5. Dezember 2026, 14:03 UTC", "05.12.2026, 14:03 UTC"),
    }
    template = ("{{ 1234|ss_number }}|{{ 1258291|ss_size }}|{{ 812|ss_size }}|{{ m|ss_day }}|"
                "{{ m|ss_day('short') }}|{{ m|ss_moment }}|{{ m|ss_moment('short') }}")
    for lang, words in expected.items():
        rendered = render_in(app, lang, lambda: render_template_string(template, m=moment))
        assert rendered.split("|") == list(words), lang
        with app.app_context(), translation.language(lang):  # an e-mail, outside a request
            assert formatting.size(1258291) == words[1]
            assert formatting.day(date(2026, 12, 5)) == words[3]


def test_a_number_written_in_a_template_follows_each_readers_language(app: Flask) -> None:
    # a template is compiled once, for whoever reads it first; the limits it states are
    # written for each reader ("Up to 2.000 characters" was "2,000" on German pages)
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        app.preprocess_request()
        template = app.jinja_env.from_string("{{ 2000|ss_number }}|{{ 1258291|ss_size }}")
    assert render_in(app, "en", template.render) == "2,000|1.2 MB"
    assert render_in(app, "de", template.render) == "2.000|1,2 MB"


def test_a_german_page_gets_its_dates_rewritten_in_german_by_the_browser(
        app: Flask, live_server: LiveServer, browser: Any, oidc: Any) -> None:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/auth/login?next=/privacy/preferences")
        page.locator("input[name=login]").fill("alice@example.com")
        page.locator("input[name=password]").fill("any")
        page.locator("button[type=submit], input[type=submit]").first.click()
        page.wait_for_url(live_server.url + "/privacy/preferences")
        page.locator("#marketing_emails").check()
        page.locator("#save-preferences").click()
        page.get_by_role("status").filter(has_text="Ihre Entscheidungen sind gespeichert.") \
            .wait_for()
        assert page.locator("html").get_attribute("lang") == "de"
        shown = page.locator("#choice-history time[data-ss-time]").first
        utc = datetime.fromisoformat(shown.get_attribute("datetime") or "")
        berlin = utc.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
        text = shown.inner_text()
        month = format_date(berlin, "MMM", locale="de")  # "Dez.", as Intl writes it too
        assert text.startswith(f"{berlin.day}. {month}"), text
        assert f"{berlin:%H:%M}" in text and "UTC" not in text
        assert (shown.get_attribute("title") or "").endswith("UTC")  # the server's UTC text
        # German words are long: the pages still fit a 320 px screen
        page.set_viewport_size({"width": 320, "height": 640})
        for path in ("/privacy/preferences", "/privacy/preferences/training", "/privacy/delete",
                     "/privacy/dpa", "/privacy/subprocessors", "/privacy/no-such-page"):
            page.goto(live_server.url + path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 320, (path, width)
    finally:
        context.close()
