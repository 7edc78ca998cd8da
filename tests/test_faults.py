"""Fault matrix: Redis stopped, the SMTP server down, the OpenID provider down, while customers
use the console; and which database errors are a 503.

(PostgreSQL restarted under traffic: test_fault_postgres.py. More of Redis: the worker command
through a Redis restart in test_jobs.py, an export asked for meanwhile in test_requests.py, the
rate limits in memory in test_rate_limits.py.)
"""

from __future__ import annotations

import smtplib
import socket
import sqlite3
import ssl
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

import psycopg
import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from devtools.services import OidcProvider, RedisServer
from selfservice import mail
from selfservice.db import utcnow
from selfservice.models import BackgroundJob
from selfservice.services import outbox

from .helpers import Person, forms_of, make_login_stale

API = "/privacy/api/v1"


def run_jobs(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def mail_jobs(app: Flask) -> list[BackgroundJob]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(BackgroundJob).where(
            BackgroundJob.kind.like("mail.%")).order_by(BackgroundJob.created_at)))


def all_jobs(app: Flask) -> list[BackgroundJob]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(BackgroundJob)
                                    .order_by(BackgroundJob.created_at)))


def make_due(app: Flask) -> None:
    """The back-off is over (rather than wait for it)."""
    with app.extensions["selfservice"].db.transaction() as session:
        session.execute(sa.update(BackgroundJob).where(BackgroundJob.status == "pending")
                        .values(available_at=utcnow()))


@pytest.mark.backends("postgresql")  # work horses forked per job, as in production
@pytest.mark.settings(SELFSERVICE_JOB_MAX_ATTEMPTS=1)
def test_mail_waits_out_an_smtp_outage_and_goes_out_once(
        app: Flask, person: Person, mailbox: MailCapture) -> None:
    person.login("alice@example.com")
    mailbox.stop()
    try:
        assert person.api("PATCH", f"{API}/preferences",
                          json={"training_opt_in": True}).status_code == 200
        assert person.api("POST", f"{API}/requests",
                          json={"type": "correction", "details": {
                              "description": "My company name is misspelt."}}
                          ).status_code == 202
        assert person.api("PATCH", f"{API}/preferences",
                          json={"training_opt_in": False}).status_code == 200
        jobs = mail_jobs(app)
        assert len(jobs) == 3
        for _ in range(2):  # more attempts than a job has (one): the outage lasts
            make_due(app)
            run_jobs(app)
        waiting = mail_jobs(app)
        assert [(j.status, j.attempts) for j in waiting] == [("pending", 2)] * 3, [
            (j.status, j.error) for j in waiting]
        assert all("e-mail server" in (j.error or "") for j in waiting), waiting[0].error
        assert all(j.available_at > utcnow() for j in waiting)  # backing off
    finally:
        mailbox.start()
    mailbox.refusing = "451 4.3.0 Try again later"  # back, but not taking mail yet
    try:
        make_due(app)
        run_jobs(app)
    finally:
        mailbox.refusing = None
    assert [(j.status, j.attempts) for j in mail_jobs(app)] == [("pending", 3)] * 3
    assert mailbox.messages == []
    make_due(app)
    run_jobs(app)
    assert [j.status for j in mail_jobs(app)] == ["succeeded"] * 3
    make_due(app)
    run_jobs(app)  # a second run sends nothing again
    messages = mailbox.to("alice@example.com")
    assert len(messages) == 3
    assert len({m["Message-ID"] for m in messages}) == 3
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects[0].startswith("We received your privacy request")
    assert subjects[1:] == ["You opted in to model training",
                            "Your content will not be used for model training"]


def test_only_a_failure_that_may_pass_waits_for_the_smtp_server() -> None:
    temporary = [ConnectionRefusedError(111, "Connection refused"), TimeoutError("timed out"),
                 socket.gaierror(-3, "Temporary failure in name resolution"),
                 smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
                 smtplib.SMTPConnectError(421, b"Too busy"),
                 smtplib.SMTPDataError(451, b"Try again later"),
                 smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"Mailbox busy")})]
    lasting = [smtplib.SMTPDataError(554, b"Rejected"),
               smtplib.SMTPAuthenticationError(535, b"Bad credentials"),
               smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"Busy"),
                                              "b@example.com": (550, b"No such user")}),
               smtplib.SMTPNotSupportedError("STARTTLS not supported"),
               ssl.SSLCertVerificationError("certificate verify failed")]
    assert [mail.is_temporary(e) for e in temporary] == [True] * len(temporary)
    assert [mail.is_temporary(e) for e in lasting] == [False] * len(lasting)


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_JOB_MAX_ATTEMPTS=1)
def test_an_email_still_unsent_after_mail_retry_hours_fails_for_support(app: Flask) -> None:
    state = app.extensions["selfservice"]
    with app.app_context():
        with state.db.transaction() as session:
            job_id = outbox.schedule(session, "diagnostics.ping").id
        for age_hours, expected in ((71, "pending"), (73, "failed")):
            with state.db.transaction() as session:
                session.execute(sa.update(BackgroundJob).where(BackgroundJob.id == job_id)
                                .values(available_at=utcnow(), created_at=utcnow() - timedelta(
                                    hours=age_hours)))
            ctx = outbox.claim(state.db, job_id, "test-worker")
            assert ctx is not None
            postponed = mail.MailUnavailable("The e-mail server is not answering for now.",
                                             keep_trying=72 * 3600)
            assert outbox.finish_attempt(state.db, job_id, error=str(postponed), retry=True,
                                         attempt=ctx.attempt,
                                         keep_trying=postponed.keep_trying) == expected


def until_callback(person: Person, email: str) -> str:
    """Sign in at the provider up to its redirect back to the console: the callback URL."""
    response = person.http.get(person.app_url + "/auth/login?next=/privacy/",
                               allow_redirects=False, timeout=10)
    for _ in range(10):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(person.app_url + "/auth/callback"):
                return target
            response = person.http.get(target, allow_redirects=False, timeout=10)
            continue
        [form] = forms_of(response.text)
        fields = dict(form["fields"])
        if "login" in fields:
            fields.update(login=email, password="any-password")
        response = person.http.post(urljoin(response.url, form["action"] or response.url),
                                    data=fields, allow_redirects=False, timeout=10)
    raise AssertionError("never sent back to the console")


def assert_sign_in_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    assert int(response.headers["Retry-After"]) > 0
    assert "sign-in service is not answering" in response.text, response.text[:2000]
    assert 'href="/"' in response.text  # a way back: the console's start page
    assert "Traceback" not in response.text


@pytest.mark.backends("sqlite")  # the provider's outage, whatever the database
def test_the_identity_provider_down(app: Flask, person: Person, make_person: Any,
                                    oidc: OidcProvider) -> None:
    person.login("alice@example.com")
    late = make_person()
    callback = until_callback(late, "bob@example.com")
    oidc.stop()
    try:
        # signed-in customers keep working
        assert person.get("/privacy/").status_code == 200
        assert person.get("/console").status_code == 200
        assert person.api("PATCH", f"{API}/preferences",
                          json={"marketing_emails": True}).status_code == 200
        # signing in says clearly that it cannot be done now, at its start and at its return
        visitor = make_person()
        assert_sign_in_unavailable(visitor.http.get(
            visitor.app_url + "/auth/login?next=/privacy/", allow_redirects=False, timeout=10))
        assert_sign_in_unavailable(late.http.get(callback, allow_redirects=False, timeout=10))
        assert late.http.get(late.app_url + f"{API}/me", timeout=10).status_code == 401
        # step-up fails closed: no dangerous page or call without a fresh login
        make_login_stale(app, person)
        page = person.get("/hosttest/danger")
        assert_sign_in_unavailable(page)
        assert "dangerous page reached" not in page.text
        call = person.api("POST", "/hosttest/api/danger")
        assert call.status_code == 401 and call.json()["type"].endswith("/reauth-required")
        assert person.get("/privacy/").status_code == 200  # still signed in meanwhile
    finally:
        oidc.start()
    # back: the step-up and a new sign-in work again
    assert person.get("/hosttest/danger", login="alice@example.com").text == (
        "dangerous page reached")
    assert make_person().login("carol@example.com").status_code == 200


@pytest.mark.backends("sqlite")
def test_only_a_database_out_of_reach_is_a_503(app_config: dict[str, Any]) -> None:
    """A statement that is wrong stays the 500 it is; a connection refused, or a pool with no
    connection free, is a 503: a page in the host's layout, or a problem for JSON clients."""
    from demo.app import create_app

    app = create_app(app_config)
    errors = {
        "refused": sa.exc.OperationalError("SELECT 1", {}, psycopg.OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused')),
        "pool": sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        "statement": sa.exc.OperationalError("SELECT x FROM missing", {},
                                             sqlite3.OperationalError("no such table: missing")),
    }

    @app.get("/fails/<name>")
    def fails(name: str) -> str:
        raise errors[name]

    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 as production answers it
    client = app.test_client()
    for name in ("refused", "pool"):
        page = client.get(f"/fails/{name}")
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "<title>Temporarily unavailable · EcoHash</title>" in page.text
        problem = client.get(f"/fails/{name}", headers={"Accept": "application/json"})
        assert problem.status_code == 503
        assert problem.headers["Content-Type"] == "application/problem+json"
        assert problem.json["type"].endswith("/unavailable")
    assert client.get("/fails/statement").status_code == 500


@pytest.mark.backends("postgresql")
def test_the_console_works_while_redis_is_down_and_its_jobs_run_once_after(
        app: Flask, make_person: Any, redis_server: RedisServer, mailbox: MailCapture) -> None:
    redis_server.stop()
    try:
        alice = make_person()
        alice.login("alice@example.com")  # sign-ins are rate-limited: counted in memory now
        for path in ("/privacy/", "/privacy/preferences", "/privacy/requests",
                     "/privacy/cookies", "/console"):
            assert alice.get(path).status_code == 200, path
        cookies = alice.get("/privacy/cookies").text
        banner = next(f for f in forms_of(cookies) if f["action"].endswith("/cookie-consent"))
        assert alice.http.post(alice.app_url + "/privacy/cookie-consent", timeout=10,
                               data={**banner["fields"], "choice": "reject_all"},
                               allow_redirects=False).status_code == 303
        assert alice.api("PATCH", f"{API}/preferences",
                         json={"training_opt_in": True}).status_code == 200
        asked = alice.submit("/privacy/requests", {
            "type": "correction", "jurisdiction": "gdpr",
            "description": "My billing address is out of date."})
        assert asked.status_code == 303, asked.text[:500]
        waiting = all_jobs(app)
        assert len(waiting) == 2 and {j.status for j in waiting} == {"pending"}  # the outbox
        ids = {j.id for j in waiting}
        health = requests.get(alice.app_url + f"{API}/health", timeout=10)
        assert (health.status_code, health.json()) == (503, {"status": "degraded"})
    finally:
        redis_server.start()
    run_jobs(app)  # the dispatcher sends what the outbox kept, a worker runs it (the
    run_jobs(app)  # worker command through a Redis restart: test_jobs.py); twice: once each
    assert [(j.kind, j.status, j.attempts) for j in all_jobs(app) if j.id in ids] == [
        ("mail.training_confirmation", "succeeded", 1),
        ("mail.request_received", "succeeded", 1)]
    assert sorted(str(m["Subject"])[:30] for m in mailbox.to("alice@example.com")) == [
        "We received your privacy reque", "You opted in to model training"]
