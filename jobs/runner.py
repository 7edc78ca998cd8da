"""The function RQ runs for every plugin job: re-load the row by id, claim it, run its handler
with a heartbeat, record the outcome.

It needs an application context, which ``flask selfservice worker`` pushes once per worker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from selfservice.job_registry import (
    Handler,
    JobContext,
    JobPostponed,
    JobRefused,
    failure_text,
)
from selfservice.services import outbox
from selfservice.state import get_state

logger = logging.getLogger(__name__)


def run(job_id: str) -> str:
    state = get_state()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    ctx = outbox.claim(state.db, job_id, worker)
    if ctx is None:
        # already done, running elsewhere, or not due yet: a duplicate delivery
        logger.info("job %s not claimable here; skipped", job_id)
        return "skipped"
    handler = state.jobs.handler_for(ctx.kind)
    if handler is None:
        outbox.finish_attempt(state.db, job_id, error=f"no handler for {ctx.kind!r}",
                                   retry=False, attempt=ctx.attempt)
        return "failed"
    run_claimed(ctx, handler, heartbeat_every=state.setting("JOB_HEARTBEAT"))
    return "done"


def run_claimed(ctx: JobContext, handler: Handler, heartbeat_every: float) -> None:
    """Run a claimed job with a heartbeat thread and record the outcome in SQL."""
    db = ctx._db
    stop = threading.Event()

    def heart() -> None:
        while not stop.wait(heartbeat_every):
            try:
                outbox.beat(db, ctx.job_id, ctx.attempt)
            except Exception:  # a missed beat is retried at the next one
                logger.exception("heartbeat of job %s failed", ctx.job_id)

    thread = threading.Thread(target=heart, name=f"heartbeat-{ctx.job_id}", daemon=True)
    thread.start()
    try:
        result = handler(ctx)
    except JobRefused as exc:
        # written for the customer by the service that refused
        outbox.finish_attempt(db, ctx.job_id, error=str(exc), retry=False, attempt=ctx.attempt)
        logger.info("job %s (%s) refused", ctx.job_id, ctx.kind)
        return
    except JobPostponed as exc:
        # a service it needs is down: its words (plain, no personal data) until it is back
        logger.warning("job %s (%s) attempt %d postponed: %s (%s)", ctx.job_id, ctx.kind,
                       ctx.attempt, exc, type(exc.__cause__).__name__)
        outbox.finish_attempt(db, ctx.job_id, error=str(exc), retry=True, attempt=ctx.attempt,
                              keep_trying=exc.keep_trying)
        return
    except Exception as exc:
        logger.exception("job %s (%s) attempt %d failed", ctx.job_id, ctx.kind, ctx.attempt)
        # an exception's text may quote personal data: the customer, support and the audit
        # chain get its type only (or a JobFailed's plain words); the log has the traceback
        outbox.finish_attempt(db, ctx.job_id, retry=True, attempt=ctx.attempt,
                              error=failure_text(exc))
        return
    finally:
        stop.set()
        thread.join(timeout=5)
    outbox.succeed(db, ctx.job_id, ctx.attempt, result)
