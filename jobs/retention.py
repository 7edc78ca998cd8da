"""Retention sweeps, asked for once a day by the dispatcher."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import cookie_consent, sessions


def sweep_cookie_consents(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": cookie_consent.sweep()}


def sweep_sessions(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": sessions.sweep()}
