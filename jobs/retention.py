"""Retention sweeps, asked for once a day by the dispatcher."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import cookie_consent, sessions
from selfservice.services import retention as retention_service


def sweep_cookie_consents(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": cookie_consent.sweep()}


def sweep_sessions(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": sessions.sweep()}


def sweep_sources(ctx: JobContext) -> Mapping[str, Any]:
    """The host's retention rules (section 5), each recorded as a sweep with its counts."""
    sweeps = retention_service.daily_sweep()
    if sweeps is None:
        return {"skipped": "SELFSERVICE_RETENTION_SWEEPS is off"}
    return {"rules": len(sweeps), "deleted": sum(s.deleted for s in sweeps),
            "failed": [f"{s.source}.{s.rule}" for s in sweeps if s.status == "failed"]}
