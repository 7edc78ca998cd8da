"""Diagnostics jobs: a round trip through Redis and a worker, used by health checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.services import diagnostics
from selfservice.services.jobs import JobContext, job_handler


@job_handler("diagnostics.ping")
def ping(ctx: JobContext) -> Mapping[str, Any]:
    return diagnostics.answer_ping(ctx)
