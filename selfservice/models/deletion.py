"""Deletion: the plan frozen when the customer confirms, its steps and their outcome, legal
holds, and the record of every retention sweep."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .base import check_in, new_id


class ErasureAction(enum.StrEnum):
    """What deletion does to one source's records."""

    ERASE = "erase"            #: deleted
    ANONYMISE = "anonymise"    #: kept without anything that points to the person
    RETAIN = "retain"          #: kept as they are, for a stated reason and time
    MANUAL = "manual"          #: no eraser: a privacy officer erases and confirms by hand


class StepKind(enum.StrEnum):
    SOURCE = "source"          #: one registered data source (the host's or the plugin's)
    RECIPIENT = "recipient"    #: a processor the host registered, told of the erasure
    ACCOUNT = "account"        #: the host's account itself, last


class StepStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"              #: erased, anonymised, notified or (manual) confirmed
    RETAINED = "retained"      #: kept as the plan said
    HELD = "held"              #: skipped: a legal hold covers it
    FAILED = "failed"


#: how the pseudonym of an erased account begins
PSEUDONYM_PREFIX = "erased-"


class Deletion(Base):
    """A confirmed deletion request: when it was confirmed, when erasure starts, how it went,
    and the signed certificate. One row per deletion request, written at confirmation."""

    __tablename__ = "selfservice_deletions"
    __table_args__ = (sa.Index("ix_selfservice_deletions_account", "account_id"),)

    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("selfservice_privacy_requests.id", ondelete="CASCADE"), primary_key=True)
    #: the account until erasure has run; then its pseudonym
    account_id: Mapped[str] = mapped_column(sa.String(64))
    #: a random stand-in for the account in the records kept after erasure (erased-<hex>)
    pseudonym: Mapped[str] = mapped_column(sa.String(40), unique=True)
    grace_days: Mapped[int]
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when erasure starts: the point of no return
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what the customer was told cannot be recalled, frozen with the plan
    irreversible: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: where the completion e-mail goes; kept only until it is sent, then cleared
    notify_email: Mapped[str | None] = mapped_column(sa.String(254))
    #: the language of that e-mail (the account's, which erasure deletes); cleared with it
    notify_language: Mapped[str | None] = mapped_column(sa.String(16))
    #: the erasure job (outbox), scheduled for ``scheduled_for``
    job_id: Mapped[str | None] = mapped_column(sa.String(32))
    #: the signed certificate (JSON with a compact JWS), once erasure has finished
    certificate: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    certificate_sha256: Mapped[str | None] = mapped_column(sa.String(64))


class ErasureStep(Base):
    """One line of a frozen deletion plan, and what became of it."""

    __tablename__ = "selfservice_erasure_steps"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "kind", "name", name="uq_selfservice_erasure_steps"),
        sa.CheckConstraint(check_in("kind", StepKind), name="kind"),
        sa.CheckConstraint(check_in("action", ErasureAction), name="action"),
        sa.CheckConstraint(check_in("status", StepStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("selfservice_deletions.request_id", ondelete="CASCADE"), index=True)
    #: the order steps run in
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: the source's or recipient's registered name; "account" for the account
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.String(300))
    action: Mapped[str] = mapped_column(sa.String(16))
    legal_basis: Mapped[str | None] = mapped_column(sa.String(32))
    #: why records are kept or anonymised, in the customer's words
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: "retain": days after erasure the records are kept (None: the source's own schedule)
    retain_days: Mapped[int | None]
    retained_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what cannot be recalled once done (published models, copies with others)
    irreversible: Mapped[str] = mapped_column(sa.Text, default="")
    #: records when the plan was frozen
    planned_records: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: records when the step first started: the exact count survives a resumed step
    records_before: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: records erased or anonymised (or kept, for retained and held steps)
    records: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default=StepStatus.PENDING)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why it failed, for support (the source and the error's kind; no personal data)
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: the legal hold that kept it
    hold_id: Mapped[str | None] = mapped_column(sa.String(32))
    #: a manual step: the privacy officer who confirmed it, and their note
    confirmed_by: Mapped[str | None] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    #: a recipient's answer (its ticket or reference), when it gave one
    receipt: Mapped[str | None] = mapped_column(sa.String(200))


class LegalHold(Base):
    """An account's data kept from sweeps and erasure, for a stated reason, until released.
    ``sources`` None: every source of the account."""

    __tablename__ = "selfservice_legal_holds"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    sources: Mapped[list[str] | None] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(500))
    placed_by: Mapped[str | None] = mapped_column(sa.String(64))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when a privacy officer must look at it again
    review_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(sa.String(64))
    release_reason: Mapped[str | None] = mapped_column(sa.String(500))


class RetentionSweep(Base):
    """One run of one retention rule: what it deleted, and which accounts a hold spared."""

    __tablename__ = "selfservice_retention_sweeps"
    __table_args__ = (sa.Index("ix_selfservice_retention_sweeps_rule", "source", "rule",
                               "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(64))
    rule: Mapped[str] = mapped_column(sa.String(64))
    #: records older than this were due
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: running, done, failed
    status: Mapped[str] = mapped_column(sa.String(16), default="running")
    #: what the plan counted when the sweep started
    planned: Mapped[int | None] = mapped_column(sa.BigInteger)
    deleted: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: accounts whose records a legal hold kept
    held_accounts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
