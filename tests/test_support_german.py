"""The support console in German: a support agent or a privacy officer whose browser asks for
German reads every staff page in German (the language is chosen as for everyone), with nothing
left in English but what is not ours to translate (references, names, e-mail addresses, what a
customer or a colleague wrote); the same pages in English read as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from .german import english_left
from .helpers import Person

API = "/privacy/api/v1"
GERMAN = "de-DE,de;q=0.9"
#: (page, who reads it, what it must say in German): every page of the support console
PAGES = (
    ("/privacy/support", "sam", "Datenschutzanfragen zu beantworten"),
    ("/privacy/support", "pat", "Seiten der Datenschutzbeauftragten"),
    ("/privacy/support?status=all&overdue=true", "pat", "Keine Anfrage passt zu diesen Filtern."),
    ("/privacy/support/requests/{correction}", "sam",
     "Nur Datenschutzbeauftragte können über diese Anfrage entscheiden"),
    ("/privacy/support/requests/{correction}", "pat", "Entscheidung festhalten"),
    ("/privacy/support/requests/{denied}", "pat", "Abgelehnt"),
    ("/privacy/support/requests/{dpa}", "pat", "Änderungen am AVV"),
    ("/privacy/support/requests/{dpa}", "sam", "Wird den Datenschutzbeauftragten gezeigt"),
    ("/privacy/support/requests/{objection}/decide", "pat", "Frist verlängern"),
    ("/privacy/support/metrics", "pat", "Kennzahlen der Anfragen"),
    ("/privacy/support/metrics", "sam", "Diese Zahlen als CSV herunterladen"),
    ("/privacy/support/legal-holds", "pat", "Geltende Sperren"),
    ("/privacy/support/dpa", "pat", "Den verhandelten AVV speichern"),
)
#: what the same pages say in English (a few of them)
ENGLISH = {"/privacy/support": "Privacy requests to answer",
           "/privacy/support/legal-holds": "Holds in force",
           "/privacy/support/dpa": "Store the negotiated DPA"}


def _person(live_server_url: str, oidc: Any, email: str, lang: str) -> Person:
    person = Person(live_server_url, oidc.issuer)
    person.http.headers["Accept-Language"] = lang
    person.login(email)
    return person


def _set_up(app: Flask, url: str, oidc: Any) -> dict[str, str]:
    """What the pages show: open requests, a denied one with a reason, a request for changes
    to the DPA, a negotiated DPA, a legal hold and a note."""
    from selfservice.services import dpa_negotiated

    from .dpa_pdfs import plain_pdf

    alice = _person(url, oidc, "alice@example.com", "en")
    pat = _person(url, oidc, "pat@example.com", "en")
    correction = alice.ask("correction", details={"description": "My billing name is wrong"})
    objection = alice.ask("objection", jurisdiction="us_state", details={"state": "CO"})
    restriction = alice.ask("restriction", jurisdiction="gdpr")
    denied = pat.api("POST", f"{API}/support/requests/{restriction['reference']}/decision",
                     json={"outcome": "denied", "reason_code": "identity_not_verified",
                           "message": "The name you gave does not match our records."})
    assert denied.status_code == 200, denied.text
    noted = pat.api("POST", f"{API}/support/requests/{correction['reference']}/notes",
                    json={"text": "Called the customer back."})
    assert noted.status_code == 201, noted.text
    changes = _person(url, oidc, "fatima.haddad@example.net", "en").ask("dpa", details={
        "changes": "Clause 9 (audits): once a year, on 30 days' notice, at our cost."})
    with app.app_context():
        officer = app.extensions["selfservice"].extension.load_identity("acct-pat")
        dpa_negotiated.upload(officer, "org-acme", plain_pdf(), "Acme AI DPA, negotiated "
                              "November 2026", "2026-11-20")
    held = pat.api("POST", API + "/legal-holds", json={
        "account_id": "acct-carol", "reason": "Case 2026-114: a regulator's inquiry",
        "review_at": (datetime.now(UTC) + timedelta(days=90)).isoformat()})
    assert held.status_code == 201, held.text
    return {"correction": correction["reference"], "objection": objection["reference"],
            "denied": restriction["reference"], "dpa": changes["reference"]}


@pytest.mark.backends("sqlite")
def test_every_staff_page_reads_in_german_for_german_staff(
        app: Flask, live_server: Any, oidc: Any) -> None:
    facts = _set_up(app, live_server.url, oidc)
    staff = {who: _person(live_server.url, oidc, f"{who}@example.com", GERMAN)
             for who in ("sam", "pat")}
    left: dict[str, list[str]] = {}
    for path, who, says in PAGES:
        page = staff[who].get(path.format(**facts))
        assert page.status_code == 200, (path, who, page.status_code)
        assert '<html lang="de">' in page.text, path
        assert says in page.text, (path, who, says)
        found = english_left(page.text)
        if found:
            left[f"{path} as {who}"] = found
    assert left == {}, "\n".join(f"{k}: {v}" for k, v in left.items())
    # the staff member's actions say what they did in German too
    pat = staff["pat"]
    page = pat.get(f"/privacy/support/requests/{facts['correction']}")
    from .helpers import csrf_token

    assigned = pat.http.post(
        f"{live_server.url}/privacy/support/requests/{facts['correction']}/assign",
        data={"csrf_token": csrf_token(page.text)}, timeout=10)
    assert "Ihnen zugewiesen." in assigned.text and english_left(assigned.text) == []
    searched = pat.http.post(f"{live_server.url}/privacy/support", timeout=10, data={
        "csrf_token": csrf_token(page.text), "q": "alice@example.com"})
    assert "Anfragen von" in searched.text and english_left(searched.text) == []


@pytest.mark.backends("sqlite")
def test_the_objections_page_reads_in_german(app: Flask, live_server: Any, oidc: Any) -> None:
    pat = _person(live_server.url, oidc, "pat@example.com", GERMAN)
    page = pat.get("/privacy/support/subprocessor-objections")
    assert page.status_code == 200 and "Widersprüche gegen Änderungen" in page.text
    assert english_left(page.text) == []


@pytest.mark.backends("sqlite")
def test_the_staff_pages_still_read_in_english(app: Flask, live_server: Any,
                                               oidc: Any) -> None:
    pat = _person(live_server.url, oidc, "pat@example.com", "en")
    for path, says in ENGLISH.items():
        page = pat.get(path)
        assert page.status_code == 200 and says in page.text, path
        assert '<html lang="en">' in page.text, path
