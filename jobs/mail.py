"""E-mail jobs: the target's id in, one message out. Every e-mail service function takes the
id of what the job is about, so one adapter makes each of them a job handler."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from selfservice.job_registry import Handler, JobContext, JobRefused

Send = Callable[[str], Mapping[str, Any]]


def about_target(send: Send) -> Handler:
    """The job handler that calls ``send`` with the job's target id."""

    def handler(ctx: JobContext) -> Mapping[str, Any]:
        if ctx.target_id is None:
            raise JobRefused("an e-mail job names what it is about")
        return send(ctx.target_id)

    handler.__name__ = handler.__qualname__ = f"mail_{send.__name__}"
    return handler
