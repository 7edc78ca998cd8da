"""Deletion over HTTP, through the real sign-in, on both databases: the plan (preview, then
frozen), the typed confirmation (fresh login, wrong entry, blockers, two browsers at once), the
grace-period lock of the API and the pages, the cancel (in time, and too late), and the
e-mails, captured by a real SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from jsonschema import Draft202012Validator

from devtools.mailcapture import MailCapture
from selfservice import Blocker
from selfservice.db import utcnow
from selfservice.models import Deletion, PrivacyRequest
from selfservice.services import deletion_mail, outbox

from .helpers import Person, make_login_stale

API = "/privacy/api/v1"


@pytest.fixture
def ctx(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield app.extensions["selfservice"]


def ask_deletion(person: Person) -> dict[str, Any]:
    response = person.api("POST", API + "/requests", json={"type": "deletion"})
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


def confirm(person: Person, request_id: str, typed: Any) -> requests.Response:
    return person.api("POST", f"{API}/requests/{request_id}/confirm", json={"confirm": typed})


def deletions(ctx: Any) -> list[Deletion]:
    with ctx.db.read() as session:
        return list(session.scalars(sa.select(Deletion)))


def status_of(ctx: Any, request_id: str) -> str:
    with ctx.db.read() as session:
        row = session.get(PrivacyRequest, request_id)
        assert row is not None
        return row.status


def problem_type(response: requests.Response) -> str:
    assert response.headers["Content-Type"] == "application/problem+json", response.text[:300]
    return str(response.json()["type"]).rsplit("/", 1)[-1]


def published(person: Person, name: str) -> Draft202012Validator:
    document = person.http.get(person.app_url + API + "/openapi.json", timeout=10).json()
    root = {"components": document["components"], "$ref": f"#/components/schemas/{name}"}
    return Draft202012Validator(root)


def scheduled(app: Flask, person: Person) -> dict[str, Any]:
    """Carol (a member of Acme AI, with nothing that blocks a deletion) asks for deletion and
    confirms it; she is signed out, then signs in again."""
    person.login("carol@example.com")
    created = ask_deletion(person)
    response = confirm(person, created["id"], "Carol@Example.com")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "scheduled"
    assert person.http.get(person.app_url + API + "/me", timeout=10).status_code == 401
    person.login("carol@example.com")
    return created


def test_the_plan_is_previewed_then_frozen_and_has_the_published_shape(
        app: Flask, person: Person, ctx: Any) -> None:
    person.login("carol@example.com")
    created = ask_deletion(person)
    assert created["status"] == "verified"
    url = f"{API}/requests/{created['id']}/deletion-plan"
    plan = person.api("GET", url, csrf=False).json()
    published(person, "DeletionPlan").validate(plan)
    assert (plan["frozen_at"], plan["scheduled_for"]) == (None, None)
    assert plan["grace_days"] == 30 and plan["blockers"] == []
    logs = next(s for s in plan["sources"] if s["name"] == "inference_logs")
    assert logs["action"] in ("erase", "anonymise", "retain", "manual")
    with app.extensions["demo"].engine.connect() as connection:
        assert logs["records"] == connection.scalar(sa.text(
            "SELECT count(*) FROM inference_logs WHERE account_id = 'acct-carol'"))
    assert plan["irreversible"], "the point of no return is always said"
    assert confirm(person, created["id"], "carol@example.com").status_code == 200
    person.login("carol@example.com")
    frozen = person.api("GET", url, csrf=False).json()
    published(person, "DeletionPlan").validate(frozen)
    assert frozen["frozen_at"] is not None and frozen["scheduled_for"] is not None
    assert [s["name"] for s in frozen["sources"]] == [s["name"] for s in plan["sources"]]


def test_another_accounts_request_and_other_requests_are_not_found(
        app: Flask, make_person: Any, ctx: Any) -> None:
    bob, carol = make_person(), make_person()
    bob.login("bob@example.com")
    bobs = ask_deletion(bob)
    carol.login("carol@example.com")
    appeal = carol.api("POST", API + "/requests", json={"type": "appeal"}).json()
    for request_id in (bobs["id"], appeal["id"], "no-such-request"):
        plan = carol.api("GET", f"{API}/requests/{request_id}/deletion-plan", csrf=False)
        assert (plan.status_code, problem_type(plan)) == (404, "not-found"), request_id
        confirmed = confirm(carol, request_id, "carol@example.com")
        assert confirmed.status_code == 404, request_id
    assert confirm(carol, bobs["id"], "bob@example.com").status_code == 404
    assert deletions(ctx) == [] and status_of(ctx, bobs["id"]) == "verified"


def test_confirming_needs_a_fresh_login(app: Flask, person: Person, ctx: Any) -> None:
    person.login("carol@example.com")
    created = ask_deletion(person)
    make_login_stale(app, person)
    response = confirm(person, created["id"], "carol@example.com")
    assert (response.status_code, problem_type(response)) == (401, "reauth-required")
    assert "reauth_url" in response.json()
    assert deletions(ctx) == [] and status_of(ctx, created["id"]) == "verified"


@pytest.mark.parametrize("typed", ["carol@example.org", " ", "DR-0000-0000"])
def test_a_wrong_confirmation_is_422_and_changes_nothing(
        app: Flask, person: Person, ctx: Any, typed: str) -> None:
    person.login("carol@example.com")
    created = ask_deletion(person)
    response = confirm(person, created["id"], typed)
    assert (response.status_code, problem_type(response)) == (422, "validation-error")
    assert [e["field"] for e in response.json()["errors"]] == ["confirm"]
    assert deletions(ctx) == [] and status_of(ctx, created["id"]) == "verified"
    assert person.me()["email"] == "carol@example.com"  # still signed in
    shapeless = person.api("POST", f"{API}/requests/{created['id']}/confirm", json={})
    assert [e["field"] for e in shapeless.json()["errors"]] == ["confirm"]


def test_blockers_are_409_with_what_to_do_and_change_nothing(
        app: Flask, person: Person, ctx: Any) -> None:
    ctx.extension.deletion.blocker_checks.append(lambda account_id: [Blocker(
        "org_owner_with_members", "You own an organisation with other members: transfer "
        "ownership first.", "/console/team", "Transfer ownership")])
    person.login("carol@example.com")
    created = ask_deletion(person)
    plan = person.api("GET", f"{API}/requests/{created['id']}/deletion-plan", csrf=False)
    assert [b["code"] for b in plan.json()["blockers"]] == ["org_owner_with_members"]
    response = confirm(person, created["id"], "carol@example.com")
    assert (response.status_code, problem_type(response)) == (409, "deletion-blocked")
    [blocker] = response.json()["blockers"]
    assert blocker == {"code": "org_owner_with_members", "action_url": "/console/team",
                       "action_label": "Transfer ownership",
                       "message": "You own an organisation with other members: transfer "
                                  "ownership first."}
    assert deletions(ctx) == [] and status_of(ctx, created["id"]) == "verified"


def test_two_browsers_confirming_at_once_make_one_deletion(
        app: Flask, make_person: Any, ctx: Any) -> None:
    first, second = make_person(), make_person()
    first.login("carol@example.com")
    created = ask_deletion(first)
    second.login("carol@example.com")
    tokens = {id(p): p.me()["csrf_token"] for p in (first, second)}
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def go(person: Person) -> None:
        barrier.wait()
        answers.append(person.http.post(
            f"{person.app_url}{API}/requests/{created['id']}/confirm", timeout=20,
            json={"confirm": "carol@example.com"},
            headers={"X-CSRF-Token": tokens[id(person)]}).status_code)

    threads = [threading.Thread(target=go, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 200 in answers and set(answers) <= {200, 401}, answers
    assert len(deletions(ctx)) == 1 and status_of(ctx, created["id"]) == "scheduled"


def test_in_the_grace_period_only_the_deletion_answers_until_it_is_canceled(
        app: Flask, person: Person, ctx: Any) -> None:
    created = scheduled(app, person)
    assert person.me()["email"] == "carol@example.com"
    for method, path in (("GET", "/preferences"), ("GET", "/requests"),
                         ("GET", "/consent-events"), ("POST", "/requests")):
        answer = person.api(method, API + path, json={"type": "appeal"})
        assert (answer.status_code, problem_type(answer)) == (403, "deletion-scheduled"), path
    own = person.api("GET", f"{API}/requests/{created['id']}", csrf=False)
    assert own.json()["status"] == "scheduled"
    # every page, the plugin's and the console's, leads to the grace page
    for path in ("/privacy/", "/privacy/preferences", "/console", "/"):
        page = person.get(path)
        assert page.url.endswith("/privacy/delete/scheduled"), path
        assert "Cancel the deletion and keep my account" in page.text
    canceled = person.api("POST", f"{API}/requests/{created['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert person.api("GET", API + "/preferences", csrf=False).status_code == 200
    assert person.get("/console").url.endswith("/console")
    assert len(deletions(ctx)) == 1 and deletions(ctx)[0].canceled_at is not None


def test_a_cancel_after_erasure_began_is_409_and_changes_nothing(
        app: Flask, person: Person, ctx: Any) -> None:
    created = scheduled(app, person)
    with ctx.db.transaction() as session:
        session.execute(sa.update(Deletion).values(started_at=utcnow()))
    response = person.api("POST", f"{API}/requests/{created['id']}/cancel")
    assert (response.status_code, problem_type(response)) == (409, "erasure-begun")
    assert "can no longer be canceled" in response.json()["detail"]
    assert status_of(ctx, created["id"]) == "scheduled"
    assert deletions(ctx)[0].canceled_at is None


def test_the_emails_name_the_date_the_point_of_no_return_and_how_to_cancel(
        app: Flask, person: Person, ctx: Any, mailbox: MailCapture) -> None:
    created = scheduled(app, person)
    outbox.work(burst=True)
    when = format_date(deletions(ctx)[0].scheduled_for, "long", locale="en")
    reference = created["reference"]
    [confirmation] = [m for m in mailbox.to("carol@example.com")
                      if "will be deleted" in m["Subject"]]
    assert confirmation["Subject"] == f"Your account will be deleted on {when} ({reference})"
    body = confirmation.get_content()
    for words in (when, "cannot be stopped or undone", reference,
                  f"{person.app_url}/privacy/delete/scheduled", "signed you out"):
        assert words in body, words
    mailbox.clear()
    deletion_mail.send_reminder(created["id"])
    [reminder] = mailbox.to("carol@example.com")
    # (a subject this long is folded onto its own line: unfolded, it starts with a space)
    assert str(reminder["Subject"]).strip().startswith(
        f"Reminder: your account will be deleted on {when}")
    assert "/privacy/delete/scheduled" in reminder.get_content()
    mailbox.clear()
    person.api("POST", f"{API}/requests/{created['id']}/cancel")
    outbox.work(burst=True)
    [canceled] = mailbox.to("carol@example.com")
    assert canceled["Subject"] == f"Your account will not be deleted ({reference})"
    assert "Nothing was erased" in canceled.get_content()
    mailbox.clear()
    assert deletion_mail.send_reminder(created["id"])["sent"] == "none"  # canceled: no reminder
    assert mailbox.to("carol@example.com") == []
