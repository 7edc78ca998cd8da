"""Append-only hash chains: audit events now, consent events later.

Each record's hash covers its content and the previous record's hash, so editing, deleting or
reordering any record breaks verification from that point on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .db import utcnow
from .models import AuditEvent

GENESIS = "0" * 64
_AUDIT_FIELDS = ("stream", "seq", "at", "actor_type", "actor_id", "action", "target_type",
                 "target_id", "details")


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, datetimes as ISO 8601 UTC."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def chain_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_json(dict(content))).hexdigest()


def _audit_content(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _AUDIT_FIELDS}


def record_audit(session: Session, *, stream: str, action: str, actor_type: str,
                 actor_id: str | None = None, target_type: str | None = None,
                 target_id: str | None = None,
                 details: Mapping[str, Any] | None = None,
                 new_stream: bool = False) -> AuditEvent:
    """Append one event to ``stream`` inside the caller's transaction.

    ``new_stream``: the caller has just created the stream's subject in this transaction
    (a new job's random id), so no one else can append to it and it has no tail to read.

    Appends to one stream are serialised: on PostgreSQL by a transaction-level advisory lock
    on the stream, on SQLite by the write lock the plugin's transactions take when they begin.
    The unique ``(stream, seq)`` is the safety net: a writer that bypassed the lock fails
    instead of forking the chain.
    """
    last = None
    if not new_stream:
        lock_stream(session, stream)
        last = session.execute(
            sa.select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.stream == stream)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).first()
    event = AuditEvent(
        stream=stream, seq=(last.seq + 1) if last else 1, at=utcnow(),
        actor_type=actor_type, actor_id=actor_id, action=action,
        target_type=target_type, target_id=target_id, details=dict(details or {}),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = chain_hash(event.prev_hash, _audit_content(event))
    session.add(event)
    session.flush()
    return event


def lock_stream(session: Session, stream: str) -> None:
    """Hold the stream's append lock until the caller's transaction ends (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(stream.encode()).digest()[:8], "big", signed=True)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def verify_audit_chain(events: Iterable[AuditEvent]) -> tuple[bool, int | None]:
    """Check one stream's events in ``seq`` order. Returns (valid, seq of the first bad one)."""
    prev = GENESIS
    expected_seq = 1
    for event in events:
        if (event.seq != expected_seq or event.prev_hash != prev
                or chain_hash(prev, _audit_content(event)) != event.hash):
            return False, event.seq
        prev = event.hash
        expected_seq += 1
    return True, None
