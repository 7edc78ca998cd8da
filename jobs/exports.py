"""Export jobs: build an archive, tell the customer, expire old archives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import exports, notifications


def build_export(ctx: JobContext) -> Mapping[str, Any]:
    return exports.build(ctx)


def sweep_exports(ctx: JobContext) -> Mapping[str, Any]:
    return {"deleted": exports.sweep()}


def request_received(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return notifications.send_request_received(ctx.target_id)


def export_ready(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return notifications.send_export_ready(ctx.target_id)
