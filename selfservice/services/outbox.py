"""Background jobs: the SQL outbox, claiming, progress, retries and the dispatcher.

A job row is the source of truth. ``schedule`` writes it in the caller's transaction; once that
transaction commits the row is handed to RQ. If Redis is down the row stays ``pending`` and the
dispatcher (run by every worker, and by ``flask selfservice dispatch``) sends it later. A worker
*claims* a row with a compare-and-set before running it, so a job that reached Redis twice still
runs once; a worker killed mid-job stops heart-beating and the reaper hands the job to the next
attempt.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Database, matched, utcnow
from ..job_registry import JobContext as JobContext  # re-exported: what a job handler is given
from ..job_registry import JobRefused as JobRefused  # re-exported: what a job handler raises
from ..ledger import record_audit
from ..models import BackgroundJob, JobStatus, new_id
from ..queue import JobQueue, QueueUnavailable
from ..state import get_state

logger = logging.getLogger(__name__)

_NEW_JOBS = "selfservice_new_jobs"
_SCALARS = (str, int, float, bool, type(None))


def schedule_daily(now: datetime | None = None) -> int:
    """Ask for today's run of each daily job that has none yet, or whose key changed since."""
    day = (now or utcnow()).date().isoformat()
    state = get_state()
    stamps = {kind: state.jobs.daily_stamp(kind, day) for kind in sorted(state.jobs.daily)}
    due = [kind for kind, stamp in stamps.items() if state.daily_done.get(kind) != stamp]
    if not due:
        return 0
    new = 0
    with state.db.transaction() as session:
        for kind in due:
            before = len(session.info.get(_NEW_JOBS, []))
            schedule(session, kind, dedupe_key=f"daily:{kind}:{stamps[kind]}")
            new += len(session.info.get(_NEW_JOBS, [])) - before
    for kind in due:
        state.daily_done[kind] = stamps[kind]
    return new


# -- creating work (the outbox) ---------------------------------------------------------------

def schedule(session: Session, kind: str, *, target_type: str | None = None,
             target_id: str | None = None, params: Mapping[str, Any] | None = None,
             dedupe_key: str | None = None, max_attempts: int | None = None,
             available_at: datetime | None = None, actor_type: str = "system",
             actor_id: str | None = None) -> BackgroundJob:
    """Ask for background work inside the caller's transaction.

    ``params`` holds ids and flags only: never personal data (it is visible in Redis and in
    worker logs). With a ``dedupe_key`` a second call returns the first job.
    """
    params = dict(params or {})
    for key, value in params.items():
        if not isinstance(value, _SCALARS):
            raise TypeError(f"job param {key!r} must be a scalar id or flag, not "
                            f"{type(value).__name__}")
    if dedupe_key is not None:
        existing = session.scalar(sa.select(BackgroundJob)
                                  .where(BackgroundJob.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    state = get_state()
    job = BackgroundJob(
        id=new_id(), kind=kind, target_type=target_type, target_id=target_id, params=params,
        dedupe_key=dedupe_key, status=JobStatus.PENDING,
        max_attempts=max_attempts or state.setting("JOB_MAX_ATTEMPTS"),
        available_at=available_at or utcnow(), created_at=utcnow(),
    )
    if dedupe_key is None:
        session.add(job)
    else:
        try:  # a concurrent twin may have taken the key since we looked
            with session.begin_nested():
                session.add(job)
        except IntegrityError:
            existing = session.scalar(sa.select(BackgroundJob)
                                      .where(BackgroundJob.dedupe_key == dedupe_key))
            if existing is None:
                raise
            return existing
    record_audit(session, stream=f"job:{job.id}", action="job.scheduled",
                 actor_type=actor_type, actor_id=actor_id, target_type=target_type,
                 target_id=target_id, details={"kind": kind}, new_stream=True)
    session.info.setdefault(_NEW_JOBS, []).append((job.id, job.kind, job.available_at))
    return job


def enqueue_after_commit(session: Session) -> None:
    """Session hook: the creating transaction is durable, so the jobs may now reach Redis."""
    job_ids = session.info.pop(_NEW_JOBS, [])
    if not job_ids:
        return
    state = get_state()
    if not state.setting("ENQUEUE_ON_COMMIT"):
        return
    now = utcnow()
    for job_id, kind, available_at in job_ids:
        if available_at > now:
            continue
        try:
            _hand_over(state.db, state.queue, job_id, kind)
        except Exception:  # the caller's data is committed: never fail its request now
            logger.exception("job %s stays in the outbox; the dispatcher will send it", job_id)


def forget_uncommitted(session: Session, previous_transaction: Any = None) -> None:
    """Session hook: a rolled-back transaction's jobs never existed."""
    if session.in_transaction() and session.get_transaction() is not None:
        # a savepoint rolled back; the outer transaction may still commit its own jobs
        return
    session.info.pop(_NEW_JOBS, None)


def _send(db: Database, queue: JobQueue, job_id: str, now: datetime) -> bool:
    """Enqueue one pending job and mark it enqueued. False when Redis is unavailable."""
    with db.transaction() as session:
        job = session.get(BackgroundJob, job_id)
        if job is None or job.status != JobStatus.PENDING or job.available_at > now:
            return False
        kind = job.kind
    return _hand_over(db, queue, job_id, kind)


def _hand_over(db: Database, queue: JobQueue, job_id: str, kind: str) -> bool:
    """Give a committed pending job to RQ, then mark it enqueued (only if still pending)."""
    try:
        queue.enqueue(job_id, description=f"selfservice {kind} {job_id}")
    except QueueUnavailable as exc:
        logger.warning("job %s stays in the outbox: Redis unavailable (%s)", job_id, exc)
        return False
    with db.transaction() as session:
        session.execute(sa.update(BackgroundJob)
                        .where(BackgroundJob.id == job_id,
                               BackgroundJob.status == JobStatus.PENDING)
                        .values(status=JobStatus.ENQUEUED, enqueued_at=utcnow()))
    return True


# -- the dispatcher ---------------------------------------------------------------------------

@dataclass
class DispatchReport:
    sent: int = 0
    reaped: int = 0
    recovered: int = 0
    redis_available: bool = True

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def dispatch(limit: int = 500) -> DispatchReport:
    """One sweep: reap abandoned jobs, recover jobs Redis lost, send what is due."""
    state = get_state()
    db, queue = state.db, state.queue
    report = DispatchReport()
    report.reaped = reap_abandoned(db, timedelta(seconds=state.setting("JOB_STALE_AFTER")))
    try:
        report.recovered = _recover_lost(db, queue, timedelta(
            seconds=max(30, state.setting("DISPATCH_INTERVAL") * 4)))
    except QueueUnavailable:
        report.redis_available = False
        return report
    now = utcnow()
    with db.transaction() as session:
        due = session.scalars(
            sa.select(BackgroundJob.id)
            .where(BackgroundJob.status == JobStatus.PENDING, BackgroundJob.available_at <= now)
            .order_by(BackgroundJob.available_at)
            .limit(limit)
        ).all()
    for job_id in due:
        if _send(db, queue, job_id, now):
            report.sent += 1
        elif not queue.ping():
            report.redis_available = False
            break
    return report


def _recover_lost(db: Database, queue: JobQueue, grace: timedelta) -> int:
    """Jobs marked enqueued that Redis no longer carries (a Redis restart without
    persistence, a flushed database) go back to pending."""
    cutoff = utcnow() - grace
    with db.transaction() as session:
        candidates = session.scalars(
            sa.select(BackgroundJob.id)
            .where(BackgroundJob.status == JobStatus.ENQUEUED,
                   BackgroundJob.enqueued_at < cutoff)
        ).all()
    recovered = 0
    for job_id in candidates:
        if queue.is_waiting_or_running(job_id):
            continue
        with db.transaction() as session:
            result = session.execute(
                sa.update(BackgroundJob)
                .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.ENQUEUED)
                .values(status=JobStatus.PENDING, enqueued_at=None))
            if matched(result):
                recovered += 1
                logger.warning("job %s was lost by Redis; back in the outbox", job_id)
    return recovered


def reap_abandoned(db: Database, stale_after: timedelta) -> int:
    """Running jobs whose heartbeat stopped: their worker died. Retry or fail them."""
    cutoff = utcnow() - stale_after
    with db.transaction() as session:
        stale = session.scalars(
            sa.select(BackgroundJob.id)
            .where(BackgroundJob.status == JobStatus.RUNNING,
                   sa.func.coalesce(BackgroundJob.heartbeat_at, BackgroundJob.started_at)
                   < cutoff)
        ).all()
    for job_id in stale:
        finish_attempt(db, job_id, error="The worker running this job stopped unexpectedly.",
                       retry=True, only_if_heartbeat_before=cutoff)
    return len(stale)


# -- running work -----------------------------------------------------------------------------

_FORK_HOOKS: set[int] = set()


def work(*, burst: bool = False, name: str | None = None) -> bool:
    """Run an RQ worker on the plugin's queue inside the current application context.

    RQ forks a work horse per job, which must not reuse the parent's pooled connections: the
    engine forgets them after every fork. On SQLite jobs run in the worker's own process (see
    ``Database.survives_fork``). A burst worker first sends what the outbox holds.
    """
    state = get_state()
    fork = state.db.survives_fork
    if fork and id(state.db) not in _FORK_HOOKS:
        os.register_at_fork(after_in_child=state.db.dispose_after_fork)
        _FORK_HOOKS.add(id(state.db))
    if burst:
        dispatch()
    return state.queue.run_worker(burst=burst, name=name, fork=fork)


def claim(db: Database, job_id: str, worker: str) -> JobContext | None:
    """Take a job for one attempt. None when it is not (or no longer) runnable here."""
    now = utcnow()
    with db.transaction() as session:
        result = session.execute(
            sa.update(BackgroundJob)
            .where(BackgroundJob.id == job_id,
                   BackgroundJob.status.in_((JobStatus.PENDING, JobStatus.ENQUEUED)),
                   BackgroundJob.available_at <= now)
            .values(status=JobStatus.RUNNING, attempts=BackgroundJob.attempts + 1,
                    started_at=now, heartbeat_at=now, worker=worker[:160], error=None))
        if matched(result) != 1:
            return None
        job = session.get(BackgroundJob, job_id)
        assert job is not None
        record_audit(session, stream=f"job:{job.id}", action="job.started",
                     actor_type="system", target_type=job.target_type,
                     target_id=job.target_id, details={"attempt": job.attempts})
        return JobContext(job_id=job.id, kind=job.kind, target_type=job.target_type,
                          target_id=job.target_id, params=dict(job.params or {}),
                          attempt=job.attempts, _db=db)


def beat(db: Database, job_id: str, attempt: int) -> None:
    with db.transaction() as session:
        session.execute(sa.update(BackgroundJob)
                        .where(BackgroundJob.id == job_id,
                               BackgroundJob.status == JobStatus.RUNNING,
                               BackgroundJob.attempts == attempt)
                        .values(heartbeat_at=utcnow()))


def succeed(db: Database, job_id: str, attempt: int,
            result: Mapping[str, Any] | None) -> None:
    """Record success, only for the attempt that is still the job's current one (an attempt
    the reaper gave up on must not overwrite its successor)."""
    with db.transaction() as session:
        updated = matched(session.execute(
            sa.update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.RUNNING,
                   BackgroundJob.attempts == attempt)
            .values(status=JobStatus.SUCCEEDED, progress=100, finished_at=utcnow(),
                    result=dict(result or {}), error=None)))
        if updated:
            record_audit(session, stream=f"job:{job_id}", action="job.succeeded",
                         actor_type="system")


def finish_attempt(db: Database, job_id: str, *, error: str, retry: bool,
                   attempt: int | None = None,
                   only_if_heartbeat_before: datetime | None = None,
                   keep_trying: float = 0) -> str | None:
    """End a failed attempt: back to pending with a back-off (up to 5 minutes), or failed
    after the last one; with ``keep_trying``, not before the job is that many seconds old.

    ``attempt`` fences a worker to its own attempt; the reaper passes None and fences by the
    heartbeat instead. Returns the new status, or None when that attempt was no longer running.
    """
    with db.transaction() as session:
        query = sa.select(BackgroundJob).where(BackgroundJob.id == job_id,
                                               BackgroundJob.status == JobStatus.RUNNING)
        if attempt is not None:
            query = query.where(BackgroundJob.attempts == attempt)
        job = session.scalar(query.with_for_update())
        if job is None:
            return None
        if only_if_heartbeat_before is not None:
            last = job.heartbeat_at or job.started_at
            if last is not None and last >= only_if_heartbeat_before:
                return None  # it beat again since the reaper looked
        now = utcnow()
        if retry and (job.attempts < job.max_attempts
                      or now - job.created_at < timedelta(seconds=keep_trying)):
            job.status = JobStatus.PENDING
            job.available_at = now + timedelta(
                seconds=min(300, 5 * 2 ** min(job.attempts - 1, 10)))
            job.enqueued_at = None
        else:
            job.status = JobStatus.FAILED
            job.finished_at = now
        job.error = error[:2000]
        job.worker = None
        hook = get_state().jobs.failure_hooks.get(job.kind)
        if job.status == JobStatus.FAILED and hook is not None:
            hook(session, job)
        record_audit(session, stream=f"job:{job_id}", action="job.attempt_failed",
                     actor_type="system", details={"attempt": job.attempts,
                                                   "next": job.status, "error": error[:500]})
        return job.status


def retry(session: Session, job_id: str, *, actor_type: str, actor_id: str | None) -> bool:
    """A failed job gets a fresh set of attempts (the customer's or support's retry button)."""
    now = utcnow()
    # one compare-and-set: two clicks, or a click racing the reaper, retry once
    updated = matched(session.execute(
        sa.update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.FAILED)
        .values(status=JobStatus.PENDING, attempts=0, progress=0, step="", available_at=now,
                finished_at=None, enqueued_at=None)))
    if not updated:
        return False
    job = session.get(BackgroundJob, job_id, populate_existing=True)
    assert job is not None
    record_audit(session, stream=f"job:{job_id}", action="job.retried",
                 actor_type=actor_type, actor_id=actor_id)
    session.info.setdefault(_NEW_JOBS, []).append((job.id, job.kind, job.available_at))
    return True
