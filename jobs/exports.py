"""Export jobs: build an archive, tell the customer, expire old archives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.services import exports, notifications, requests
from selfservice.services.jobs import JobContext, job_handler


@job_handler(requests.EXPORT_JOB)
def build_export(ctx: JobContext) -> Mapping[str, Any]:
    return exports.build(ctx)


@job_handler(exports.SWEEP_JOB)
def sweep_exports(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": exports.sweep()}


@job_handler(requests.ACK_JOB)
def request_received(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return notifications.send_request_received(ctx.target_id)


@job_handler(requests.READY_JOB)
def export_ready(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return notifications.send_export_ready(ctx.target_id)
