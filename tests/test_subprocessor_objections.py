"""Objections to an announced sub-processor change: an owner or admin objects from the e-mail's
link (page) or the API, once per organisation and change, until the change takes effect; the
objection is audited and shown to the privacy officer, who resolves it; support agents get 403,
customers 404; members 403; after the deadline the objection is refused (422) and nothing is
recorded."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from selfservice.models import AuditEvent, SubprocessorObjection

from .helpers import LiveServer, Person, csrf_token
from .subprocessor_changes import ADD, PAST, day, shown

API = "/privacy/api/v1"
REASON = "Our customers' contracts forbid e-mail providers we have not assessed."
#: as a page shows it
SHOWN = REASON.replace("'", "&#39;")


def page(change_id: str) -> str:
    return f"/privacy/subprocessors/changes/{change_id}/objection"


def endpoint(change_id: str) -> str:
    return f"{API}/dpa/subprocessor-changes/{change_id}/objection"


OFFICER_PAGE = "/privacy/support/subprocessor-objections"
OFFICER_API = API + "/support/subprocessor-objections"


def signed_in(make_person: Any, email: str) -> Person:
    person: Person = make_person()
    person.login(email)
    return person


def objections(app: Flask) -> list[tuple[str, str, str, str]]:
    with app.extensions["selfservice"].db.read() as session:
        return [(o.change_id, o.org_id, o.account_id, o.status) for o in session.scalars(
            sa.select(SubprocessorObjection).order_by(SubprocessorObjection.created_at))]


def post_form(person: Person, path: str, fields: dict[str, str]) -> requests.Response:
    token = csrf_token(person.get(path).text)
    return person.http.post(person.app_url + path, data={"csrf_token": token, **fields},
                            allow_redirects=False, timeout=10)


@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[ADD, PAST])
def test_an_objection_is_recorded_once_and_shown_to_the_privacy_officer_only(
        app: Flask, backend: str, make_person: Any, live_server: LiveServer) -> None:
    signed_out = requests.get(live_server.url + page(ADD["id"]), allow_redirects=False,
                              timeout=10)
    assert signed_out.status_code == 302 and "/auth/login" in signed_out.headers["Location"]
    bob = signed_in(make_person, "bob@example.com")
    html = bob.get(page(ADD["id"])).text
    assert "Adding Mailer GmbH" in html and f"until the end of {shown(39)} (UTC)" in html
    too_long = post_form(bob, page(ADD["id"]), {"reason": "x" * 2001})
    assert too_long.status_code == 400 and "Keep it to 2,000 characters" in too_long.text
    nul = bob.api("POST", endpoint(ADD["id"]), json={"reason": "No\x00thanks"})
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "reason"
    empty = post_form(bob, page(ADD["id"]), {"reason": "  "})
    assert empty.status_code == 400 and objections(app) == []
    sent = post_form(bob, page(ADD["id"]), {"reason": REASON})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(page(ADD["id"]))
    html = bob.get(page(ADD["id"])).text
    assert "Your objection is recorded" in html and SHOWN in html
    assert 'id="objection-form"' not in html and "Sent by Bob Okafor on" in html
    assert "Acme AI objected: see the objection" in bob.get("/privacy/subprocessors").text
    assert objections(app) == [(ADD["id"], "org-acme", "acct-bob", "open")]
    twice = bob.api("POST", endpoint(ADD["id"]), json={"reason": "Again"})
    assert twice.status_code == 409 and twice.json()["objection"]["reason"] == REASON
    mine = bob.api("GET", endpoint(ADD["id"]), csrf=False).json()
    assert mine["org"] == {"id": "org-acme", "name": "Acme AI"} and mine["status"] == "open"
    with app.extensions["selfservice"].db.read() as session:
        [event] = session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == "org:org-acme", AuditEvent.action == "subprocessors.objected"))
    assert event.actor_id == "acct-bob" and event.details["change_id"] == ADD["id"]

    carol = signed_in(make_person, "carol@example.com")  # a member of Acme AI
    assert carol.get(page(ADD["id"])).status_code == 403
    assert carol.api("POST", endpoint(ADD["id"]), json={"reason": REASON}).status_code == 403
    assert carol.api("GET", endpoint(ADD["id"]), csrf=False).status_code == 403
    alice = signed_in(make_person, "alice@example.com")  # no organisation
    assert alice.get(page(ADD["id"])).status_code == 404
    assert alice.api("POST", endpoint(ADD["id"]), json={"reason": REASON}).status_code == 404
    assert bob.get(page("no-such-change")).status_code == 404
    assert bob.api("POST", endpoint("no-such-change"), json={"reason": REASON}
                   ).status_code == 404
    assert objections(app) == [(ADD["id"], "org-acme", "acct-bob", "open")]

    pat = signed_in(make_person, "pat@example.com")  # the privacy officer
    html = pat.get(OFFICER_PAGE).text
    assert "Adding Mailer GmbH" in html and "Acme AI" in html and SHOWN in html
    assert "Bob Okafor &lt;bob@example.com&gt;" in html
    listed = pat.api("GET", OFFICER_API, csrf=False).json()["changes"]
    [group] = [g for g in listed if g["change_id"] == ADD["id"]]
    [row] = group["objections"]
    assert row["objector"] == {"name": "Bob Okafor", "email": "bob@example.com"}
    assert row["reason"] == REASON and row["status"] == "open"
    assert group["change"]["effective_at"] == ADD["effective_at"]
    sam = signed_in(make_person, "sam@example.com")  # support: knows the staff pages
    assert sam.get(OFFICER_PAGE).status_code == 403
    assert sam.api("GET", OFFICER_API, csrf=False).status_code == 403
    for customer in (bob, carol, alice):
        assert customer.get(OFFICER_PAGE).status_code == 404
        assert customer.api("GET", OFFICER_API, csrf=False).status_code == 404
    assert requests.get(live_server.url + OFFICER_API, timeout=10).status_code == 404

    resolve = f"{OFFICER_API}/{row['id']}/resolve"
    assert sam.api("POST", resolve, json={"note": "x"}).status_code == 403
    assert bob.api("POST", resolve, json={"note": "x"}).status_code == 404
    done = pat.api("POST", resolve, json={"note": "We keep Postmark for Acme AI's workspace."})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert pat.api("POST", resolve, json={"note": "again"}).status_code == 409
    assert "We keep Postmark for Acme AI" in bob.get(page(ADD["id"])).text
    assert objections(app) == [(ADD["id"], "org-acme", "acct-bob", "resolved")]


@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[ADD, PAST])
def test_after_the_change_takes_effect_an_objection_is_refused(
        app: Flask, backend: str, make_person: Any) -> None:
    bob = signed_in(make_person, "bob@example.com")
    html = bob.get(page(PAST["id"])).text
    assert f"closed at the end of {shown(-2)} (UTC)" in html
    assert 'id="objection-form"' not in html
    late = bob.api("POST", endpoint(PAST["id"]), json={"reason": REASON})
    assert late.status_code == 422
    problem = late.json()
    assert problem["type"].endswith("/objections-closed")
    assert f"took effect on {day(-1)}" in problem["detail"]
    assert problem["errors"][0]["field"] == "change_id"
    token = csrf_token(html)
    form = bob.http.post(bob.app_url + page(PAST["id"]),
                         data={"csrf_token": token, "reason": REASON},
                         allow_redirects=False, timeout=10)
    assert form.status_code == 422 and "write to our privacy team" in form.text
    assert objections(app) == []


@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[ADD])
def test_an_erased_admins_objection_stays_the_organisations_under_a_pseudonym(
        app: Flask, backend: str, make_person: Any) -> None:
    from selfservice.services import audit, own_erasure

    bob = signed_in(make_person, "bob@example.com")
    assert bob.api("PUT", API + "/dpa/subprocessor-subscription",
                   json={"subscribed": True}).status_code == 200
    assert bob.api("POST", endpoint(ADD["id"]), json={"reason": REASON}).status_code == 201
    with app.app_context():
        own_erasure.pseudonymise("acct-bob", "erased-0123456789abcdef", "request-1")
        reports = dict(audit.verify_trail("org:org-acme"))
    assert objections(app) == [(ADD["id"], "org-acme", "erased-0123456789abcdef", "open")]
    assert reports["org:org-acme"].valid
    with app.extensions["selfservice"].db.read() as session:
        actors = set(session.scalars(sa.select(AuditEvent.actor_id).where(
            AuditEvent.stream == "org:org-acme")))
    assert "acct-bob" not in actors and "erased-0123456789abcdef" in actors
