"""Background jobs, the audit trail (its events and the heads of its streams) and sign-in
sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .base import check_in, new_id


class JobStatus(enum.StrEnum):
    PENDING = "pending"        #: row committed, not (known to be) in Redis yet
    ENQUEUED = "enqueued"      #: handed to RQ
    RUNNING = "running"        #: claimed by a worker, heart beating
    SUCCEEDED = "succeeded"
    FAILED = "failed"          #: gave up after max_attempts, or the work itself refused
    CANCELED = "canceled"


class BackgroundJob(Base):
    """A unit of background work. SQL is the source of truth; Redis only carries it.

    The row is written in the transaction that asks for the work (the outbox) and enqueued
    after that transaction commits; a dispatcher re-sends rows Redis never got.
    """

    __tablename__ = "selfservice_jobs"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", JobStatus), name="status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        sa.Index("ix_selfservice_jobs_status_available_at", "status", "available_at"),
        sa.Index("ix_selfservice_jobs_target", "target_type", "target_id"),
    )

    #: random hex id; also the RQ job id
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    #: registered job kind, e.g. "diagnostics.ping"
    kind: Mapped[str] = mapped_column(sa.String(64))
    #: what the job works on, by id only (never personal data)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: small non-personal parameters (ids, flags, formats)
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: at most one job per key, so a double click or a retried call asks for the work once
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    progress: Mapped[int] = mapped_column(default=0)
    #: what the job is doing now, shown to the customer and support
    step: Mapped[str] = mapped_column(sa.String(200), default="")
    #: why it failed, in words a customer can read
    error: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: not before this time (retries back off, scheduled work waits)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the RQ worker that claimed the current attempt
    worker: Mapped[str | None] = mapped_column(sa.String(160))

    def __repr__(self) -> str:
        return f"<BackgroundJob {self.id} {self.kind} {self.status}>"


class AuditEvent(Base):
    """Append-only, hash-chained record of every state change, one chain per stream.

    A stream is the subject the events are about (``account:<id>``, ``job:<id>``...).
    ``(stream, seq)`` is unique, so two concurrent writers cannot fork a chain.
    """

    __tablename__ = "selfservice_audit_events"
    __table_args__ = (sa.UniqueConstraint("stream", "seq", name="uq_selfservice_audit_stream_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(sa.String(120))
    #: position in the stream, from 1
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: account, support, service, system
    actor_type: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AuditHead(Base):
    """Where each audit stream ends: its last event's ``seq`` and ``hash``, written by
    ``record_audit`` in the same transaction as the event.

    A chain's records vouch for those before them, never for those after: without the head,
    cutting events off a stream's end, or removing a whole stream, would leave a chain that
    verifies. With it, ``flask selfservice audit verify`` notices both.
    """

    __tablename__ = "selfservice_audit_heads"

    stream: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    #: seq of the stream's last event
    seq: Mapped[int]
    #: hash of the stream's last event
    hash: Mapped[str] = mapped_column(sa.String(64))


class AccountSession(Base):
    """A signed-in session. The cookie carries its id; logging out, "sign out of all other
    sessions" or an account lock ends it here, and a copy of the cookie is worth nothing."""

    __tablename__ = "selfservice_sessions"

    #: random and unguessable; it is read by primary key on every signed-in request
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: updated at most every few minutes
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "Firefox on Linux": enough for the customer to recognise it, not the whole header
    user_agent: Mapped[str] = mapped_column(sa.String(60), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))
