"""E-mail jobs: the event id in, one message out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import decision_mail, deletion_mail, notifications


def training_confirmation(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return notifications.send_training_confirmation(ctx.target_id)


def deletion_scheduled(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return deletion_mail.send_scheduled(ctx.target_id)


def deletion_reminder(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return deletion_mail.send_reminder(ctx.target_id)


def deletion_canceled(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return deletion_mail.send_canceled(ctx.target_id)


def request_decided(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return decision_mail.send_decided(ctx.target_id)


def request_extended(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return decision_mail.send_extended(ctx.target_id)


def request_message(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return decision_mail.send_message(ctx.target_id)
