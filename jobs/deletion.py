"""Deletion jobs: the erasure and the end of the kept proof (the e-mails are jobs/mail.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import erasure, own_erasure


def erase(ctx: JobContext) -> Mapping[str, Any]:
    return erasure.run(ctx)


def sweep_erased_proof(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": own_erasure.sweep_expired_proof()}
