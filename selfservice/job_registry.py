"""What a background job is to the code that runs it: its context, and the registry of job
kinds (handler, failure hook, daily schedule) that each application fills in ``init_app``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .db import Database, utcnow
from .models import BackgroundJob, JobStatus


class JobRefused(Exception):
    """Raised by a handler when the work cannot succeed however often it is retried."""


class JobFailed(Exception):
    """Raised by a handler for an attempt that failed for a reason it can tell the customer
    (its message: plain words, no personal data); the job is retried like after any error."""


def failure_text(exc: Exception) -> str:
    """What the job row (customer, support, audit) says about a failed attempt: a JobFailed's
    own words, else only the exception's type (its text may quote personal data; the worker
    log has the traceback)."""
    if isinstance(exc, JobFailed):
        return str(exc)
    return f"An unexpected error ({type(exc).__name__}) stopped this attempt."


class JobPostponed(JobFailed):
    """Raised by a handler whose attempt met a service that is down for now (the SMTP server):
    the job is tried again with the usual back-off, after its last attempt too, until it is
    ``keep_trying`` seconds old. Its message (plain words, no personal data) is what the job
    row says meanwhile."""

    def __init__(self, message: str, keep_trying: float) -> None:
        super().__init__(message)
        self.keep_trying = keep_trying


@dataclass
class JobContext:
    """What a job handler gets: ids, params, and a way to report progress."""

    job_id: str
    kind: str
    target_type: str | None
    target_id: str | None
    params: Mapping[str, Any]
    attempt: int
    _db: Database

    def progress(self, percent: int, step: str | None = None) -> None:
        """Record progress (0-100) and the current step; visible at once to pages and support."""
        values: dict[str, Any] = {"progress": max(0, min(100, int(percent))),
                                  "heartbeat_at": utcnow()}
        if step is not None:
            values["step"] = step[:200]
        with self._db.transaction() as session:
            session.execute(sa.update(BackgroundJob)
                            .where(BackgroundJob.id == self.job_id,
                                   BackgroundJob.status == JobStatus.RUNNING,
                                   BackgroundJob.attempts == self.attempt)
                            .values(**values))


Handler = Callable[[JobContext], Mapping[str, Any] | None]
#: called in the transaction that marks a job failed for good
FailureHook = Callable[[Session, BackgroundJob], None]


@dataclass
class JobRegistry:
    """The job kinds one application runs."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    failure_hooks: dict[str, FailureHook] = field(default_factory=dict)
    #: kinds the dispatcher schedules once per UTC day (retention sweeps)
    daily: set[str] = field(default_factory=set)
    #: daily kinds that also run again the same day when what they work on changes: kind ->
    #: a function naming that state (the sub-processor changes announced)
    daily_keys: dict[str, Callable[[], str]] = field(default_factory=dict)

    def register(self, kind: str, handler: Handler, *, on_failed: FailureHook | None = None,
                 daily: bool = False, daily_key: Callable[[], str] | None = None) -> None:
        """Have ``handler`` do the work of ``kind`` jobs. ``on_failed`` lets the service that
        owns the job's target record a final failure (the customer sees it, with the reason,
        and can retry); ``daily`` has the dispatcher ask for one run a day, and ``daily_key``
        one more whenever the key it returns changes (a new configuration deployed)."""
        if self.handlers.get(kind, handler) is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self.handlers[kind] = handler
        if on_failed is not None:
            self.failure_hooks[kind] = on_failed
        if daily or daily_key is not None:
            self.daily.add(kind)
        if daily_key is not None:
            self.daily_keys[kind] = daily_key

    def daily_stamp(self, kind: str, day: str) -> str:
        """What names one daily run of ``kind``: the day, and its key if it has one."""
        key = self.daily_keys.get(kind)
        return f"{day}:{key()}" if key is not None else day

    def handler_for(self, kind: str) -> Handler | None:
        return self.handlers.get(kind)
