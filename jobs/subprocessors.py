"""Sub-processor change notices: the fan-out that asks for one e-mail per owner or admin of
each subscribed organisation, once a day, when new changes are announced, and for one
organisation that has just subscribed (the job's target)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import subprocessor_notices


def notify(ctx: JobContext) -> Mapping[str, Any]:
    org_id = ctx.target_id if ctx.target_type == "organisation" else None
    return subprocessor_notices.notify(org_id)
