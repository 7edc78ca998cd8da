"""Deletion jobs: the erasure, its completion e-mail, and the end of the kept proof."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import certificates, erasure, own_erasure


def erase(ctx: JobContext) -> Mapping[str, Any]:
    return erasure.run(ctx)


def deletion_completed(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return certificates.send_completed(ctx.target_id)


def sweep_erased_proof(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": own_erasure.sweep_expired_proof()}
