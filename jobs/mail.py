"""E-mail jobs: the target's id in, one message out. Every e-mail service function takes the
id of what the job is about, so one adapter makes each of them a job handler; a message that
goes to one of several people (a notice to each admin of an organisation) also takes the
recipient's account id, from the job's params."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from selfservice.job_registry import Handler, JobContext, JobRefused

Send = Callable[[str], Mapping[str, Any]]
SendTo = Callable[[str, str], Mapping[str, Any]]


def about_target(send: Send) -> Handler:
    """The job handler that calls ``send`` with the job's target id."""

    def handler(ctx: JobContext) -> Mapping[str, Any]:
        if ctx.target_id is None:
            raise JobRefused("an e-mail job names what it is about")
        return send(ctx.target_id)

    handler.__name__ = handler.__qualname__ = f"mail_{send.__name__}"
    return handler


def to_recipient(send: SendTo) -> Handler:
    """The job handler that calls ``send`` with the job's target id and recipient account id."""

    def handler(ctx: JobContext) -> Mapping[str, Any]:
        account_id = ctx.params.get("account_id")
        if ctx.target_id is None or not isinstance(account_id, str):
            raise JobRefused("an e-mail job to one recipient names what it is about and whom")
        return send(ctx.target_id, account_id)

    handler.__name__ = handler.__qualname__ = f"mail_{send.__name__}"
    return handler
