"""The audit trail: who did what to whose data, append-only and hash-chained per subject, each
stream's end kept as its head; and the check of the whole trail."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..ledger import ChainReport, record_audit, verify_audit_stream
from ..models import AuditEvent, AuditHead
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


def _head(session: Session, stream: str) -> tuple[int, str] | None:
    head = session.get(AuditHead, stream)
    return (head.seq, head.hash) if head is not None else None


def verify_stream(session: Session, stream: str) -> tuple[bool, int | None]:
    """One stream against its head. Returns (valid, seq of the first bad event)."""
    report = verify_audit_stream(stream_events(session, stream), _head(session, stream))
    return report.valid, report.first_bad_seq


#: events read from the database at a time while the whole trail is checked
_BATCH = 1000


def verify_trail(stream: str | None = None) -> Iterator[tuple[str, ChainReport]]:
    """Every stream of the audit trail (or only ``stream``), checked against its head, in one
    pass over the events; then the heads whose stream has no event left."""
    with get_state().db.read() as session:
        query = (sa.select(AuditEvent, AuditHead.seq, AuditHead.hash)
                 .outerjoin(AuditHead, AuditHead.stream == AuditEvent.stream)
                 .order_by(AuditEvent.stream, AuditEvent.seq)
                 .execution_options(yield_per=_BATCH))
        orphans = sa.select(AuditHead).where(~sa.exists().where(
            AuditEvent.stream == AuditHead.stream)).order_by(AuditHead.stream)
        if stream is not None:
            query = query.where(AuditEvent.stream == stream)
            orphans = orphans.where(AuditHead.stream == stream)
        rows = session.execute(query)
        for name, group in itertools.groupby(rows, key=lambda row: row[0].stream):
            first = next(group)
            head = (first[1], first[2]) if first[1] is not None else None
            events = (row[0] for row in itertools.chain([first], group))
            yield name, verify_audit_stream(events, head)
            session.expunge_all()  # a stream's events are not needed again
        for head_row in session.scalars(orphans):
            yield head_row.stream, verify_audit_stream([], (head_row.seq, head_row.hash))
