"""The function RQ runs for every plugin job: re-load the row by id, claim it, run its handler.

It needs an application context, which ``flask selfservice worker`` pushes once per worker.
"""

from __future__ import annotations

import logging
import os
import socket

from selfservice.services import jobs as job_service
from selfservice.state import get_state

from . import diagnostics, exports, mail, retention  # noqa: F401  (they register handlers)

logger = logging.getLogger(__name__)


def run(job_id: str) -> str:
    state = get_state()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    ctx = job_service.claim(state.db, job_id, worker)
    if ctx is None:
        # already done, running elsewhere, or not due yet: a duplicate delivery
        logger.info("job %s not claimable here; skipped", job_id)
        return "skipped"
    handler = job_service.handler_for(ctx.kind)
    if handler is None:
        job_service.finish_attempt(state.db, job_id, error=f"no handler for {ctx.kind!r}",
                                   retry=False, attempt=ctx.attempt)
        return "failed"
    job_service.run_claimed(ctx, handler, heartbeat_every=state.setting("JOB_HEARTBEAT"))
    return "done"
