"""The support queue and a request's page for staff: every route hidden from customers, personal
data masked everywhere until a reveal, search by reference or exact e-mail, filters, keyset
pages without duplicates or gaps, and the staff actions (notes, assignment, the acknowledgement
resent, a failed export tried again), each in the customer's access log."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.db import utcnow
from selfservice.models import AuditEvent, BackgroundJob, PrivacyRequest
from selfservice.services import outbox
from selfservice.sources import DataSource

from .helpers import Person, csrf_token

API = "/privacy/api/v1"
SUPPORT = API + "/support"
CUSTOMERS = ("alice@example.com", "bob@example.com", "carol@example.com")
STAFF = ("sam@example.com", "pat@example.com")
ALICE = ("alice@example.com", "Alice Martin")
#: an e-mail address anywhere in a page or a body (a masked one has *** before the @)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}")


def db(app: Flask) -> Any:
    return app.extensions["selfservice"].db


def run_jobs(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def signed_in(make_person: Any, email: str) -> Person:
    person: Person = make_person()
    person.login(email)
    return person


def staff_events(app: Flask, account_id: str) -> list[AuditEvent]:
    with db(app).read() as session:
        return list(session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == f"account:{account_id}",
            AuditEvent.action.startswith("staff.")).order_by(AuditEvent.seq)))


def unmasked(text: str) -> set[str]:
    """The e-mail addresses in ``text`` that are not masked, but for the controller's own and
    the signed-in staff member's (the console's header names who is signed in)."""
    return {found for found in EMAIL.findall(text) if "***" not in found} - {
        "privacy@ecohash.example", "info@ecohash.com", "sam@example.com"}


def test_every_staff_route_is_hidden_from_customers_and_open_to_staff(
        app: Flask, backend: str, make_person: Any) -> None:
    reference = signed_in(make_person, "alice@example.com").ask()["reference"]
    gets = [f"{SUPPORT}/requests", f"{SUPPORT}/requests/{reference}", f"{SUPPORT}/health",
            f"{SUPPORT}/requests?q={reference}", "/privacy/support",
            f"/privacy/support/requests/{reference}"]
    posts = [(f"{SUPPORT}/requests/{reference}/notes", {"text": "hello"}),
             (f"{SUPPORT}/requests/{reference}/assign", {"assignee": "me"}),
             (f"{SUPPORT}/requests/{reference}/resend-acknowledgement", None),
             (f"{SUPPORT}/requests/{reference}/retry", None)]
    pages = [f"/privacy/support/requests/{reference}/{action}"
             for action in ("note", "assign", "unassign", "resend", "retry", "reveal")]
    for email in (*CUSTOMERS, *STAFF, None):
        person = signed_in(make_person, email) if email else make_person()
        for path in gets:
            got = person.http.get(person.app_url + path, allow_redirects=False, timeout=10)
            assert got.status_code == (200 if email in STAFF else 404), (email, path)
        for path, body in posts:
            sent = (person.api("POST", path, json=body) if email else
                    requests.post(person.app_url + path, json=body, timeout=10))
            if email in STAFF:
                assert sent.status_code in (200, 201, 202, 409), (email, path, sent.text)
            else:
                assert sent.status_code == 404, (email, path)
                assert sent.headers["Content-Type"] == "application/problem+json"
        for path in pages:
            posted = person.http.post(person.app_url + path, data={"text": "x"},
                                      allow_redirects=False, timeout=10)
            # staff without the form's token: 400; anyone else: no such page
            assert posted.status_code == (400 if email in STAFF else 404), (email, path)
    assert {e.details["role"] for e in staff_events(app, "acct-alice")} == {
        "support", "privacy_officer"}


def test_staff_see_every_account_masked_until_a_reveal(
        app: Flask, backend: str, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    reference = alice.ask()["reference"]
    sam = signed_in(make_person, "sam@example.com")
    queue = sam.api("GET", f"{SUPPORT}/requests", csrf=False)
    detail = sam.api("GET", f"{SUPPORT}/requests/{reference}", csrf=False)
    search = sam.api("GET", f"{SUPPORT}/requests", csrf=False,
                     params={"q": "alice@example.com"})
    health = sam.api("GET", f"{SUPPORT}/health", csrf=False)
    page = sam.get("/privacy/support")
    found = sam.submit("/privacy/support", {"q": "alice@example.com"})
    one = sam.get(f"/privacy/support/requests/{reference}")
    for answer in (queue, detail, search, health, page, found, one):
        assert answer.status_code == 200, answer.url
        assert unmasked(answer.text) == set(), answer.url
        assert "Alice Martin" not in answer.text, answer.url
    [row] = [r for r in queue.json()["requests"] if r["reference"] == reference]
    assert row["account"] == {"id": "acct-alice", "email_masked": "a***@example.com",
                              "erased": False}
    assert detail.json()["account"]["name_masked"] == "A. M."
    assert "a***@example.com" in one.text and "A. M." in one.text
    assert 'Requests of <span translate="no">a***@example.com</span>' in found.text
    # the page's reveal form, with its reason: the full details, recorded
    revealed = sam.http.post(f"{sam.app_url}/privacy/support/requests/{reference}/reveal",
                             data={"csrf_token": csrf_token(one.text),
                                   "reason": "Customer on the phone"}, timeout=10)
    assert revealed.status_code == 200
    assert "alice@example.com" in revealed.text and "Alice Martin" in revealed.text
    no_reason = sam.http.post(f"{sam.app_url}/privacy/support/requests/{reference}/reveal",
                              data={"csrf_token": csrf_token(one.text), "reason": " "},
                              timeout=10)
    assert no_reason.status_code == 422 and unmasked(no_reason.text) == set()
    events = staff_events(app, "acct-alice")
    assert [(e.action, e.details.get("reason")) for e in events] == [
        ("staff.viewed", None), ("staff.revealed", "Customer on the phone")]


def test_search_by_reference_or_exact_email_answers_in_one_step(
        app: Flask, backend: str, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    first, second = alice.ask()["reference"], alice.ask("objection")["reference"]
    bob_ref = signed_in(make_person, "bob@example.com").ask()["reference"]
    alice.api("POST", f"{API}/requests/{alice.ask('restriction')['id']}/cancel")
    sam = signed_in(make_person, "sam@example.com")

    def search(q: str, **params: str) -> list[str]:
        response = sam.api("GET", f"{SUPPORT}/requests", csrf=False, params={"q": q, **params})
        assert response.status_code == 200, response.text
        return [r["reference"] for r in response.json()["requests"]]

    assert search(f"  {first.lower()} ") == [first]
    assert search(second, type="export") == [second]  # a reference: whatever the filters
    assert search("DR-0000-0000") == []
    by_email = search("ALICE@example.com")
    assert first in by_email and second in by_email and bob_ref not in by_email
    assert len(by_email) == 3  # the canceled one too: a search looks at closed requests
    assert len(search("alice@example.com", status="open")) == 2
    assert search("nobody@example.com") == []
    bad = sam.api("GET", f"{SUPPORT}/requests", csrf=False, params={"q": "alice"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "q"
    # the page: a reference opens its request at once
    opened = sam.submit("/privacy/support", {"q": first.lower()})
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/privacy/support/requests/{first}")
    detail = sam.get(opened.headers["Location"])
    assert f"{first}" in detail.text and "Status: <span" in detail.text
    missing = sam.submit("/privacy/support", {"q": "DR-0000-0000"})
    assert missing.status_code == 404 and "No request has the reference" in missing.text
    listed = sam.submit("/privacy/support", {"q": "alice@example.com"})
    assert listed.status_code == 200 and first in listed.text and bob_ref not in listed.text


def _plant(app: Flask, count: int) -> list[PrivacyRequest]:
    """``count`` requests of bob and carol, with due dates from 20 days ago to 40 days ahead
    (some the same), of several types, laws, statuses and assignees."""
    now = utcnow().replace(microsecond=0)
    types = ("export", "correction", "objection", "deletion")
    laws = ("gdpr", "ccpa", "uk_gdpr")
    statuses = ("received", "verified", "in_progress", "scheduled", "completed", "denied")
    rows = [PrivacyRequest(
        reference=f"DR-T{i // 1000:03d}-{i % 1000:04d}",
        account_id=("acct-bob", "acct-carol")[i % 2],
        type=types[i % 4], status=statuses[i % 6], jurisdiction=laws[i % 3], details={},
        created_at=now - timedelta(days=30), due_at=now + timedelta(days=(i * 7) % 60 - 20),
        updated_at=now, progress=0, step="", downloads=0, channel="console",
        assignee="acct-sam" if i % 5 == 0 else None) for i in range(count)]
    with db(app).transaction() as session:
        session.add_all(rows)
    return rows


def _all_pages(person: Person, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        response = person.api("GET", f"{SUPPORT}/requests", csrf=False,
                              params={**params, "limit": 7, "cursor": cursor or ""})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["requests"]) <= 7
        seen += [r["reference"] for r in body["requests"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


def test_filters_overdue_and_keyset_pages_without_duplicates_or_gaps(
        app: Flask, backend: str, make_person: Any) -> None:
    rows = _plant(app, 90)
    now = utcnow()
    sam = signed_in(make_person, "sam@example.com")
    open_ = [r for r in rows if r.status not in ("completed", "denied")]

    def expected(chosen: list[PrivacyRequest]) -> list[str]:
        return [r.reference for r in sorted(chosen, key=lambda r: (r.due_at, r.id))]

    assert _all_pages(sam) == expected(open_)
    assert _all_pages(sam, status="all") == expected(rows)
    assert _all_pages(sam, type="export", jurisdiction="gdpr") == expected(
        [r for r in open_ if r.type == "export" and r.jurisdiction == "gdpr"])
    overdue = _all_pages(sam, overdue="true")
    assert overdue == expected([r for r in open_ if r.due_at < now]) and overdue
    assert _all_pages(sam, assignee="me") == expected(
        [r for r in open_ if r.assignee == "acct-sam"])
    assert _all_pages(sam, assignee="none", status="completed") == expected(
        [r for r in rows if r.status == "completed" and r.assignee is None])
    first = sam.api("GET", f"{SUPPORT}/requests", csrf=False).json()["requests"][0]
    assert first["overdue"] is True and first["days_left"] <= -1
    page = sam.get("/privacy/support?overdue=true")
    assert "Overdue by" in page.text and 'class="ss-overdue"' in page.text
    for bad in ({"cursor": "not-a-cursor"}, {"status": "lost"}, {"limit": "0"},
                {"overdue": "yes"}, {"type": "x"}):
        response = sam.api("GET", f"{SUPPORT}/requests", csrf=False, params=bad)
        assert response.status_code == 422, bad
        assert {e["field"] for e in response.json()["errors"]} == set(bad)
    # the page walks the same pages through its Next link
    html = sam.get("/privacy/support?limit=7").text
    assert html.count('data-label="Request"') == 7 and 'id="next-page"' in html


def test_notes_and_assignment_are_shown_to_the_customer_as_staff_actions(
        app: Flask, backend: str, make_person: Any) -> None:
    alice = signed_in(make_person, "alice@example.com")
    reference = alice.ask()["reference"]
    sam, pat = signed_in(make_person, "sam@example.com"), signed_in(make_person, "pat@example.com")
    base = f"{SUPPORT}/requests/{reference}"
    note = sam.api("POST", base + "/notes", json={"text": "Called her back;\nwaiting."})
    assert note.status_code == 201 and note.json()["author_role"] == "support"
    assert sam.api("POST", base + "/notes", json={"text": "  "}).status_code == 422
    assert sam.api("POST", base + "/assign", json={"assignee": "me"}).json()["assignee"] == \
        "acct-sam"
    assert pat.api("POST", base + "/assign", json={"assignee": "acct-pat"}).status_code == 200
    for wrong in ("acct-alice", "acct-bob", "nobody-here"):
        refused = pat.api("POST", base + "/assign", json={"assignee": wrong})
        assert refused.status_code == 422, wrong
    detail = sam.api("GET", base, csrf=False).json()
    assert detail["assignee"] == "acct-pat"
    assert [(n["text"], n["author_id"]) for n in detail["notes"]] == [
        ("Called her back;\nwaiting.", "acct-sam")]
    events = staff_events(app, "acct-alice")
    assert [(e.action, e.details["role"], e.actor_id) for e in events] == [
        ("staff.note_added", "support", "acct-sam"), ("staff.assigned", "support", "acct-sam"),
        ("staff.assigned", "privacy_officer", "acct-pat"), ("staff.viewed", "support", "acct-sam")]
    assert "Called her back" not in str([e.details for e in events])  # internal stays so
    log = alice.api("GET", API + "/access-log", csrf=False).json()
    assert [e["action"] for e in log] == ["staff.viewed", "staff.assigned", "staff.assigned",
                                          "staff.note_added"]
    page = alice.get("/privacy/").text
    assert "Wrote an internal note on your request" in page
    assert "Assigned your request to a member of staff" in page
    # by the page's forms too
    html = sam.get(f"/privacy/support/requests/{reference}").text
    assert "Called her back" in html and "acct-pat" in html
    token = csrf_token(html)
    done = sam.http.post(f"{sam.app_url}/privacy/support/requests/{reference}/assign",
                         data={"csrf_token": token}, allow_redirects=False, timeout=10)
    assert done.status_code == 303
    assert "Assigned to you." in sam.get(done.headers["Location"]).text
    alice.api("POST", f"{API}/requests/{alice.ask('objection')['id']}/cancel")
    closed = [r for r in alice.api("GET", API + "/requests", csrf=False).json()["requests"]
              if r["status"] == "canceled"][0]["reference"]
    assert sam.api("POST", f"{SUPPORT}/requests/{closed}/assign",
                   json={"assignee": "me"}).status_code == 409
    result = app.test_cli_runner().invoke(args=["selfservice", "audit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_staff_member_never_sees_their_own_requests(
        app: Flask, backend: str, make_person: Any) -> None:
    pat = signed_in(make_person, "pat@example.com")
    own = pat.ask()["reference"]
    base = f"{SUPPORT}/requests/{own}"
    assert own not in [r["reference"] for r in pat.api(
        "GET", f"{SUPPORT}/requests", csrf=False, params={"status": "all"}).json()["requests"]]
    assert pat.api("GET", f"{SUPPORT}/requests", csrf=False,
                   params={"q": own}).json()["requests"] == []
    assert pat.api("GET", f"{SUPPORT}/requests", csrf=False,
                   params={"q": "pat@example.com"}).json()["requests"] == []
    assert pat.api("GET", base, csrf=False).status_code == 404
    assert pat.get(f"/privacy/support/requests/{own}").status_code == 404
    for path, body in (("/notes", {"text": "mine"}), ("/assign", {"assignee": "me"}),
                       ("/resend-acknowledgement", None), ("/retry", None)):
        assert pat.api("POST", base + path, json=body).status_code == 404, path
    sam = signed_in(make_person, "sam@example.com")
    assert sam.api("GET", base, csrf=False).status_code == 200
    # pat's own failed attempts left no trace; sam's look is on pat's log like any customer's
    assert [(e.action, e.actor_id) for e in staff_events(app, "acct-pat")] == [
        ("staff.viewed", "acct-sam")]


def test_support_resends_the_acknowledgement(app: Flask, backend: str, make_person: Any,
                                             mailbox: MailCapture) -> None:
    alice = signed_in(make_person, "alice@example.com")
    created = alice.ask()
    run_jobs(app)
    assert len(mailbox.to("alice@example.com")) == 1
    sam = signed_in(make_person, "sam@example.com")
    path = f"{SUPPORT}/requests/{created['reference']}/resend-acknowledgement"
    sent = sam.api("POST", path)
    assert sent.status_code == 202 and sent.json()["kind"] == "mail.request_received"
    again = sam.api("POST", path)
    assert again.json()["id"] != sent.json()["id"]
    run_jobs(app)
    messages = mailbox.to("alice@example.com")
    assert [m["Subject"] for m in messages] == [
        f"We received your privacy request {created['reference']}"] * 3
    with db(app).read() as session:
        keys = sorted(session.scalars(sa.select(BackgroundJob.dedupe_key).where(
            BackgroundJob.target_id == created["id"])))
    assert keys == [f"mail:received:{created['id']}",
                    f"mail:received:{created['id']}:resend:2",
                    f"mail:received:{created['id']}:resend:3"]
    assert [e.action for e in staff_events(app, "acct-alice")] == [
        "staff.acknowledgement_resent"] * 2
    alice.api("POST", f"{API}/requests/{created['id']}/cancel")
    assert sam.api("POST", path).status_code == 409


@pytest.mark.settings(SELFSERVICE_JOB_MAX_ATTEMPTS=1)
def test_support_retries_a_failed_export_but_never_downloads_it(
        app: Flask, backend: str, make_person: Any, tmp_path: Any) -> None:
    app.config["SELFSERVICE_EXPORT_DIR"] = str(tmp_path / "exports")
    state = {"fail": True}

    def flaky(subject: Any) -> Any:
        if state["fail"]:
            raise ConnectionError("billing database unreachable")
        yield {"n": 1}

    app.extensions["selfservice"].extension.register_source(DataSource(
        name="flaky", description="Flaky", purpose="Testing", legal_basis="contract",
        retention="none", schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        export=flaky))
    alice = signed_in(make_person, "alice@example.com")
    created = alice.ask("export")
    run_jobs(app)
    sam = signed_in(make_person, "sam@example.com")
    health = sam.api("GET", f"{SUPPORT}/health", csrf=False).json()
    [failed] = [j for j in health["failed_jobs"] if j["reference"] == created["reference"]]
    assert failed["kind"] == "export.build" and failed["retryable"] is True
    assert "ConnectionError" in (failed["error"] or "")
    page = sam.get("/privacy/support").text
    assert 'id="failed-jobs"' in page and f"Try {created['reference']} again" in page
    assert unmasked(page) == set()
    base = f"{SUPPORT}/requests/{created['reference']}"
    assert sam.api("GET", base, csrf=False).json()["can_retry"] is True
    state["fail"] = False
    retried = sam.api("POST", base + "/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "verified"
    assert "Tried again by our support team" in str(retried.json()["events"])
    assert sam.api("POST", base + "/retry").status_code == 409
    run_jobs(app)
    assert sam.api("GET", base, csrf=False).json()["status"] == "completed"
    assert [e.action for e in staff_events(app, "acct-alice")] == ["staff.viewed",
                                                                  "staff.job_retried"]
    # support sees the archive exists, never its file
    assert sam.get(f"/privacy/requests/{created['id']}/download").status_code == 404
    assert sam.api("GET", f"{API}/requests/{created['id']}", csrf=False).status_code == 404
    assert "download" not in sam.api("GET", base, csrf=False).json()
    corrected = alice.ask()["reference"]
    assert sam.api("POST", f"{SUPPORT}/requests/{corrected}/retry").status_code == 409


def test_the_queue_orders_by_the_deadline_in_force_after_an_extension(
        app: Flask, backend: str, make_person: Any) -> None:
    soon = signed_in(make_person, "alice@example.com").ask()["reference"]
    later = signed_in(make_person, "bob@example.com").ask()["reference"]
    with db(app).transaction() as session:  # soon is due in 5 days, later in 20
        for reference, days in ((soon, 5), (later, 20)):
            row = session.scalar(sa.select(PrivacyRequest)
                                 .where(PrivacyRequest.reference == reference))
            row.due_at = row.deadline_at = utcnow() + timedelta(days=days)
    pat = signed_in(make_person, "pat@example.com")

    def order(**params: str) -> list[str]:
        rows = pat.api("GET", f"{SUPPORT}/requests", csrf=False,
                       params={"type": "correction", **params}).json()["requests"]
        return [r["reference"] for r in rows if r["reference"] in (soon, later)]

    assert order() == [soon, later]
    extended = pat.api("POST", f"{SUPPORT}/requests/{soon}/extend",
                       json={"reason": "We need the billing team's records"})
    assert extended.status_code == 200, extended.text
    # now due in about two months: after the other one, and shown with its new date
    assert order() == [later, soon]
    [row] = pat.api("GET", f"{SUPPORT}/requests", csrf=False, params={"q": soon}).json()[
        "requests"]
    assert row["due_at"] == extended.json()["extended_due_at"]
    # keyset pages of one row each follow the same order
    first = pat.api("GET", f"{SUPPORT}/requests", csrf=False,
                    params={"type": "correction", "limit": "1"}).json()
    assert [r["reference"] for r in first["requests"]] == [later]
    second = pat.api("GET", f"{SUPPORT}/requests", csrf=False,
                     params={"type": "correction", "limit": "1",
                             "cursor": first["next_cursor"]}).json()
    assert [r["reference"] for r in second["requests"]] == [soon]


@pytest.mark.backends("sqlite")
def test_staff_read_what_the_customer_asked_and_added(app: Flask, make_person: Any) -> None:
    """Support handles a request from what the customer wrote: the description, and what the
    customer added to it later, on the staff page and in the staff API; and a request with
    nothing written says so."""
    alice = signed_in(make_person, "alice@example.com")
    asked = alice.api("POST", API + "/requests", json={
        "type": "correction", "details": {"description": "My billing name is wrong"}})
    assert asked.status_code == 202, asked.text
    request = asked.json()
    added = alice.api("POST", f"{API}/requests/{request['id']}/details",
                      json={"text": "It should read Alice Martin-Lopez"})
    assert added.status_code == 200, added.text
    bare = alice.ask("restriction")
    sam = signed_in(make_person, "sam@example.com")
    detail = sam.api("GET", f"{SUPPORT}/requests/{request['reference']}", csrf=False).json()
    description = detail["details"]["description"]
    assert description.startswith("My billing name is wrong\n\n[")
    assert description.endswith("]\nIt should read Alice Martin-Lopez")
    page = sam.get(f"/privacy/support/requests/{request['reference']}").text
    assert 'id="support-description"' in page
    assert "My billing name is wrong" in page and "It should read Alice Martin-Lopez" in page
    other = sam.get(f"/privacy/support/requests/{bare['reference']}").text
    assert 'id="support-description-none"' in other
