"""A privacy officer's decisions, extensions and messages, on both databases, through the real
login, API, outbox and SMTP capture: who may act (all five demo accounts), what is refused
(422, 409), one decision when two officers decide at once, the deadline arithmetic of each law,
and a denial reaching the customer, with the way to appeal, on the page and by e-mail."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.models import AuditEvent, PrivacyRequest
from selfservice.services import outbox
from selfservice.services.decisions import add_months, latest_extension

from .german import english_left
from .helpers import Person, csrf_token

API = "/privacy/api/v1"
SUPPORT = API + "/support/requests"
OFFICER_ROUTES = ("decision", "extend", "messages")
BODIES: dict[str, dict[str, Any]] = {
    "decision": {"outcome": "completed"},
    "extend": {"reason": "We are waiting for records from our payment provider"},
    "messages": {"text": "We are looking into it and will write again this week."},
}


def spoken(moment: datetime) -> str:
    """A day as an English e-mail writes it ("January 30, 2027")."""
    return format_date(moment.astimezone(UTC).date(), "long", locale="en")


def run_jobs(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def signed_in(make_person: Any, email: str) -> Person:
    person: Person = make_person()
    person.login(email)
    return person


def staff_events(app: Flask, account_id: str) -> list[AuditEvent]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == f"account:{account_id}",
            AuditEvent.action.startswith("staff.")).order_by(AuditEvent.seq)))


def set_dates(app: Flask, reference: str, **values: Any) -> None:
    with app.extensions["selfservice"].db.transaction() as session:
        session.execute(sa.update(PrivacyRequest).where(PrivacyRequest.reference == reference)
                        .values(**values))


def test_only_a_privacy_officer_acts_and_only_staff_read_the_numbers(
        app: Flask, backend: str, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    references = {route: alice.ask(kind)["reference"] for route, kind in
                  zip(OFFICER_ROUTES, ("correction", "objection", "restriction"), strict=True)}
    expected = {"alice@example.com": 404, "bob@example.com": 404, "carol@example.com": 404,
                "sam@example.com": 403, "pat@example.com": 200}
    for email, status in expected.items():
        person = alice if email.startswith("alice") else signed_in(make_person, email)
        for route, reference in references.items():
            response = person.api("POST", f"{SUPPORT}/{reference}/{route}", json=BODIES[route])
            wanted = 201 if status == 200 and route == "messages" else status
            assert response.status_code == wanted, (email, route, response.text[:300])
            assert response.headers["Content-Type"] == ("application/problem+json"
                                                         if status != 200 else
                                                         "application/json")
        step = person.api("POST", f"{SUPPORT}/{references['decision']}/deletion-steps/"
                                  "billing/confirm", json={})
        assert step.status_code == (409 if status == 200 else status), (email, step.text)
        metrics = person.api("GET", API + "/support/metrics", csrf=False)
        assert metrics.status_code == (404 if status == 404 else 200), email
        pages = {path: person.http.get(person.app_url + "/privacy/support/" + path,
                                       allow_redirects=False, timeout=10).status_code
                 for path in ("metrics", "legal-holds",
                              f"requests/{references['extend']}/decide")}
        assert pages == {"metrics": 404 if status == 404 else 200,
                         "legal-holds": status,
                         f"requests/{references['extend']}/decide": status}, email
    anonymous = requests.post(f"{alice.app_url}{SUPPORT}/{references['extend']}/extend",
                              json=BODIES["extend"], timeout=10)
    assert anonymous.status_code == 404
    actions = [(e.action, e.details["role"]) for e in staff_events(app, "acct-alice")]
    assert actions == [("staff.decided", "privacy_officer"), ("staff.extended",
                                                              "privacy_officer"),
                       ("staff.messaged", "privacy_officer")]


def test_a_denial_needs_a_reason_and_a_closed_request_is_not_decided_again(
        app: Flask, backend: str, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    pat = signed_in(make_person, "pat@example.com")
    reference = alice.ask()["reference"]
    url = f"{SUPPORT}/{reference}/decision"
    for body, field in (({"outcome": "denied"}, "reason_code"),
                        ({"outcome": "denied", "reason_code": "other"}, "message"),
                        ({"outcome": "denied", "reason_code": "because"}, "reason_code"),
                        ({"outcome": "maybe"}, "outcome")):
        response = pat.api("POST", url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in {e["field"] for e in response.json()["errors"]}, body
    assert staff_events(app, "acct-alice") == []
    export = alice.ask("export")["reference"]
    refused = pat.api("POST", f"{SUPPORT}/{export}/decision", json={"outcome": "completed"})
    assert refused.status_code == 409 and "carried out by the plugin" in refused.json()["detail"]
    canceled = alice.ask("objection")
    assert alice.api("POST", f"{API}/requests/{canceled['id']}/cancel").status_code == 200
    for route in ("decision", "extend"):
        closed = pat.api("POST", f"{SUPPORT}/{canceled['reference']}/{route}",
                         json={"outcome": "completed"} if route == "decision" else
                         BODIES["extend"])
        assert closed.status_code == 409, closed.text
        assert "closed (canceled)" in closed.json()["detail"]
    own = pat.ask()["reference"]
    assert pat.api("POST", f"{SUPPORT}/{own}/decision",
                   json={"outcome": "completed"}).status_code == 404
    assert pat.api("POST", f"{SUPPORT}/DR-0000-0000/decision",
                   json={"outcome": "completed"}).status_code == 404


def test_two_officers_deciding_at_once_make_one_decision(
        app: Flask, backend: str, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    reference = alice.ask("automated_decision_review")["reference"]
    officers = [signed_in(make_person, "pat@example.com") for _ in range(2)]
    tokens = [officer.me()["csrf_token"] for officer in officers]
    bodies = [{"outcome": "completed"},
              {"outcome": "denied", "reason_code": "identity_not_verified"}]
    start = threading.Barrier(2)
    answers: list[requests.Response] = [None, None]  # type: ignore[list-item]

    def decide(index: int) -> None:
        start.wait()
        answers[index] = officers[index].http.post(
            f"{officers[index].app_url}{SUPPORT}/{reference}/decision", json=bodies[index],
            headers={"X-CSRF-Token": tokens[index]}, timeout=30)

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["decision"]["outcome"] == winner["outcome"]
    assert loser["decision"]["decided_at"] == winner["decided_at"]
    assert f"already decided: {winner['outcome']}" in loser["detail"]
    decided = [e for e in staff_events(app, "acct-alice") if e.action == "staff.decided"]
    assert len(decided) == 1
    with app.extensions["selfservice"].db.read() as session:
        events = session.execute(sa.text(
            "SELECT count(*) FROM selfservice_privacy_request_events e JOIN "
            "selfservice_privacy_requests r ON r.id = e.request_id WHERE r.reference = :ref "
            "AND e.status IN ('completed', 'denied')"), {"ref": reference}).scalar()
    assert events == 1


def _request(jurisdiction: str, due: datetime) -> PrivacyRequest:
    return PrivacyRequest(jurisdiction=jurisdiction, due_at=due)


@pytest.mark.parametrize(("jurisdiction", "due", "latest"), [
    ("gdpr", datetime(2027, 1, 31, 9, 30, tzinfo=UTC), datetime(2027, 3, 31, 9, 30, tzinfo=UTC)),
    ("gdpr", datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
    ("uk_gdpr", datetime(2027, 12, 31, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
    ("uk_gdpr", datetime(2027, 12, 29, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
    ("gdpr", datetime(2028, 11, 30, tzinfo=UTC), datetime(2029, 1, 30, tzinfo=UTC)),
    ("gdpr", datetime(2027, 6, 15, tzinfo=UTC), datetime(2027, 8, 15, tzinfo=UTC)),
    ("ccpa", datetime(2027, 1, 31, tzinfo=UTC), datetime(2027, 3, 17, tzinfo=UTC)),
    ("us_state", datetime(2028, 2, 1, tzinfo=UTC), datetime(2028, 3, 17, tzinfo=UTC)),
])
def test_the_legal_maximum_of_an_extension(jurisdiction: str, due: datetime,
                                           latest: datetime) -> None:
    assert latest_extension(_request(jurisdiction, due)) == latest


def test_calendar_months() -> None:
    assert add_months(datetime(2027, 1, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29,
                                                                          tzinfo=UTC)
    assert add_months(datetime(2027, 10, 31, tzinfo=UTC), 14) == datetime(2028, 12, 31,
                                                                           tzinfo=UTC)


@pytest.mark.parametrize(("jurisdiction", "due", "extended"), [
    ("gdpr", datetime(2027, 1, 31, 8, tzinfo=UTC), datetime(2027, 3, 31, 8, tzinfo=UTC)),
    ("uk_gdpr", datetime(2027, 12, 31, 8, tzinfo=UTC), datetime(2028, 2, 29, 8, tzinfo=UTC)),
    ("ccpa", datetime(2027, 1, 10, 8, tzinfo=UTC), datetime(2027, 2, 24, 8, tzinfo=UTC)),
])
def test_an_extension_goes_to_the_legal_maximum_once_and_the_customer_is_told(
        app: Flask, backend: str, make_person: Any, mailbox: MailCapture, jurisdiction: str,
        due: datetime, extended: datetime) -> None:
    alice = signed_in(make_person, "alice@example.com")
    created = alice.ask("restriction", jurisdiction=jurisdiction)
    set_dates(app, created["reference"], due_at=due)
    pat = signed_in(make_person, "pat@example.com")
    url = f"{SUPPORT}/{created['reference']}/extend"
    past = pat.api("POST", url, json={**BODIES["extend"],
                                      "until": (extended + timedelta(days=1)).isoformat()})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "until"
    assert pat.api("POST", url, json={"reason": " "}).status_code == 422
    response = pat.api("POST", url, json=BODIES["extend"])
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["extended_due_at"]) == extended
    again = pat.api("POST", url, json=BODIES["extend"])
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "extended_due_at"
    body = alice.api("GET", f"{API}/requests/{created['id']}", csrf=False).json()
    assert datetime.fromisoformat(body["effective_due_at"]) == extended
    assert body["extension_reason"] == BODIES["extend"]["reason"]
    page = alice.get(f"/privacy/requests/{created['id']}").text
    assert extended.strftime("%Y-%m-%d") in page and BODIES["extend"]["reason"] in page
    listing = alice.get("/privacy/requests").text
    assert f"{extended:%Y-%m-%d}</time> (extended)" in listing
    run_jobs(app)
    [mail] = [m for m in mailbox.to("alice@example.com") if "more time" in str(m["Subject"])]
    text = mail.get_content()
    assert f"We will now answer by {spoken(extended)}, instead of {spoken(due)}." in text
    assert BODIES["extend"]["reason"] in text
    [event] = [e for e in staff_events(app, "acct-alice") if e.action == "staff.extended"]
    assert event.details["reason"] == BODIES["extend"]["reason"]
    assert event.details["role"] == "privacy_officer"


def test_no_extension_once_the_deadline_passed(app: Flask, backend: str,
                                               make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    reference = alice.ask("objection")["reference"]
    set_dates(app, reference, due_at=datetime.now(UTC) - timedelta(minutes=1))
    pat = signed_in(make_person, "pat@example.com")
    response = pat.api("POST", f"{SUPPORT}/{reference}/extend", json=BODIES["extend"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "due_at"


def test_a_denial_reaches_the_customer_with_the_way_to_appeal_and_the_appeal_links_back(
        app: Flask, backend: str, make_person: Any, mailbox: MailCapture) -> None:
    alice = signed_in(make_person, "alice@example.com")
    created = alice.ask("correction", jurisdiction="us_state",
                  details={"description": "My name is spelt wrong", "state": "CO"})
    pat = signed_in(make_person, "pat@example.com")
    message = "We could not match the name you gave to the records of the account."
    response = pat.api("POST", f"{SUPPORT}/{created['reference']}/decision",
                       json={"outcome": "denied", "reason_code": "identity_not_verified",
                             "message": message})
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["status"] == "denied" and decided["decided_by"] == "acct-pat"
    until = datetime.fromisoformat(decided["recourse"]["appeal_until"])
    assert until == datetime.fromisoformat(decided["decided_at"]) + timedelta(days=60)
    assert decided["recourse"]["appeal_days"] == 60  # Colorado
    again = pat.api("POST", f"{SUPPORT}/{created['reference']}/decision",
                    json={"outcome": "completed"})
    assert again.status_code == 409 and again.json()["decision"]["outcome"] == "denied"

    page = alice.get(f"/privacy/requests/{created['id']}").text
    assert "We did not do what you asked" in page
    assert "We could not confirm that the request came from you." in page
    assert page.count(message) == 1  # once: in the decision, not also as an error
    assert re.search(f"You can appeal this decision until <time [^>]*datetime="
                     f"\"{re.escape(until.isoformat())}\">{until:%Y-%m-%d}</time>", page)
    assert "within 60 days" in page and "Attorney General of Colorado" in page
    assert "acct-pat" not in page
    run_jobs(app)
    [mail] = [m for m in mailbox.to("alice@example.com") if "was declined" in str(m["Subject"])]
    text = mail.get_content()
    assert created["reference"] in text and message in text
    assert "Why: We could not confirm that the request came from you." in text
    assert f"You can appeal this decision until {spoken(until)}" in text
    assert "within 60 days" in text and f"/privacy/requests/{created['id']}" in text

    token = csrf_token(page)
    appealed = alice.http.post(f"{alice.app_url}/privacy/requests/{created['id']}/appeal",
                               data={"csrf_token": token}, allow_redirects=False, timeout=10)
    assert appealed.status_code == 303
    appeal_page = alice.get(appealed.headers["Location"])
    assert appeal_page.status_code == 200
    listing = alice.api("GET", API + "/requests", csrf=False).json()["requests"]
    [appeal] = [r for r in listing if r["type"] == "appeal"]
    assert f"Our decision on <a href=\"/privacy/requests/{created['id']}\">" \
           f"{created['reference']}</a>" in appeal_page.text
    body = alice.api("GET", f"{API}/requests/{appeal['id']}", csrf=False).json()
    assert body["appeal_of"] == {"id": created["id"], "reference": created["reference"]}
    assert body["jurisdiction"] == "us_state" and body["details"]["state"] == "CO"
    received = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["due_at"]) == received + timedelta(days=60)
    # asking twice gives the same appeal; the original links to it
    twice = alice.http.post(f"{alice.app_url}/privacy/requests/{created['id']}/appeal",
                            data={"csrf_token": token}, allow_redirects=False, timeout=10)
    assert twice.headers["Location"] == appealed.headers["Location"]
    original = alice.api("GET", f"{API}/requests/{created['id']}", csrf=False).json()
    assert original["appeals"] == [{"id": appeal["id"], "reference": appeal["reference"]}]
    assert original["recourse"]["can_appeal"] is False
    # the appeal is decided too: no further appeal, the Attorney General instead
    decided_appeal = pat.api("POST", f"{SUPPORT}/{appeal['reference']}/decision",
                             json={"outcome": "denied", "reason_code": "excessive"}).json()
    assert decided_appeal["recourse"]["appeal_until"] is None
    assert "Attorney General of Colorado" in decided_appeal["recourse"]["words"]
    log = alice.api("GET", API + "/access-log", csrf=False).json()
    assert [e["description"] for e in log][:2] == ["Decided your request"] * 2
    # the Privacy settings page's log gives the decisions' reasons in the reader's language
    german = alice.get("/privacy/", headers={"Accept-Language": "de"}).text
    access = german.split('id="access-log"')[1].split("</table>")[0]
    assert "Wir konnten nicht bestätigen, dass die Anfrage von Ihnen stammt." in access
    assert english_left(f"<table{access}</table>") == []
    result = app.test_cli_runner().invoke(args=["selfservice", "audit", "verify"])
    assert result.exit_code == 0, result.output


def test_an_appeal_elsewhere_is_45_days_and_gdpr_names_the_regulator(
        app: Flask, backend: str, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    virginia = alice.ask("objection", jurisdiction="us_state", details={"state": "VA"})
    gdpr = alice.ask("restriction", jurisdiction="gdpr")
    pat = signed_in(make_person, "pat@example.com")
    for created in (virginia, gdpr):
        response = pat.api("POST", f"{SUPPORT}/{created['reference']}/decision",
                           json={"outcome": "completed", "reason_code": "no_data_held"})
        assert response.status_code == 200, response.text
    body = alice.api("GET", f"{API}/requests/{virginia['id']}", csrf=False).json()
    assert body["status"] == "completed" and body["recourse"]["appeal_days"] == 45
    page = alice.get(f"/privacy/requests/{gdpr['id']}").text
    assert "We did part of what you asked" in page and "data protection authority" in page
    assert "Appeal this decision" not in page
    refused = alice.http.post(f"{alice.app_url}/privacy/requests/{gdpr['id']}/appeal",
                              data={"csrf_token": csrf_token(page)}, allow_redirects=False,
                              timeout=10)
    assert refused.status_code == 303
    assert "cannot be appealed" in alice.get(refused.headers["Location"]).text


def test_a_message_reaches_the_customer(app: Flask, backend: str, make_person: Any,
                                        mailbox: MailCapture) -> None:
    alice = signed_in(make_person, "alice@example.com")
    created = alice.ask("limit_sensitive_data")
    pat = signed_in(make_person, "pat@example.com")
    text = "Which of your projects should this cover? Reply to this e-mail."
    response = pat.api("POST", f"{SUPPORT}/{created['reference']}/messages", json={"text": text})
    assert response.status_code == 201 and response.json()["kind"] == "message"
    assert text in alice.get(f"/privacy/requests/{created['id']}").text
    run_jobs(app)
    [mail] = [m for m in mailbox.to("alice@example.com") if "A message" in str(m["Subject"])]
    assert text in mail.get_content()


@pytest.mark.backends("sqlite")
def test_the_include_works_on_a_page_that_calls_the_request_item(
        app: Flask, make_person: Any) -> None:
    from flask import render_template_string

    alice = signed_in(make_person, "alice@example.com")
    reference = alice.ask()["reference"]
    state = app.extensions["selfservice"]
    with app.app_context():
        with state.db.read() as session:
            item = session.scalar(sa.select(PrivacyRequest)
                                  .where(PrivacyRequest.reference == reference))
        pat, sam = (state.extension.load_identity(f"acct-{name}") for name in ("pat", "sam"))
    page = '{% include "selfservice/support/_decide.html" %}'
    with app.test_request_context("/privacy/support/requests/" + reference):
        # first: the page's first date loads the dates' script, which the others then leave out
        support = render_template_string(page, item=item, identity=sam)
        officer = render_template_string(page, item=item, identity=pat)
        named = render_template_string(page, request=item, identity=pat)
        alices = render_template_string(page, item=item,
                                        identity=state.extension.load_identity("acct-alice"))
    assert f'action="/privacy/support/requests/{reference}/decide"' in officer
    assert officer == named
    assert 'id="decide-deadline"' in support and "decide-form" not in support
    assert "Only a privacy officer" in support
    assert alices.strip() == ""  # a staff member's own request: nothing (here: Alice's own)


@pytest.mark.backends("sqlite")
def test_the_request_form_names_the_state(app: Flask, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    sent = alice.submit("/privacy/rights/restriction", {"jurisdiction": "us_state",
                                                        "state": "CO", "description": ""})
    assert sent.status_code == 303, sent.text[:300]
    [restriction] = alice.api("GET", API + "/requests", csrf=False).json()["requests"]
    assert restriction["details"] == {"state": "CO"}
    received = datetime.fromisoformat(restriction["created_at"])
    assert datetime.fromisoformat(restriction["due_at"]) == received + timedelta(days=45)
    # an appeal names the decision it appeals: the generic form cannot send one
    unnamed = alice.submit("/privacy/requests", {"type": "appeal", "jurisdiction": "us_state",
                                                 "state": "CO", "description": ""})
    assert unnamed.status_code == 400 and "Choose the decision you appeal" in unnamed.text
    other = alice.submit("/privacy/requests", {"type": "objection", "jurisdiction": "gdpr",
                                               "state": "CO", "description": ""})
    assert other.status_code == 303
    objection = alice.api("GET", API + "/requests", csrf=False).json()["requests"][0]
    assert objection["details"] == {}  # a state means nothing under GDPR
