"""Staff access: the staff routes are hidden from everyone but support and privacy officers
(the 404 of a path that does not exist), a reveal takes a reason and is recorded without the
revealed address, and the customer sees it under "Who accessed your data"."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify

from selfservice.blueprints import unrouted
from selfservice.blueprints.staff_guards import staff_api, staff_page
from selfservice.identity import Identity
from selfservice.models import AuditEvent

from .helpers import Person

API = "/privacy/api/v1"
CUSTOMERS = ("alice@example.com", "bob@example.com", "carol@example.com")
STAFF = ("sam@example.com", "pat@example.com")
REASON = "Customer called about DR request, verifying identity"


def _request_of(person: Person, email: str) -> str:
    person.login(email)
    response = person.api("POST", API + "/requests", json={"type": "correction"})
    assert response.status_code == 202, response.text
    return str(response.json()["reference"])


def _reveal(person: Person, reference: str, body: Any = None, **kwargs: Any
            ) -> requests.Response:
    return person.api("POST", f"{API}/support/requests/{reference}/reveal",
                      json={"reason": REASON} if body is None else body, **kwargs)


def _as_unrouted(response: requests.Response) -> dict[str, Any]:
    """The answer, as it would be for a path that does not exist."""
    assert response.status_code == 404, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    body.pop("instance")
    return body


def _staff_events(app: Flask, account_id: str) -> list[AuditEvent]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == f"account:{account_id}",
            AuditEvent.action.startswith("staff.")).order_by(AuditEvent.seq)))


def test_only_staff_reveal_and_everyone_else_finds_no_such_path(
        app: Flask, make_person: Any) -> None:
    reference = _request_of(make_person(), "alice@example.com")
    nowhere = make_person()
    nowhere.login("carol@example.com")
    missing = _as_unrouted(nowhere.api("POST", API + "/support/requests/x/nowhere",
                                       json={"reason": REASON}))
    for email in CUSTOMERS:
        customer = make_person()
        customer.login(email)
        assert _as_unrouted(_reveal(customer, reference)) == missing, email
        # no reason, no CSRF header, another method, a huge body: still no such path
        assert _as_unrouted(_reveal(customer, reference, {})) == missing
        assert _as_unrouted(_reveal(customer, reference, csrf=False)) == missing
        for method in ("GET", "PUT", "DELETE", "OPTIONS"):
            response = customer.api(method, f"{API}/support/requests/{reference}/reveal")
            assert _as_unrouted(response) == missing, (email, method)
        big = customer.api("POST", f"{API}/support/requests/{reference}/reveal",
                           data=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
        assert _as_unrouted(big) == missing
    anonymous = requests.post(f"{nowhere.app_url}{API}/support/requests/{reference}/reveal",
                              json={"reason": REASON}, timeout=10)
    assert _as_unrouted(anonymous) == missing
    assert _staff_events(app, "acct-alice") == []
    for email, name in (("sam@example.com", "support"), ("pat@example.com", "privacy_officer")):
        staff = make_person()
        staff.login(email)
        response = _reveal(staff, reference)
        assert response.status_code == 200, response.text
        assert response.json() == {"email": "alice@example.com", "name": "Alice Martin"}
        assert response.headers["Cache-Control"] == "no-store"
        assert _staff_events(app, "acct-alice")[-1].details["role"] == name
        # a request of another form than the stored one is found too
        assert _reveal(staff, " " + reference.lower()).status_code == 200
        wrong = staff.api("GET", f"{API}/support/requests/{reference}/reveal")
        assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   \n "},
                                  {"reason": "x" * 301}, {"reason": 42},
                                  {"reason": "why\u0000"}, {"reason": "ok", "more": 1}])
def test_a_reveal_without_a_proper_reason_is_refused(app: Flask, make_person: Any,
                                                     body: dict[str, Any]) -> None:
    reference = _request_of(make_person(), "alice@example.com")
    sam = make_person()
    sam.login("sam@example.com")
    response = _reveal(sam, reference, body)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} & {"reason", "more"}
    assert _staff_events(app, "acct-alice") == []


def test_no_reveal_of_an_unknown_request_or_of_ones_own(app: Flask, make_person: Any) -> None:
    pat = make_person()
    own = _request_of(pat, "pat@example.com")
    assert _reveal(pat, own).status_code == 404
    assert _reveal(pat, "DR-0000-0000").status_code == 404
    assert _staff_events(app, "acct-pat") == []


def test_the_record_of_a_reveal_holds_no_unmasked_address(app: Flask, backend: str,
                                                          make_person: Any) -> None:
    reference = _request_of(make_person(), "alice@example.com")
    sam = make_person()
    sam.login("sam@example.com")
    reason = "Caller said she is alice@example.com; checking it matches"
    assert _reveal(sam, reference, {"reason": reason}).status_code == 200
    [event] = _staff_events(app, "acct-alice")
    recorded = json.dumps(event.details)
    assert "alice@example.com" not in recorded and "Alice Martin" not in recorded
    assert event.details == {"role": "support", "reference": reference,
                             "fields": ["email", "name"],
                             "reason": "Caller said she is a***@example.com; checking it "
                                       "matches"}
    assert (event.actor_type, event.actor_id) == ("support", "acct-sam")
    result = app.test_cli_runner().invoke(args=["selfservice", "audit", "verify"])
    assert result.exit_code == 0, result.output


def test_the_customer_sees_who_accessed_their_data(app: Flask, backend: str,
                                                   make_person: Any) -> None:
    alice = make_person()
    reference = _request_of(alice, "alice@example.com")
    assert alice.api("GET", API + "/access-log", csrf=False).json() == []
    page = alice.get("/privacy/").text
    assert "Who accessed your data" in page and 'id="access-log-empty"' in page
    for email, reason in (("sam@example.com", "Checking the account on a call"),
                          ("pat@example.com", "Deciding the correction <b>now</b>")):
        staff = make_person()
        staff.login(email)
        assert _reveal(staff, reference, {"reason": reason}).status_code == 200
    log = alice.api("GET", API + "/access-log", csrf=False)
    assert log.status_code == 200
    entries = log.json()
    assert [(e["role"], e["action"], e["reason"], e["reference"]) for e in entries] == [
        ("privacy_officer", "staff.revealed", "Deciding the correction <b>now</b>", reference),
        ("support", "staff.revealed", "Checking the account on a call", reference)]
    assert all(e["at"].endswith("+00:00") for e in entries)
    assert "sam@example.com" not in log.text and "acct-sam" not in log.text
    page = alice.get("/privacy/").text
    assert 'id="access-log"' in page and "access-log-empty" not in page
    assert "Privacy officer" in page and "Support agent" in page
    assert "Deciding the correction &lt;b&gt;now&lt;/b&gt;" in page
    assert f'(request <span class="ss-ref" translate="no">{reference}</span>)' in page
    # nobody else's log shows it
    carol = make_person()
    carol.login("carol@example.com")
    assert carol.api("GET", API + "/access-log", csrf=False).json() == []
    assert requests.get(alice.app_url + API + "/access-log", timeout=10).status_code == 401


def _add_staff_routes(app: Flask) -> None:
    """A host's staff page and call, guarded as the plugin's are."""
    bp = Blueprint("stafftest", __name__)
    unrouted.hide_routes(bp)

    @bp.get("/page")
    @staff_page()
    def staff_only_page(identity: Identity) -> str:
        return f"staff page for {identity.account_id}"

    @bp.get("/officer-page")
    @staff_page(privacy_officer_only=True)
    def officer_page(identity: Identity) -> str:
        return "officer page"

    @bp.post("/decide")
    @staff_api(privacy_officer_only=True)
    def decide(identity: Identity) -> Any:
        return jsonify(decided_by=identity.account_id)

    app.register_blueprint(bp, url_prefix="/stafftest")


def test_the_guards_answer_each_role(app: Flask, make_person: Any) -> None:
    _add_staff_routes(app)
    expected = {"alice@example.com": (404, 404, 404), "bob@example.com": (404, 404, 404),
                "carol@example.com": (404, 404, 404), "sam@example.com": (200, 403, 403),
                "pat@example.com": (200, 200, 200), None: (404, 404, 404)}
    for email, statuses in expected.items():
        person = make_person()
        if email:
            person.login(email)
        page = person.http.get(person.app_url + "/stafftest/page", allow_redirects=False,
                               timeout=10)
        officer = person.http.get(person.app_url + "/stafftest/officer-page",
                                  allow_redirects=False, timeout=10)
        decide = (person.api("POST", "/stafftest/decide") if email else
                  requests.post(person.app_url + "/stafftest/decide", timeout=10))
        assert (page.status_code, officer.status_code, decide.status_code) == statuses, email
        if statuses[2] == 403:
            assert decide.headers["Content-Type"] == "application/problem+json"
            assert decide.json()["type"].endswith("/forbidden")
        if statuses[2] == 200:
            assert decide.json() == {"decided_by": "acct-pat"}


def test_opening_a_request_is_a_look_the_customer_sees_once_per_visit(
        app: Flask, make_person: Any) -> None:
    alice = make_person()
    reference = _request_of(alice, "alice@example.com")
    sam = make_person()
    sam.login("sam@example.com")
    for _ in range(2):  # the page, then the API, then again: one look within the window
        assert sam.get(f"/privacy/support/requests/{reference}").status_code == 200
        assert sam.api("GET", f"{API}/support/requests/{reference}",
                       csrf=False).status_code == 200
    [look] = alice.api("GET", API + "/access-log", csrf=False).json()
    assert (look["role"], look["action"], look["reference"]) == (
        "support", "staff.viewed", reference)
    assert "stayed hidden" in look["description"]
    # the queue itself is not a look at anyone's request; a note is an action of its own
    assert sam.api("GET", f"{API}/support/requests", csrf=False).status_code == 200
    assert [e.action for e in _staff_events(app, "acct-alice")] == ["staff.viewed"]
    # a look from another staff member is another entry
    pat = make_person()
    pat.login("pat@example.com")
    assert pat.get(f"/privacy/support/requests/{reference}").status_code == 200
    log = alice.api("GET", API + "/access-log", csrf=False).json()
    assert [(e["role"], e["action"]) for e in log] == [
        ("privacy_officer", "staff.viewed"), ("support", "staff.viewed")]
    result = app.test_cli_runner().invoke(args=["selfservice", "audit", "verify"])
    assert result.exit_code == 0, result.output
