"""Export jobs: build an archive, expire old archives (the e-mails are jobs/mail.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import exports


def build_export(ctx: JobContext) -> Mapping[str, Any]:
    return exports.build(ctx)


def sweep_exports(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": exports.sweep()}

