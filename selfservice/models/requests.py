"""Privacy requests and their timelines."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .base import check_in, new_id


class RequestType(enum.StrEnum):
    EXPORT = "export"
    DELETION = "deletion"
    CORRECTION = "correction"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    AUTOMATED_DECISION_REVIEW = "automated_decision_review"
    LIMIT_SENSITIVE_DATA = "limit_sensitive_data"
    APPEAL = "appeal"
    #: an organisation's owner or admin asks for changes to the DPA instead of signing it:
    #: a contract negotiation, not a right under privacy law
    DPA = "dpa"


#: the types the privacy laws give people (the regulator's numbers and the record of
#: requests count these, and only these)
STATUTORY_TYPES = tuple(t for t in RequestType if t is not RequestType.DPA)


class Jurisdiction(enum.StrEnum):
    """The law a request is handled under (it sets the deadline)."""

    GDPR = "gdpr"
    UK_GDPR = "uk_gdpr"
    CCPA = "ccpa"
    US_STATE = "us_state"


class RequestStatus(enum.StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    DENIED = "denied"
    CANCELED = "canceled"
    FAILED = "failed"


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.VERIFIED, RequestStatus.IN_PROGRESS,
                 RequestStatus.SCHEDULED)
#: "the request is open" in SQL, word for word as the open-queue indexes are defined (a
#: database uses a partial index only for a query that states its condition with the same
#: literal values)
OPEN_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in OPEN_STATUSES))


def _deadline_default(context: Any) -> Any:
    """A new request's deadline in force is the one the law sets."""
    return context.get_current_parameters()["due_at"]


class PrivacyRequest(Base):
    """A data-subject request. The row is the source of truth for its status; its job only
    carries the work."""

    __tablename__ = "selfservice_privacy_requests"
    __table_args__ = (
        sa.CheckConstraint(check_in("type", RequestType), name="type"),
        sa.CheckConstraint(check_in("status", RequestStatus), name="status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        sa.UniqueConstraint("account_id", "idempotency_key",
                            name="uq_selfservice_privacy_requests_idempotency"),
        sa.Index("ix_selfservice_privacy_requests_account", "account_id", "type", "created_at"),
        # the support queue: open requests by the deadline in force (one range of a small
        # partial index, whatever the table's size) ...
        sa.Index("ix_selfservice_privacy_requests_open", "deadline_at", "id",
                 sqlite_where=sa.text(OPEN_SQL), postgresql_where=sa.text(OPEN_SQL)),
        # ... filtered by type
        sa.Index("ix_selfservice_privacy_requests_open_type", "type", "deadline_at", "id",
                 sqlite_where=sa.text(OPEN_SQL), postgresql_where=sa.text(OPEN_SQL)),
        # ... and any other status, or all of them
        sa.Index("ix_selfservice_privacy_requests_queue", "status", "deadline_at", "id"),
        sa.Index("ix_selfservice_privacy_requests_queue_type", "status", "type", "deadline_at",
                 "id"),
        # the regulator's numbers: requests of a type received in a period
        sa.Index("ix_selfservice_privacy_requests_metrics", "type", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    #: what people quote: DR-7K3M-Q9XA
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    account_id: Mapped[str] = mapped_column(sa.String(64))
    type: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16))
    #: gdpr, uk_gdpr, ccpa, us_state
    jurisdiction: Mapped[str] = mapped_column(sa.String(16))
    #: the customer's options (e.g. {"formats": ["jsonl", "csv"]}); no free-text personal data
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the deadline the law sets from receipt
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the deadline in force: ``due_at``, or ``extended_due_at`` once extended (the queue's
    #: order; kept by decisions.extend)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_deadline_default)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress: Mapped[int] = mapped_column(default=0)
    step: Mapped[str] = mapped_column(sa.String(200), default="")
    #: why it failed or was denied, in words the customer reads
    reason: Mapped[str | None] = mapped_column(sa.Text)
    job_id: Mapped[str | None] = mapped_column(sa.String(32))
    #: the export archive: an unguessable file name in the export folder
    archive_name: Mapped[str | None] = mapped_column(sa.String(80))
    archive_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    archive_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    records: Mapped[int | None] = mapped_column(sa.BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    downloads: Mapped[int] = mapped_column(default=0)
    #: how it came in: console, api, email, support (the record CCPA regs. 7101 ask for)
    channel: Mapped[str] = mapped_column(sa.String(16), default="console",
                                         server_default="console")
    #: the staff member working it
    assignee: Mapped[str | None] = mapped_column(sa.String(64))
    #: a deadline extended once, with the reason the customer was told
    extended_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str | None] = mapped_column(sa.String(500))
    extended_by: Mapped[str | None] = mapped_column(sa.String(64))
    #: a privacy officer's decision on a manual request: completed or denied, with a reason
    #: code (the message to the customer is ``reason``)
    decision: Mapped[str | None] = mapped_column(sa.String(16))
    decision_code: Mapped[str | None] = mapped_column(sa.String(40))
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: an appeal names the request whose decision it appeals
    appeal_of: Mapped[str | None] = mapped_column(
        sa.ForeignKey("selfservice_privacy_requests.id", ondelete="SET NULL"), index=True)
    #: the organisation a ``dpa`` request is for (the host's organisation id)
    org_id: Mapped[str | None] = mapped_column(sa.String(64))


class PrivacyRequestEvent(Base):
    """The request's timeline: every status change and notable step, in order."""

    __tablename__ = "selfservice_privacy_request_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("selfservice_privacy_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.String(300), default="")


class RequestNote(Base):
    """Staff notes on a request: internal notes, and messages written to the customer."""

    __tablename__ = "selfservice_request_notes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("selfservice_privacy_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: support or privacy_officer
    author_role: Mapped[str] = mapped_column(sa.String(32))
    #: note (internal) or message (sent to the customer)
    kind: Mapped[str] = mapped_column(sa.String(16), default="note")
    text: Mapped[str] = mapped_column(sa.Text)
