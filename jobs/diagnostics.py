"""Diagnostics jobs: a round trip through Redis and a worker, used by health checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import diagnostics


def ping(ctx: JobContext) -> Mapping[str, Any]:
    return diagnostics.answer_ping(ctx)
