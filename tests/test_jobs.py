"""Background jobs on a real Redis: the outbox, exactly-once runs, outages, abandoned work."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from rq.registry import FailedJobRegistry

from devtools.services import RedisServer
from selfservice.db import utcnow
from selfservice.job_registry import JobContext, JobRefused
from selfservice.models import AuditEvent, BackgroundJob
from selfservice.services import diagnostics, outbox

from .helpers import Worker

#: the outside world the flaky job depends on; work horses fork from this process (on SQLite
#: the jobs run in it), so they see the value it has when the worker starts
OUTAGE = {"on": True}


def flaky(ctx: JobContext) -> dict[str, Any]:
    """Fails while attempt <= params['fail_until'] (during an OUTAGE); 'refuse' for good."""
    if ctx.params.get("refuse"):
        raise JobRefused("the subject's data is under a legal hold")
    if OUTAGE["on"] and ctx.attempt <= ctx.params.get("fail_until", 0):
        raise RuntimeError(f"boom on attempt {ctx.attempt}")
    ctx.progress(60, "Working")
    return {"attempt": ctx.attempt}


def state(app: Flask) -> Any:
    return app.extensions["selfservice"]


@pytest.fixture(autouse=True)
def _flaky_kind(app: Flask) -> None:
    """This module's apps also run the flaky job kind (registered like the plugin's own)."""
    state(app).jobs.register("tests.flaky", flaky)


def job_row(app: Flask, job_id: str) -> BackgroundJob:
    # a read: polling must not take SQLite's write lock away from the worker it watches
    with state(app).db.read() as session:
        job = session.get(BackgroundJob, job_id)
        assert job is not None
        return job


def pongs(app: Flask, job_id: str) -> int:
    with state(app).db.read() as session:
        return int(session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.stream == f"job:{job_id}",
                                             AuditEvent.action == "diagnostics.pong")))


def all_jobs(app: Flask) -> list[BackgroundJob]:
    with state(app).db.read() as session:
        return list(session.scalars(sa.select(BackgroundJob)))


def queued_ids(app: Flask) -> list[str]:
    return list(state(app).queue.queue().job_ids)


def schedule(app: Flask, kind: str = "diagnostics.ping", **kwargs: Any) -> str:
    with app.app_context(), state(app).db.transaction() as session:
        return outbox.schedule(session, kind, **kwargs).id


def run_burst(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def test_a_job_is_enqueued_after_its_transaction_commits_and_runs_once(app: Flask) -> None:
    job_id = schedule(app)
    assert job_row(app, job_id).status == "enqueued"
    assert queued_ids(app) == [job_id]
    run_burst(app)
    job = job_row(app, job_id)
    assert (job.status, job.attempts, job.progress) == ("succeeded", 1, 100)
    assert job.result == {"pong": True, "attempt": 1}
    assert pongs(app, job_id) == 1


def test_a_rolled_back_transaction_enqueues_nothing(app: Flask) -> None:
    with app.app_context():
        session = state(app).db.sessionmaker()
        job_id = diagnostics.request_ping(session).id
        session.rollback()
        session.close()
    assert queued_ids(app) == []
    with state(app).db.transaction() as session:
        assert session.get(BackgroundJob, job_id) is None


def test_job_enqueued_while_redis_is_down_runs_after_it_returns_exactly_once(
        app: Flask, redis_server: RedisServer) -> None:
    redis_server.stop()
    job_id = schedule(app)  # the request that asked for it still succeeds
    assert job_row(app, job_id).status == "pending"
    with app.app_context():
        report = outbox.dispatch()
        assert report.redis_available is False and report.sent == 0
        health = diagnostics.health()
    assert health["status"] == "degraded" and health["redis"]["ok"] is False
    assert health["jobs"]["pending"] == 1

    redis_server.start()
    with app.app_context():
        assert outbox.dispatch().sent == 1
        assert outbox.dispatch().sent == 0  # a second sweep sends nothing more
    run_burst(app)
    run_burst(app)
    job = job_row(app, job_id)
    assert (job.status, job.attempts) == ("succeeded", 1)
    assert pongs(app, job_id) == 1


def test_a_job_delivered_twice_runs_once(app: Flask) -> None:
    job_id = schedule(app)
    state(app).queue.enqueue(job_id, description="duplicate delivery")
    state(app).queue.enqueue(job_id, description="duplicate delivery")
    run_burst(app)
    assert job_row(app, job_id).attempts == 1
    assert pongs(app, job_id) == 1


def test_jobs_lost_by_redis_go_back_to_the_outbox(app: Flask, redis_server: RedisServer) -> None:
    job_id = schedule(app)
    assert job_row(app, job_id).status == "enqueued"
    redis_server.stop()   # no persistence: the queue is gone
    redis_server.start()
    with state(app).db.transaction() as session:  # the recovery waits for a grace period
        session.get(BackgroundJob, job_id).enqueued_at = utcnow() - timedelta(minutes=5)
    with app.app_context():
        report = outbox.dispatch()
    assert report.recovered == 1 and report.sent == 1
    run_burst(app)
    assert job_row(app, job_id).status == "succeeded"
    assert pongs(app, job_id) == 1


def test_dedupe_key_gives_one_job(app: Flask) -> None:
    first = schedule(app, dedupe_key="export:acct-alice:1")
    second = schedule(app, dedupe_key="export:acct-alice:1")
    assert first == second
    with state(app).db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BackgroundJob)) == 1


def test_jobs_with_dedupe_keys_reach_redis_only_when_their_transaction_commits(
        app: Flask) -> None:
    # a dedupe key takes a SAVEPOINT; releasing it is not a commit of the outer transaction
    with app.app_context(), state(app).db.transaction() as session:
        ids = [outbox.schedule(session, "diagnostics.ping", dedupe_key=f"k{i}").id
               for i in range(3)]
        assert queued_ids(app) == []
    assert sorted(queued_ids(app)) == sorted(ids)


def test_job_params_refuse_anything_but_ids_and_flags(app: Flask) -> None:
    with pytest.raises(TypeError):
        schedule(app, params={"subject": {"email": "alice@example.com"}})
    with state(app).db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BackgroundJob)) == 0


def test_a_failing_job_is_retried_and_then_succeeds(app: Flask) -> None:
    job_id = schedule(app, "tests.flaky", params={"fail_until": 1})
    run_burst(app)
    job = job_row(app, job_id)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.error == "An unexpected error (RuntimeError) stopped this attempt."
    assert job.available_at > utcnow()  # backs off
    with state(app).db.transaction() as session:
        session.get(BackgroundJob, job_id).available_at = utcnow()
    run_burst(app)
    job = job_row(app, job_id)
    assert (job.status, job.attempts, job.result) == ("succeeded", 2, {"attempt": 2})
    assert job.error is None


@pytest.mark.settings(SELFSERVICE_JOB_MAX_ATTEMPTS=2)
def test_a_job_fails_with_its_reason_after_the_last_attempt_and_can_be_retried(
        app: Flask) -> None:
    job_id = schedule(app, "tests.flaky", params={"fail_until": 2})
    for _ in range(2):
        with state(app).db.transaction() as session:
            session.get(BackgroundJob, job_id).available_at = utcnow()
        run_burst(app)
    job = job_row(app, job_id)
    assert (job.status, job.attempts) == ("failed", 2)
    assert "RuntimeError" in (job.error or "")
    assert "boom" not in (job.error or "")  # exception text may quote personal data
    OUTAGE["on"] = False
    try:
        with app.app_context(), state(app).db.transaction() as session:
            assert outbox.retry(session, job_id, actor_type="support", actor_id="acct-sam")
        run_burst(app)
    finally:
        OUTAGE["on"] = True
    job = job_row(app, job_id)
    assert (job.status, job.attempts) == ("succeeded", 1)  # a fresh set of attempts


def test_a_refused_job_fails_at_once(app: Flask) -> None:
    job_id = schedule(app, "tests.flaky", params={"refuse": True})
    run_burst(app)
    job = job_row(app, job_id)
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.error == "the subject's data is under a legal hold"


@pytest.mark.settings(SELFSERVICE_JOB_STALE_AFTER=30)
def test_an_abandoned_job_is_reaped_and_finished_by_the_next_attempt(app: Flask) -> None:
    job_id = schedule(app)
    with app.app_context():
        ctx = outbox.claim(state(app).db, job_id, "worker-that-dies")
    assert ctx is not None
    # the worker died: no heartbeat for longer than JOB_STALE_AFTER
    with state(app).db.transaction() as session:
        session.get(BackgroundJob, job_id).heartbeat_at = utcnow() - timedelta(seconds=31)
    with app.app_context():
        assert outbox.dispatch().reaped == 1
    job = job_row(app, job_id)
    assert job.status == "pending" and "stopped unexpectedly" in (job.error or "")
    with state(app).db.transaction() as session:
        session.get(BackgroundJob, job_id).available_at = utcnow()
    run_burst(app)
    job = job_row(app, job_id)
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert pongs(app, job_id) == 1


@pytest.mark.settings(SELFSERVICE_JOB_STALE_AFTER=30)
def test_an_attempt_given_up_on_cannot_overwrite_its_successor(app: Flask) -> None:
    job_id = schedule(app)
    db = state(app).db
    with app.app_context():
        first = outbox.claim(db, job_id, "slow-worker")
        assert first is not None
        with db.transaction() as session:
            session.get(BackgroundJob, job_id).heartbeat_at = utcnow() - timedelta(seconds=31)
        outbox.dispatch()  # reaped: back to pending
        with db.transaction() as session:
            session.get(BackgroundJob, job_id).available_at = utcnow()
        second = outbox.claim(db, job_id, "next-worker")
        assert second is not None and second.attempt == 2
        # the slow first attempt wakes up: its beats, progress and outcome are fenced off
        outbox.beat(db, job_id, first.attempt)
        first.progress(90, "late")
        outbox.succeed(db, job_id, first.attempt, {"from": "first"})
        assert outbox.finish_attempt(db, job_id, error="late", retry=False,
                                   attempt=first.attempt) is None
        job = job_row(app, job_id)
        assert (job.status, job.attempts, job.progress, job.result) == ("running", 2, 0, None)
        with db.transaction() as session:  # running: nothing to retry
            assert outbox.retry(session, job_id, actor_type="account",
                              actor_id="acct-alice") is False
        outbox.succeed(db, job_id, second.attempt, {"from": "second"})
    assert job_row(app, job_id).result == {"from": "second"}


def test_a_live_job_is_not_reaped(app: Flask) -> None:
    job_id = schedule(app)
    with app.app_context():
        assert outbox.claim(state(app).db, job_id, "busy-worker") is not None
        assert outbox.dispatch().reaped == 0
    assert job_row(app, job_id).status == "running"


def _wait_for(app: Flask, job_id: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while job_row(app, job_id).status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.2)
    return job_row(app, job_id).status


@pytest.mark.settings(SELFSERVICE_REDIS_SOCKET_TIMEOUT=1)
def test_the_worker_command_runs_jobs_survives_idling_and_redis_restarts(
        app: Flask, redis_server: RedisServer, start_worker: Callable[..., Worker]) -> None:
    worker = start_worker(SELFSERVICE_REDIS_SOCKET_TIMEOUT=1)
    try:
        first = _wait_for(app, schedule(app), timeout=60)  # includes the worker starting
        if first != "succeeded":  # say why: the worker's own account of it
            worker.stop()
            raise AssertionError(f"first job {first}; worker said:\n" + worker.output()[-3000:])
        with app.app_context():
            health = diagnostics.health()
        assert health["status"] == "ok"
        assert health["workers"]["alive"] == 1
        assert health["workers"]["last_heartbeat_seconds"] < 10

        time.sleep(2.5)  # idle for longer than the Redis socket timeout
        assert _wait_for(app, schedule(app)) == "succeeded"

        redis_server.stop()  # an outage while the worker waits on the queue
        during = schedule(app)
        assert job_row(app, during).status == "pending"
        time.sleep(1)
        redis_server.start()
        assert _wait_for(app, during, timeout=60) == "succeeded"  # sent by the dispatcher
        assert pongs(app, during) == 1
        assert worker.process.poll() is None, "the worker must outlive a Redis restart"
    finally:
        returncode = worker.stop()
    output = worker.output()
    assert returncode == 0, output
    assert "alice" not in output.lower()  # no personal data in the worker's log


@pytest.mark.settings(SELFSERVICE_ENQUEUE_ON_COMMIT=False)
def test_a_new_worker_runs_its_first_jobs_at_the_first_attempt(
        app: Flask, start_worker: Callable[..., Worker]) -> None:
    """A worker started on a fresh database: its dispatcher thread asks for the daily jobs and
    sends the backlog the outbox holds, while the worker already runs the first of them. No job
    may trip over the dispatcher's transactions (on SQLite a work horse forked while they were
    open waited 30 s on "database is locked", then failed and ran again)."""
    backlog = {schedule(app) for _ in range(10)}  # the outbox keeps them: no Redis on commit
    assert queued_ids(app) == []
    expected = len(backlog) + len(state(app).jobs.daily)
    failed = FailedJobRegistry(queue=state(app).queue.queue())
    # the dispatcher's transactions last long enough that the worker starts jobs during them
    worker = start_worker(FLASK_APP="tests.slow_disk_app")
    try:
        deadline = time.monotonic() + 120  # a locked job fails after SQLite's 30 s timeout
        while time.monotonic() < deadline and not failed.count:
            jobs = all_jobs(app)
            if len(jobs) == expected and all(j.status == "succeeded" for j in jobs) or any(
                    j.error for j in jobs):
                break
            time.sleep(0.2)
    finally:
        with suppress(subprocess.TimeoutExpired):  # a work horse hung: stop() killed it
            worker.stop()
    output = worker.output()
    assert "database is locked" not in output, output[-3000:]
    assert failed.count == 0, output[-3000:]
    jobs = all_jobs(app)
    assert backlog <= {j.id for j in jobs}
    assert sorted(j.kind for j in jobs if j.id not in backlog) == sorted(state(app).jobs.daily)
    assert [(j.kind, j.status, j.attempts) for j in jobs if (j.status, j.attempts)
            != ("succeeded", 1)] == []
    with state(app).db.read() as session:
        retried = session.scalar(sa.select(sa.func.count())
                                 .where(AuditEvent.action == "job.attempt_failed"))
    assert retried == 0


def test_health_endpoint_hides_details_from_the_public(app: Flask, client: Any) -> None:
    public = client.get("/privacy/api/v1/health")
    assert public.status_code == 503  # no worker runs in this test
    assert public.json == {"status": "degraded"}
    detailed = client.get("/privacy/api/v1/health",
                          headers={"Authorization": "Bearer demo-pipeline-token"})
    assert detailed.json["redis"]["ok"] is True and detailed.json["database"]["ok"] is True
    assert detailed.json["workers"]["alive"] == 0
