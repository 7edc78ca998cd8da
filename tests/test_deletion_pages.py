"""The deletion pages without a browser: the danger zone needs a fresh sign-in to continue,
the generic form no longer offers deletion, blockers are shown with what to do and keep the
confirmation away, the grace lock leaves static files and logout alone, and the request page
keeps the frozen plan and, once done, the certificate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice import Blocker
from selfservice.db import utcnow
from selfservice.models import Deletion, PrivacyRequest

from .helpers import Person, csrf_token, forms_of, make_login_stale

API = "/privacy/api/v1"


@pytest.fixture
def ctx(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield app.extensions["selfservice"]


def start(person: Person) -> Any:
    """Press "Continue" on the danger zone; the answer, redirects followed."""
    token = csrf_token(person.get("/privacy/delete").text)
    response = person.http.post(person.app_url + "/privacy/delete", timeout=10,
                                data={"csrf_token": token}, allow_redirects=False,
                                headers={"Referer": person.app_url + "/privacy/delete"})
    return person.follow(response, login="carol@example.com")


def test_the_danger_zone_is_linked_and_the_generic_form_no_longer_offers_deletion(
        app: Flask, person: Person) -> None:
    overview = person.login("carol@example.com")
    assert 'href="/privacy/delete"' in overview.text
    page = person.get("/privacy/requests")
    assert 'href="/privacy/delete"' in page.text
    assert 'value="deletion"' not in page.text
    refused = person.submit("/privacy/requests", {"type": "deletion", "jurisdiction": "gdpr"})
    assert refused.status_code == 400
    zone = person.get("/privacy/delete")
    assert "Export my data first" in zone.text and "point of no return" in zone.text


def test_continue_needs_a_fresh_sign_in_then_opens_or_reuses_the_request(
        app: Flask, person: Person, ctx: Any) -> None:
    person.login("carol@example.com")
    make_login_stale(app, person)
    plan = start(person)
    assert "/auth/reauth" in " ".join(person.visited)
    assert plan.url.endswith("/privacy/delete"), plan.url  # back where the button was
    plan = start(person)
    assert "Check what deletion will do" in plan.text
    again = start(person)
    assert again.url == plan.url  # the same open request
    with ctx.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(PrivacyRequest)) == 1


def test_blockers_are_shown_with_what_to_do_and_no_confirmation(
        app: Flask, person: Person, ctx: Any) -> None:
    ctx.extension.deletion.blocker_checks.append(lambda account_id: [Blocker(
        "gpu_running", "You have a GPU instance running: stop it first.", "/console",
        "See your instances")])
    person.login("carol@example.com")
    plan = start(person)
    assert "You have a GPU instance running: stop it first." in plan.text
    assert '<a href="/console">See your instances</a>' in plan.text
    assert 'name="confirm"' not in plan.text
    forced = person.http.post(plan.url, timeout=10, allow_redirects=False, data={
        "csrf_token": csrf_token(plan.text), "confirm": "carol@example.com"})
    assert forced.status_code == 409 and "See your instances" in forced.text
    with ctx.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Deletion)) == 0


def test_the_lock_leaves_static_files_and_logout_alone(
        app: Flask, person: Person, ctx: Any) -> None:
    person.login("carol@example.com")
    plan = start(person)
    done = person.http.post(plan.url, timeout=10, allow_redirects=False, data={
        "csrf_token": csrf_token(plan.text), "confirm": "carol@example.com"})
    assert done.status_code == 200 and "signed out on every device" in done.text
    person.login("carol@example.com", next_path="/privacy/delete/scheduled")
    css = person.http.get(person.app_url + "/privacy/static/selfservice.css", timeout=10,
                          allow_redirects=False)
    assert css.status_code == 200
    grace = person.get("/privacy/delete/scheduled")
    logout = [f for f in forms_of(grace.text) if f["action"].endswith("/auth/logout")][0]
    out = person.http.post(person.app_url + logout["action"], data=logout["fields"],
                           timeout=10, allow_redirects=False)
    assert out.status_code in (302, 303)
    assert person.http.get(person.app_url + API + "/me", timeout=10).status_code == 401
    # the grace page's own sign-out works for a host with its own login too
    grace = person.login("carol@example.com", next_path="/privacy/delete/scheduled")
    [button] = [f for f in forms_of(grace.text) if f["action"].endswith("/sign-out")]
    out = person.http.post(person.app_url + button["action"], data=button["fields"],
                           timeout=10, allow_redirects=False)
    assert out.status_code == 303
    assert person.http.get(person.app_url + API + "/me", timeout=10).status_code == 401


def test_the_request_page_keeps_the_frozen_plan_and_offers_the_certificate(
        app: Flask, person: Person, ctx: Any) -> None:
    person.login("carol@example.com")
    plan = start(person)
    request_id = plan.url.rsplit("/", 1)[-1]
    person.http.post(plan.url, timeout=10, data={"csrf_token": csrf_token(plan.text),
                                                 "confirm": "carol@example.com"})
    person.login("carol@example.com", next_path="/privacy/delete/scheduled")
    person.api("POST", f"{API}/requests/{request_id}/cancel")
    page = person.get(f"/privacy/requests/{request_id}")
    assert "The plan you confirmed" in page.text and "Canceled" in page.text
    assert 'data-source="inference_logs"' in page.text
    assert "Download the signed certificate" not in page.text
    certificate = {"certificate": {"reference": "x"}, "jws": "a.b.c"}
    with ctx.db.transaction() as session:
        session.execute(sa.update(Deletion).values(certificate=certificate,
                                                   certificate_sha256="ab" * 32,
                                                   finished_at=utcnow()))
    page = person.get(f"/privacy/requests/{request_id}")
    assert "Download the signed certificate" in page.text
    assert "<summary>Verify</summary>" in page.text
    download = person.get(f"/privacy/requests/{request_id}/certificate")
    assert download.status_code == 200 and download.json() == certificate
    assert "attachment" in download.headers["Content-Disposition"]
