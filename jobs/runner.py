"""The function RQ runs for every plugin job: re-load the row by id, claim it, run its handler.

It needs an application context, which ``flask selfservice worker`` pushes once per worker.
"""

from __future__ import annotations

import logging
import os
import socket

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
    outbox.run_claimed(ctx, handler, heartbeat_every=state.setting("JOB_HEARTBEAT"))
    return "done"
