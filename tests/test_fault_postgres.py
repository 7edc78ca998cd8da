"""Fault matrix, PostgreSQL: the database restarts, then crashes, while a signed-in customer uses
the console's pages and the API from several clients at once.

The test runs on a PostgreSQL cluster of its own (the session's serves every other test), which
it shuts down under traffic and starts again: first as an operator restarts it (``fast``: open
transactions roll back), then as a crash (``immediate``: recovery at the next start).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from devtools.services import PostgresServer
from selfservice.models import AuditEvent, BackgroundJob, ConsentEvent, PrivacyRequest
from selfservice.services import audit, consent_verification
from selfservice.services.account_chain import CONFIRMATION_JOB
from selfservice.services.privacy_requests import ACK_JOB, EXPORT_JOB

from .helpers import Person

API = "/privacy/api/v1"
#: seconds the database stays down, each time
OUTAGE = 2.0
#: every request sent this long after the database is back succeeds
RECOVERY = 2.0
#: the retried export request carries it: one request however often it is sent
KEY = "fault-matrix-export"


@pytest.fixture
def restartable_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def db_url(restartable_postgres: PostgresServer) -> str:
    """This module's apps use the cluster the test restarts."""
    return restartable_postgres.create_database("console")


@dataclass
class Answer:
    sent: float
    what: str
    status: int
    content_type: str
    retry_after: str | None
    body: str


class Traffic:
    """Clients of one signed-in customer (each with a copy of the session cookie) asking for
    pages and the API in a loop; each answer is kept with the time its request was sent."""

    def __init__(self, person: Person) -> None:
        self.person, self.csrf = person, person.me()["csrf_token"]
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def send(self, http: requests.Session, what: str, method: str, path: str,
             headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        sent = time.monotonic()
        response = http.request(method, self.person.app_url + path, allow_redirects=False,
                                timeout=15, headers={"X-CSRF-Token": self.csrf,
                                                     **(headers or {})}, **kwargs)
        with self.lock:
            self.answers.append(Answer(sent, what, response.status_code,
                                       response.headers.get("Content-Type", ""),
                                       response.headers.get("Retry-After"), response.text))
        return response

    def reader(self, http: requests.Session) -> None:
        for what, path in (("privacy page", "/privacy/"), ("host page", "/console"),
                           ("api read", f"{API}/preferences")):
            self.send(http, what, "GET", path)

    def writer(self, http: requests.Session) -> None:
        """Turns training on or off: a change writes a consent event, its audit note, the
        preferences' new head and the confirmation e-mail's job, all or nothing."""
        current = self.send(http, "api read", "GET", f"{API}/preferences")
        wanted = not current.json()["training_opt_in"] if current.ok else True
        self.send(http, "api write", "PATCH", f"{API}/preferences",
                  json={"training_opt_in": wanted})

    def asker(self, http: requests.Session) -> None:
        """The same export request again and again, as a client retries it."""
        self.send(http, "api request", "POST", f"{API}/requests", json={"type": "export"},
                  headers={"Idempotency-Key": KEY})
        time.sleep(0.2)

    def _loop(self, step: Callable[[requests.Session], None]) -> None:
        http = requests.Session()
        http.cookies.update(self.person.http.cookies)
        while not self.stop.is_set():
            step(http)

    def start(self) -> None:
        for step in (self.reader, self.reader, self.writer, self.writer, self.asker):
            self.threads.append(threading.Thread(target=self._loop, args=(step,),
                                                 daemon=True))
            self.threads[-1].start()

    def finish(self) -> list[Answer]:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        return sorted(self.answers, key=lambda a: a.sent)


def assert_plain_503(answer: Answer) -> None:
    """A 503 that says what happened and when to come back: a problem for the API, a page in
    the host's layout for the pages; never a traceback."""
    where = f"{answer.what}: {answer.body[:300]}"
    assert answer.retry_after is not None and 0 < int(answer.retry_after) <= 30, where
    for leak in ("Traceback", "OperationalError", "psycopg", "SELECT"):
        assert leak not in answer.body, where
    if answer.what.startswith("api"):
        assert answer.content_type == "application/problem+json", where
        assert '"status":503' in answer.body.replace(" ", "") and "/unavailable" in answer.body
        return
    assert answer.content_type.startswith("text/html"), where
    assert "Temporarily unavailable" in answer.body and "try again" in answer.body, where
    assert "<title>Temporarily unavailable · EcoHash</title>" in answer.body, where  # host's


def outage(server: PostgresServer, mode: str) -> tuple[float, float]:
    time.sleep(1.5)  # traffic first
    down = time.monotonic()
    server.shut_down(mode)
    time.sleep(OUTAGE)
    server.start_again()
    return down, time.monotonic()


@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_REQUESTS=None)
def test_a_database_restart_and_a_crash_under_traffic(
        app: Flask, person: Person, restartable_postgres: PostgresServer) -> None:
    person.login("alice@example.com")
    traffic = Traffic(person)
    traffic.start()
    try:
        windows = [outage(restartable_postgres, mode) for mode in ("fast", "immediate")]
        time.sleep(RECOVERY + 1.5)
    finally:
        answers = traffic.finish()

    # every answer is a success or a plain 503; each kind of request met the outage
    assert {a.status for a in answers} <= {200, 202, 503}, sorted(
        {(a.what, a.status, a.body[:200]) for a in answers if a.status not in (200, 202, 503)})
    unavailable = [a for a in answers if a.status == 503]
    for answer in unavailable:
        assert_plain_503(answer)
    assert {a.what for a in unavailable} == {a.what for a in answers}
    # each time, every request sent RECOVERY seconds after the database was back succeeded
    # (until shortly before the next outage: a request sent then may meet its beginning)
    ends = [down - 0.5 for down, _ in windows[1:]] + [float("inf")]
    for (down, up), end in zip(windows, ends, strict=True):
        late = [a.sent - up for a in unavailable if down <= a.sent < end]
        print(f"503s until {max(late):+.2f} s after the database was back")
        assert late and max(late) < RECOVERY
    assert_nothing_half_written(app, answers)


def assert_nothing_half_written(app: Flask, answers: list[Answer]) -> None:
    """Every write is whole: the consent chain checks out against its head, its audit notes
    and the preferences; every change has its e-mail job, every job its audit note; the
    retried export request exists once, with its jobs."""
    assert consent_verification.verify_subject("account", "acct-alice").valid
    assert all(report.valid for _, report in audit.verify_trail())
    with app.extensions["selfservice"].db.read() as session:
        training = session.scalars(sa.select(ConsentEvent.id).where(
            ConsentEvent.subject_id == "acct-alice", ConsentEvent.purpose == "training")).all()
        jobs = session.execute(sa.select(BackgroundJob.kind, BackgroundJob.target_id,
                                         BackgroundJob.id, BackgroundJob.status)).all()
        scheduled = set(session.scalars(sa.select(AuditEvent.stream).where(
            AuditEvent.action == "job.scheduled")))
        asked = session.scalars(sa.select(PrivacyRequest).where(
            PrivacyRequest.account_id == "acct-alice")).all()
    # (two writers may ask for the same value at once: the second changes nothing)
    assert training and any(a.what == "api write" and a.status == 200 for a in answers)
    mails = sorted(j.target_id for j in jobs if j.kind == CONFIRMATION_JOB)
    assert mails == sorted(training)  # one e-mail job per change, none without its change
    assert {f"job:{j.id}" for j in jobs} == scheduled
    assert all(j.status in ("pending", "enqueued") for j in jobs)  # waiting for a worker
    assert [r.idempotency_key for r in asked] == [KEY]
    request_id = asked[0].id
    assert sorted(j.kind for j in jobs if j.target_id == request_id) == sorted(
        [ACK_JOB, EXPORT_JOB])
    accepted = {a.body for a in answers if a.what == "api request" and a.status == 202}
    assert accepted and all(request_id in body for body in accepted)
