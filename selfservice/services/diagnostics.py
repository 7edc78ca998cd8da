"""Health of the plugin's moving parts, and the ping job that proves a worker runs jobs."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..ledger import record_audit
from ..models import BackgroundJob, JobStatus
from ..queue import QueueUnavailable
from ..state import get_state
from . import exports, outbox

#: the job that proves a worker runs jobs (the health check's round trip)
PING_JOB = "diagnostics.ping"


def request_ping(session: Session, *, actor_type: str = "system",
                 actor_id: str | None = None) -> BackgroundJob:
    """Schedule a ping job (committed by the caller)."""
    return outbox.schedule(session, PING_JOB, actor_type=actor_type, actor_id=actor_id)


def answer_ping(ctx: outbox.JobContext) -> dict[str, Any]:
    ctx.progress(50, "Answering")
    with ctx._db.transaction() as session:
        record_audit(session, stream=f"job:{ctx.job_id}", action="diagnostics.pong",
                     actor_type="system", target_type="job", target_id=ctx.job_id)
    return {"pong": True, "attempt": ctx.attempt}


def readiness() -> dict[str, Any]:
    """Whether this web process can serve: its database answers. Redis and the workers are left
    out on purpose: pages and the API work without them (jobs wait in the outbox), and a load
    balancer that took every web process out for a Redis outage would stop the whole console."""
    started = time.perf_counter()
    try:
        with get_state().db.read() as session:
            session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return {"status": "degraded", "database": {"ok": False, "error": type(exc).__name__}}
    return {"status": "ok",
            "database": {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}}


def health() -> dict[str, Any]:
    """Database, Redis, worker heartbeats, the outbox backlog and the archive store (checked
    here, not at start-up: HeadBucket on S3). No personal data."""
    state = get_state()
    report: dict[str, Any] = {"status": "ok"}
    started = time.perf_counter()
    try:
        with state.db.transaction() as session:
            session.execute(sa.text("SELECT 1"))
            pending = session.execute(
                sa.select(sa.func.count(), sa.func.min(BackgroundJob.available_at))
                .where(BackgroundJob.status == JobStatus.PENDING)).one()
            running = session.scalar(sa.select(sa.func.count())
                                     .where(BackgroundJob.status == JobStatus.RUNNING))
        oldest = pending[1]
        report["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        report["jobs"] = {
            "pending": pending[0], "running": running,
            "oldest_pending_seconds": (
                max(0, round((utcnow() - oldest).total_seconds())) if oldest else None),
        }
    except sa.exc.SQLAlchemyError as exc:
        report["database"] = {"ok": False, "error": type(exc).__name__}
        report["status"] = "degraded"
    report["redis"] = {"ok": state.queue.ping()}
    beats: list[dict[str, Any]] = []
    if report["redis"]["ok"]:
        try:
            beats = state.queue.live_workers()
        except QueueUnavailable:
            report["redis"] = {"ok": False}
    report["workers"] = heartbeats(beats)
    report["storage"] = exports.store().check()
    if (not report["redis"]["ok"] or not report["workers"]["alive"]
            or not report["workers"]["dispatchers"] or not report["storage"]["ok"]):
        report["status"] = "degraded"
    return report


def heartbeats(beats: list[dict[str, Any]]) -> dict[str, Any]:
    """What the live heartbeats say: how many workers, how many processes sweep the outbox (a
    worker's dispatcher thread or ``dispatch --loop``), and each of them by name."""
    now = time.time()
    workers = [b for b in beats if b.get("role", "worker") == "worker"]
    return {
        "alive": len(workers),
        "last_heartbeat_seconds": (round(now - max(w["at"] for w in workers), 1)
                                   if workers else None),
        "dispatchers": sum(1 for b in beats if b.get("dispatches", True)),
        "processes": sorted(({"name": b["name"], "host": b.get("host"), "pid": b.get("pid"),
                              "role": b.get("role", "worker"),
                              "dispatches": b.get("dispatches", True),
                              "age_seconds": round(now - b["at"], 1)} for b in beats),
                            key=lambda b: str(b["name"])),
    }
