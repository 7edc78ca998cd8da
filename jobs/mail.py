"""E-mail jobs: the event id in, one message out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext
from selfservice.services import notifications


def training_confirmation(ctx: JobContext) -> Mapping[str, Any]:
    assert ctx.target_id is not None
    return notifications.send_training_confirmation(ctx.target_id)
