"""Retention sweeps, asked for once a day by the dispatcher."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.services import cookie_consent
from selfservice.services.jobs import JobContext, job_handler


@job_handler(cookie_consent.SWEEP_JOB)
def sweep_cookie_consents(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": cookie_consent.sweep()}
