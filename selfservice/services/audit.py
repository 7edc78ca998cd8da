"""The audit trail: who did what to whose data, append-only and hash-chained per subject."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..ledger import record_audit, verify_audit_chain
from ..models import AuditEvent
from ..state import get_state


def account_stream(account_id: str) -> str:
    return f"account:{account_id}"


def record_account_event(account_id: str, action: str, *, actor_type: str,
                         actor_id: str | None = None,
                         details: Mapping[str, Any] | None = None,
                         session: Session | None = None) -> None:
    """Append to the account's audit stream: in ``session`` if given, else in its own
    transaction."""
    kwargs: dict[str, Any] = dict(stream=account_stream(account_id), action=action,
                                  actor_type=actor_type, actor_id=actor_id,
                                  target_type="account", target_id=account_id, details=details)
    if session is not None:
        record_audit(session, **kwargs)
        return
    with get_state().db.transaction() as own:
        record_audit(own, **kwargs)


def stream_events(session: Session, stream: str) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.stream == stream)
                                .order_by(AuditEvent.seq)))


def verify_stream(session: Session, stream: str) -> tuple[bool, int | None]:
    return verify_audit_chain(stream_events(session, stream))
