"""An organisation's owner or admin asks for changes to the DPA instead of signing it (a ``dpa``
request): through the API and the DPA page, with a reference, a deadline of 30 days (ours, not
the law's), a timeline and the acknowledgement; members and accounts in no organisation are
refused with nothing recorded; it joins the customer's requests and the support queue, where a
privacy officer answers it; a denial names no appeal and no regulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.models import PrivacyRequest

from .helpers import Person, csrf_token
from .test_decisions import run_jobs, signed_in

API = "/privacy/api/v1"
CHANGES = ("Clause 9 (audits): once a year, on 30 days' notice, at our cost.\n"
           "Annex III: tell us 60 days before a new sub-processor, not 30.")


def ask(person: Person, changes: Any = CHANGES, **body: Any) -> Any:
    return person.api("POST", API + "/requests",
                      json={"type": "dpa", "details": {"changes": changes}, **body})


def dpa_requests(app: Flask) -> list[PrivacyRequest]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(PrivacyRequest)
                                    .where(PrivacyRequest.type == "dpa")))


def test_an_owner_asks_for_changes_and_a_privacy_officer_answers(
        app: Flask, backend: str, make_person: Any, mailbox: MailCapture) -> None:
    bob = signed_in(make_person, "bob@example.com")
    response = ask(bob)
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["reference"].startswith("DR-") and created["type"] == "dpa"
    assert created["details"] == {"changes": CHANGES, "organisation": "Acme AI"}
    received = datetime.fromisoformat(created["created_at"])
    assert datetime.fromisoformat(created["due_at"]) - received == timedelta(days=30)
    # the customer's requests, with its timeline
    listed = bob.api("GET", API + "/requests", csrf=False).json()["requests"]
    assert [r["reference"] for r in listed if r["type"] == "dpa"] == [created["reference"]]
    one = bob.api("GET", f"{API}/requests/{created['id']}", csrf=False).json()
    assert [e["status"] for e in one["events"]] == ["received"]
    listing = bob.get("/privacy/requests").text
    assert created["reference"] in listing and "Changes to our Data Processing" in listing
    page = bob.get(f"/privacy/requests/{created['id']}").text
    assert "Clause 9 (audits)" in page and "contract negotiation" in page
    assert 'id="request-dpa-link"' in page
    # the acknowledgement says it is ours, not the law's deadline
    run_jobs(app)
    [mail] = [m for m in mailbox.to("bob@example.com") if created["reference"]
              in str(m["Subject"])]
    text = mail.get_content()
    assert "on behalf of Acme AI" in text and "contract negotiation" in text
    due = format_date(datetime.fromisoformat(created["due_at"]), "long", locale="en")
    assert f"answer you by {due}." in text

    # the organisation has one open request: the other admin sees it, and cannot open another
    overview = bob.api("GET", API + "/dpa", csrf=False).json()
    assert overview["change_request"]["reference"] == created["reference"]
    assert overview["change_request"]["yours"] is True and overview["can_ask_for_changes"] is False
    dmitri = signed_in(make_person, "dmitri.volkov@example.net")
    theirs = dmitri.api("GET", API + "/dpa", csrf=False).json()["change_request"]
    assert (theirs["reference"], theirs["yours"], theirs["url"]) == (
        created["reference"], False, None)
    second = ask(dmitri, "Something else")
    assert second.status_code == 409
    assert second.json()["request"]["reference"] == created["reference"]
    assert "sent by another owner or admin" in dmitri.get("/privacy/dpa").text

    # the support queue, filtered by type, for both staff roles
    pat = signed_in(make_person, "pat@example.com")
    for staff in (signed_in(make_person, "sam@example.com"), pat):
        queue = staff.api("GET", API + "/support/requests", csrf=False,
                          params={"type": "dpa"}).json()["requests"]
        assert [r["reference"] for r in queue] == [created["reference"]]
        assert queue[0]["account"]["email_masked"] == "b***@example.com"
        assert created["reference"] in staff.get("/privacy/support?type=dpa").text
    detail_page = pat.get(f"/privacy/support/requests/{created['reference']}").text
    assert "Clause 9 (audits)" in detail_page and 'id="support-dpa-upload"' in detail_page
    sam_page = signed_in(make_person, "sam@example.com").get(
        f"/privacy/support/requests/{created['reference']}").text
    assert "Clause 9" not in sam_page  # support sees the status, not the text

    # an extension adds our 30 days, not a law's maximum
    extended = pat.api("POST", f"{API}/support/requests/{created['reference']}/extend",
                       json={"reason": "Our counsel reads clause 9 this week"})
    assert extended.status_code == 200, extended.text
    assert (datetime.fromisoformat(extended.json()["extended_due_at"])
            == datetime.fromisoformat(created["due_at"]) + timedelta(days=30))
    run_jobs(app)
    [more] = [m for m in mailbox.to("bob@example.com") if "more time" in str(m["Subject"])]
    assert "contract negotiation" in more.get_content()
    # pat denies it, with a message; no appeal or regulator for a contract negotiation
    denied = pat.api("POST", f"{API}/support/requests/{created['reference']}/decision",
                     json={"outcome": "denied", "reason_code": "other",
                           "message": "We cannot accept unannounced audits; write to us "
                                      "to discuss a shorter notice."})
    assert denied.status_code == 200, denied.text
    assert denied.json()["recourse"] is None
    after = bob.api("GET", f"{API}/requests/{created['id']}", csrf=False).json()
    assert after["status"] == "denied" and after["recourse"] is None
    run_jobs(app)
    [decided] = [m for m in mailbox.to("bob@example.com") if "was declined" in str(m["Subject"])]
    words = decided.get_content()
    assert "unannounced audits" in words and "appeal" not in words.lower()
    assert "authority" not in words.lower()
    # closed: the organisation may ask again
    assert bob.api("GET", API + "/dpa", csrf=False).json()["can_ask_for_changes"] is True
    assert ask(dmitri, "Clause 9 only").status_code == 202


@pytest.mark.backends("sqlite")
def test_members_and_accounts_without_an_organisation_are_refused(
        app: Flask, make_person: Any) -> None:
    carol = signed_in(make_person, "carol@example.com")
    refused = ask(carol)
    assert refused.status_code == 403, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    alice = signed_in(make_person, "alice@example.com")
    nowhere = ask(alice)
    assert nowhere.status_code == 404 and nowhere.json()["title"] == "No organisation"
    assert carol.get("/privacy/dpa/changes").status_code == 403
    assert alice.get("/privacy/dpa/changes").status_code == 404
    assert 'id="dpa-ask-changes"' not in carol.get("/privacy/dpa").text
    assert carol.api("GET", API + "/dpa", csrf=False).json()["can_ask_for_changes"] is False
    assert dpa_requests(app) == []
    # nor is a dpa request offered on the page of the other rights
    assert 'value="dpa"' not in alice.get("/privacy/requests").text


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("details", [
    {}, {"changes": ""}, {"changes": "   "}, {"changes": "x" * 4001},
    {"changes": "Clause 9\u0000"}, {"changes": 12}, {"changes": "ok", "description": "x"},
])
def test_the_changes_are_plain_text_and_limited(app: Flask, person: Person,
                                                details: dict[str, Any]) -> None:
    person.login("bob@example.com")
    response = person.api("POST", API + "/requests", json={"type": "dpa", "details": details})
    assert response.status_code == 422, response.text
    assert "details" in {e["field"].split(".")[0] for e in response.json()["errors"]}
    assert dpa_requests(app) == []


@pytest.mark.backends("sqlite")
def test_the_page_asks_for_changes_and_then_shows_the_open_request(
        app: Flask, make_person: Any) -> None:
    bob = signed_in(make_person, "bob@example.com")
    page = bob.get("/privacy/dpa").text
    assert 'id="dpa-ask-changes"' in page
    empty = bob.submit("/privacy/dpa/changes", {"changes": "  "})
    assert empty.status_code == 400 and "Say what you would like changed." in empty.text
    sent = bob.submit("/privacy/dpa/changes", {"changes": CHANGES})
    assert sent.status_code == 303, sent.text
    [created] = dpa_requests(app)
    assert sent.headers["Location"].endswith(f"/privacy/requests/{created.id}")
    assert created.details["changes"] == CHANGES and created.org_id == "org-acme"
    shown = bob.get("/privacy/dpa").text
    assert 'id="dpa-change-request"' in shown and created.reference in shown
    assert 'id="dpa-changes-open"' in bob.get("/privacy/dpa/changes").text
    dmitri = signed_in(make_person, "dmitri.volkov@example.net")
    form = dmitri.get("/privacy/dpa/changes").text
    assert 'id="dpa-changes-open"' in form and 'id="dpa-changes-form"' not in form
    # a form left open from before is answered with the request already open
    token = csrf_token(dmitri.get("/privacy/requests").text)
    again = dmitri.http.post(dmitri.app_url + "/privacy/dpa/changes", timeout=10,
                             data={"csrf_token": token, "changes": "Another"},
                             allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"].endswith("#dpa-changes")
    assert len(dpa_requests(app)) == 1
