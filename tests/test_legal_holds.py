"""Legal holds and the retention plan over the API: a privacy officer places, lists and
releases holds (each change in the account's audit trail); a customer and a support agent get
the 404 of a path that does not exist, and change nothing; bad input is a 422 naming every
bad field, and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from selfservice.db import utcnow
from selfservice.models import AuditEvent, LegalHold
from selfservice.schemas.legal_holds import MAX_REASON as PUBLISHED_MAX_REASON
from selfservice.services import legal_holds

from .helpers import Person

API = "/privacy/api/v1"
HOLDS = API + "/legal-holds"


def future(days: int = 90) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def holds_in_db(app: Flask) -> list[tuple[str, bool]]:
    with app.extensions["selfservice"].db.read() as session:
        return [(h.account_id, h.released_at is None)
                for h in session.scalars(sa.select(LegalHold).order_by(LegalHold.placed_at))]


def audit(app: Flask, account_id: str) -> list[tuple[str, str, str | None]]:
    with app.extensions["selfservice"].db.read() as session:
        return [(e.action, e.actor_type, e.actor_id) for e in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.stream == f"account:{account_id}",
                                        AuditEvent.action.like("legal_hold.%"))
            .order_by(AuditEvent.seq))]


def fields(response: requests.Response) -> set[str]:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


def test_a_privacy_officer_places_lists_and_releases_holds(app: Flask, person: Person) -> None:
    person.login("pat@example.com")
    placed = person.api("POST", HOLDS, json={
        "account_id": "acct-alice", "reason": "Litigation hold: case 2026-CV-118",
        "review_at": future(), "sources": ["inference_logs", "invoices"]})
    assert placed.status_code == 201, placed.text[:300]
    hold = placed.json()
    assert (hold["account_id"], hold["sources"], hold["placed_by"], hold["active"]) == (
        "acct-alice", ["inference_logs", "invoices"], "acct-pat", True)
    everything = person.api("POST", HOLDS, json={
        "account_id": "acct-bob", "reason": "Regulator's inquiry", "review_at": future(30)})
    assert everything.status_code == 201 and everything.json()["sources"] is None

    listed = person.api("GET", HOLDS, csrf=False, params={"account_id": "acct-alice"}).json()
    assert [h["id"] for h in listed["holds"]] == [hold["id"]]
    assert len(person.api("GET", HOLDS, csrf=False).json()["holds"]) == 2
    plan = person.api("GET", API + "/retention/plan", csrf=False)
    assert plan.status_code == 200
    rules = {f"{r['source']}.{r['rule']}": r for r in plan.json()["rules"]}
    assert rules["inference_logs.metadata"]["held_accounts"] == 2
    assert rules["security_events.log"]["held_accounts"] == 1

    released = person.api("POST", f"{HOLDS}/{hold['id']}/release",
                          json={"reason": "Case settled"})
    assert released.status_code == 200, released.text[:300]
    assert (released.json()["active"], released.json()["released_by"]) == (False, "acct-pat")
    again = person.api("POST", f"{HOLDS}/{hold['id']}/release", json={"reason": "Twice"})
    assert again.status_code == 409 and again.json()["type"].endswith("/conflict")
    active = person.api("GET", HOLDS, csrf=False, params={"account_id": "acct-alice"}).json()
    assert active["holds"] == []
    every = person.api("GET", HOLDS, csrf=False,
                       params={"account_id": "acct-alice", "status": "all"}).json()
    assert [h["release_reason"] for h in every["holds"]] == ["Case settled"]
    assert audit(app, "acct-alice") == [
        ("legal_hold.placed", "privacy_officer", "acct-pat"),
        ("legal_hold.released", "privacy_officer", "acct-pat")]
    with app.app_context():  # what the erasure engine and support read
        assert [h.id for h in legal_holds.list_holds("acct-bob")] == [everything.json()["id"]]


def test_customers_and_support_agents_get_404_and_change_nothing(
        app: Flask, make_person: Any) -> None:
    with app.app_context():
        hold = legal_holds.place("acct-carol", "Fraud investigation", utcnow() + timedelta(9),
                                 None, "acct-pat")
    body = {"account_id": "acct-alice", "reason": "Let me keep it", "review_at": future()}
    for email in ("alice@example.com", "sam@example.com"):
        who = make_person()
        who.login(email)
        calls = [who.api("GET", HOLDS, csrf=False),
                 who.api("GET", HOLDS, csrf=False, params={"status": "bogus"}),
                 who.api("POST", HOLDS, json=body),
                 who.api("POST", HOLDS, json={"not": "valid"}),
                 who.api("POST", f"{HOLDS}/{hold.id}/release", json={"reason": "Mine"}),
                 who.api("GET", API + "/retention/plan", csrf=False)]
        for response in calls:
            assert response.status_code == 404, (email, response.request.url)
            assert response.headers["Content-Type"] == "application/problem+json"
            assert response.json()["type"].endswith("/not-found")
    unknown = requests.get(app.config["SELFSERVICE_PUBLIC_URL"] + API + "/no-such-thing",
                           timeout=10).json()
    assert calls[0].json()["title"] == unknown["title"]  # the same as a path that is not there
    assert holds_in_db(app) == [("acct-carol", True)]
    base = app.config["SELFSERVICE_PUBLIC_URL"]
    anonymous = [requests.get(base + HOLDS, timeout=10),
                 requests.post(base + HOLDS, json=body, timeout=10)]
    assert [r.status_code for r in anonymous] == [404, 404]  # not 401: nothing to sign in to
    csrf_less = make_person()
    csrf_less.login("alice@example.com")
    # the 404 comes before the CSRF check, which would otherwise tell the route exists
    assert csrf_less.api("POST", HOLDS, csrf=False, json=body).status_code == 404
    assert holds_in_db(app) == [("acct-carol", True)]


def test_bad_input_is_refused_naming_the_fields_and_changes_nothing(
        app: Flask, person: Person) -> None:
    person.login("pat@example.com")
    assert fields(person.api("POST", HOLDS, json={})) == {"account_id", "reason", "review_at"}
    assert fields(person.api("POST", HOLDS, json={
        "account_id": "acct-nobody", "reason": "   ", "review_at": "2001-01-01T00:00:00Z",
        "sources": ["inference_logs", "no_such_source"]})) == {
        "account_id", "reason", "review_at", "sources"}
    good = {"account_id": "acct-alice", "reason": "Audit", "review_at": future()}
    for change, field in [({"reason": "nul \x00 byte"}, "reason"),
                          ({"reason": "x" * (PUBLISHED_MAX_REASON + 1)}, "reason"),
                          ({"review_at": "next tuesday"}, "review_at"),
                          ({"review_at": "2030-01-01T00:00:00"}, "review_at"),
                          ({"sources": []}, "sources"), ({"sources": "invoices"}, "sources"),
                          ({"account_id": "tab\there"}, "account_id"),
                          ({"extra": True}, "extra")]:
        assert fields(person.api("POST", HOLDS, json={**good, **change})) == {field}, change
    messages = {e["field"]: e["message"] for e in person.api("POST", HOLDS, json={
        **good, "account_id": "acct-nobody", "sources": ["nope"]}).json()["errors"]}
    assert messages == {"account_id": "no such account", "sources": "unknown sources: nope"}
    assert fields(person.api("GET", HOLDS, csrf=False, params={"status": "bogus"})) == {
        "status"}
    assert holds_in_db(app) == [] and audit(app, "acct-alice") == []

    with app.app_context():
        hold = legal_holds.place("acct-alice", "Audit", utcnow() + timedelta(9), None, None,
                                 actor_type=legal_holds.OPERATOR)
    assert fields(person.api("POST", f"{HOLDS}/{hold.id}/release", json={})) == {"reason"}
    assert fields(person.api("POST", f"{HOLDS}/{hold.id}/release",
                             json={"reason": ""})) == {"reason"}
    missing = person.api("POST", f"{HOLDS}/no-such-hold/release", json={"reason": "Done"})
    assert missing.status_code == 404
    assert holds_in_db(app) == [("acct-alice", True)]
    csrf_less = person.api("POST", HOLDS, csrf=False, json=good)
    assert csrf_less.status_code == 403 and holds_in_db(app) == [("acct-alice", True)]


def test_the_published_reason_limit_is_the_services(app: Flask) -> None:
    assert PUBLISHED_MAX_REASON == legal_holds.MAX_REASON == LegalHold.reason.type.length
