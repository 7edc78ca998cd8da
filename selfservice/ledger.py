"""Append-only hash chains: the audit trail and the consent ledger.

Each record's hash covers its content and the previous record's hash, so editing, deleting or
reordering any record breaks verification from that point on. A consent chain's head (last seq
and hash) is also kept in its preference or organisation-policy row, and the audit trail notes
every consent event's seq and hash, so cutting records off the end, or removing a whole chain,
shows too (services.consent_verification.verify_subject checks all three against each other).
Each audit stream's head is kept in ``selfservice_audit_heads`` for the same reason
(services.audit.verify_trail checks every stream against it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .db import matched, utcnow
from .models import AuditEvent, AuditHead, ConsentEvent, CookieConsentRecord, new_id

GENESIS = "0" * 64
_HEAD_MISMATCH = "the chain does not end at its recorded head"
_AUDIT_FIELDS = ("stream", "seq", "at", "actor_type", "actor_id", "action", "target_type",
                 "target_id", "details")
_CONSENT_FIELDS = ("id", "subject_type", "subject_id", "seq", "purpose", "granted", "method",
                   "policy_version", "actor_type", "actor_id", "at", "details")


class ChainRecord(Protocol):
    """A record of a hash chain (an audit, consent or cookie-consent event)."""

    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


R = TypeVar("R", bound=ChainRecord)


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


def lock_stream(session: Session, stream: str) -> None:
    """Hold the stream's append lock until the caller's transaction ends (PostgreSQL).

    On SQLite the plugin's transactions take the database's write lock when they begin.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(stream.encode()).digest()[:8], "big", signed=True)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


@dataclass(frozen=True)
class Tail:
    """Where the next record of a chain goes."""

    seq: int
    prev_hash: str
    #: time of the last record: a chain's times never go backwards
    last_at: datetime | None

    def next_at(self) -> datetime:
        now = utcnow()
        return max(now, self.last_at) if self.last_at is not None else now


def _tail(session: Session, model: Any, where: Iterable[Any]) -> Tail:
    last = session.execute(sa.select(model.seq, model.hash, model.at).where(*where)
                           .order_by(model.seq.desc()).limit(1)).first()
    if last is None:
        return Tail(1, GENESIS, None)
    return Tail(last.seq + 1, last.hash, last.at)


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    #: seq of the first record that does not verify (or of the missing head)
    first_bad_seq: int | None = None
    records: int = 0
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "first_bad_seq": self.first_bad_seq,
                "records": self.records, "reason": self.reason}


def verify_chain(records: Iterable[R], content: Callable[[R], Mapping[str, Any]],
                 head: tuple[int, str] | None = None) -> ChainReport:
    """Check one chain's records in ``seq`` order against each other and, if known, against
    its recorded head ``(seq, hash)``."""
    prev = GENESIS
    count = 0
    for record in records:
        seq = record.seq
        if seq != count + 1:
            return ChainReport(False, count + 1, count, "a record is missing or out of order")
        if record.prev_hash != prev:
            return ChainReport(False, seq, count, "a record is missing or out of order")
        if chain_hash(prev, content(record)) != record.hash:
            return ChainReport(False, seq, count, "a record was altered")
        prev = record.hash
        count += 1
    if head is not None and (count, prev) != (head[0], head[1]):
        return ChainReport(False, count + 1 if count < head[0] else head[0], count,
                           _HEAD_MISMATCH)
    return ChainReport(True, None, count)


# -- the audit trail --------------------------------------------------------------------------

def _audit_content(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _AUDIT_FIELDS}


def _audit_tail(session: Session, stream: str) -> tuple[Tail, AuditHead | None]:
    """Where the stream's next event goes, and its head row.

    The head decides: after events were cut off the end, the next one still follows the head,
    so the gap stays for verification to find. Only events a writer added without the head
    (a stream that predates it, or code that rewrote a stream without ``reseal_audit_stream``)
    make the events' own tail count, so an append never collides with them.
    """
    tail = _tail(session, AuditEvent, [AuditEvent.stream == stream])
    head = session.get(AuditHead, stream)
    if head is not None and head.seq >= tail.seq - 1:
        tail = Tail(head.seq + 1, head.hash, tail.last_at)
    return tail, head


def record_audit(session: Session, *, stream: str, action: str, actor_type: str,
                 actor_id: str | None = None, target_type: str | None = None,
                 target_id: str | None = None,
                 details: Mapping[str, Any] | None = None,
                 new_stream: bool = False) -> AuditEvent:
    """Append one event to ``stream`` inside the caller's transaction, and move the stream's
    head (``selfservice_audit_heads``) to it in the same transaction.

    ``new_stream``: the caller has just created the stream's subject in this transaction
    (a new job's random id), so no one else can append to it and it has no tail to read.

    Appends to one stream are serialised (``lock_stream``). The unique ``(stream, seq)`` is the
    safety net: a writer that bypassed the lock fails instead of forking the chain.
    """
    tail, head = Tail(1, GENESIS, None), None
    if not new_stream:
        lock_stream(session, stream)
        tail, head = _audit_tail(session, stream)
    event = AuditEvent(
        stream=stream, seq=tail.seq, at=tail.next_at(),
        actor_type=actor_type, actor_id=actor_id, action=action,
        target_type=target_type, target_id=target_id, details=dict(details or {}),
        prev_hash=tail.prev_hash,
    )
    event.hash = chain_hash(event.prev_hash, _audit_content(event))
    session.add(event)
    if head is None:
        session.add(AuditHead(stream=stream, seq=event.seq, hash=event.hash))
    else:
        head.seq, head.hash = event.seq, event.hash
    session.flush()
    return event


def reseal_audit_stream(session: Session, stream: str) -> None:
    """Move the stream's head to its last event as it is now (none: the head goes too), in
    the caller's transaction, which holds the stream's lock.

    Only for the plugin's own code that rewrites a stream on purpose (pseudonymising an erased
    account's trail and hashing it again): whatever was cut off the stream's end before is no
    longer noticed afterwards.
    """
    last = session.execute(sa.select(AuditEvent.seq, AuditEvent.hash)
                           .where(AuditEvent.stream == stream)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    head = session.get(AuditHead, stream)
    if last is None:
        if head is not None:
            session.delete(head)
    elif head is None:
        session.add(AuditHead(stream=stream, seq=last.seq, hash=last.hash))
    else:
        head.seq, head.hash = last.seq, last.hash
    session.flush()


def drop_audit_stream(session: Session, stream: str) -> int:
    """Delete a whole stream, its head with it, in the caller's transaction (a retention
    period that ended: the caller records that in another stream). Returns events deleted."""
    lock_stream(session, stream)
    deleted = matched(session.execute(sa.delete(AuditEvent).where(AuditEvent.stream == stream)))
    session.execute(sa.delete(AuditHead).where(AuditHead.stream == stream))
    return deleted


def verify_audit_chain(events: Iterable[AuditEvent]) -> tuple[bool, int | None]:
    """Check one stream's events in ``seq`` order. Returns (valid, seq of the first bad one)."""
    report = verify_chain(events, _audit_content)
    return report.valid, report.first_bad_seq


def verify_audit_stream(events: Iterable[AuditEvent],
                        head: tuple[int, str] | None) -> ChainReport:
    """One stream's events in ``seq`` order, checked against each other and against the
    stream's head (``None``: the stream has none, which only a tampered trail lacks)."""
    report = verify_chain(events, _audit_content, head)
    if head is None:
        if not report.valid:
            return report
        return ChainReport(False, report.records, report.records,
                           "the stream has no recorded head, so its end is not vouched for")
    if report.reason != _HEAD_MISMATCH or report.records >= head[0]:
        return report
    reason = ("every event of the stream is missing" if report.records == 0
              else "events are missing from the end of the stream")
    return ChainReport(False, report.records + 1, report.records, reason)


# -- the consent ledger -----------------------------------------------------------------------

def consent_stream(subject_type: str, subject_id: str) -> str:
    return f"consent:{subject_type}:{subject_id}"


def consent_content(event: ConsentEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _CONSENT_FIELDS}


def lock_consent_subject(session: Session, subject_type: str, subject_id: str) -> None:
    lock_stream(session, consent_stream(subject_type, subject_id))


def append_consent(session: Session, *, subject_type: str, subject_id: str, purpose: str,
                   granted: bool | None, method: str, policy_version: str, actor_type: str,
                   actor_id: str | None, details: Mapping[str, Any] | None = None,
                   at: datetime | None = None) -> ConsentEvent:
    """Append one consent event to the subject's chain, in the caller's transaction, which
    must hold the subject's lock (``lock_consent_subject``). ``at``: the moment to record
    (several chains changed by one decision share it); never before the chain's last event."""
    tail = _tail(session, ConsentEvent, [ConsentEvent.subject_type == subject_type,
                                         ConsentEvent.subject_id == subject_id])
    if at is None:
        at = tail.next_at()
    elif tail.last_at is not None:
        at = max(at, tail.last_at)
    event = ConsentEvent(
        id=new_id(), subject_type=subject_type, subject_id=subject_id, seq=tail.seq,
        purpose=purpose, granted=granted, method=method, policy_version=policy_version,
        actor_type=actor_type, actor_id=actor_id, at=at,
        details=dict(details or {}), prev_hash=tail.prev_hash,
    )
    event.hash = chain_hash(event.prev_hash, consent_content(event))
    session.add(event)
    session.flush()
    return event


def consent_events(session: Session, subject_type: str, subject_id: str) -> list[ConsentEvent]:
    return list(session.scalars(
        sa.select(ConsentEvent)
        .where(ConsentEvent.subject_type == subject_type, ConsentEvent.subject_id == subject_id)
        .order_by(ConsentEvent.seq)))


# -- cookie consent records -------------------------------------------------------------------

_COOKIE_FIELDS = ("id", "consent_id", "seq", "account_id", "categories", "policy_version",
                  "text_hash", "language", "method", "gpc", "gpc_override", "at", "user_agent",
                  "ip_network")


def cookie_consent_content(record: CookieConsentRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _COOKIE_FIELDS}


def append_cookie_consent(session: Session, consent_id: str, **fields: Any
                          ) -> CookieConsentRecord:
    """Append a decision to the consent id's chain (locked here, until the transaction
    ends)."""
    lock_stream(session, f"cookie:{consent_id}")
    tail = _tail(session, CookieConsentRecord, [CookieConsentRecord.consent_id == consent_id])
    record = CookieConsentRecord(id=new_id(), consent_id=consent_id, seq=tail.seq,
                                 at=tail.next_at(), prev_hash=tail.prev_hash, **fields)
    record.hash = chain_hash(record.prev_hash, cookie_consent_content(record))
    session.add(record)
    session.flush()
    return record
