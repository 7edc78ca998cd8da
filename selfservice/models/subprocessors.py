"""Sub-processor change notices: which organisations asked for them, which notice went to which
organisation, and the objections their owners and admins sent. The changes themselves are
configuration (``SELFSERVICE_SUBPROCESSOR_CHANGES``), named here by their ids."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .base import check_in, new_id


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"            #: received; the privacy officer has not closed it yet
    RESOLVED = "resolved"    #: the privacy officer closed it, with a note


class SubprocessorSubscription(Base):
    """An organisation that wants an e-mail when a sub-processor change is announced. No row:
    not subscribed (unsubscribing deletes the row; the audit trail keeps both)."""

    __tablename__ = "selfservice_subprocessor_subscriptions"

    org_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    subscribed_by: Mapped[str | None] = mapped_column(sa.String(64))
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubprocessorNotice(Base):
    """One announced change told to one subscribed organisation: written once, in the
    transaction that asks for the e-mails to its owners and admins (one job each), so a
    change is never told twice to the same organisation."""

    __tablename__ = "selfservice_subprocessor_notices"
    __table_args__ = (sa.UniqueConstraint("change_id", "org_id",
                                          name="uq_selfservice_subprocessor_notices"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    change_id: Mapped[str] = mapped_column(sa.String(64))
    org_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: owners and admins the e-mail was asked for
    recipients: Mapped[int] = mapped_column(default=0)


class SubprocessorObjection(Base):
    """An organisation's objection to one announced change: one per organisation and change,
    never edited by the customer; the privacy officer resolves it with a note."""

    __tablename__ = "selfservice_subprocessor_objections"
    __table_args__ = (sa.UniqueConstraint("change_id", "org_id",
                                          name="uq_selfservice_subprocessor_objections"),
                      sa.CheckConstraint(check_in("status", ObjectionStatus), name="status"))

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    change_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    org_id: Mapped[str] = mapped_column(sa.String(64))
    #: the organisation's name when it objected (the host may rename it later)
    org_name: Mapped[str] = mapped_column(sa.String(200))
    #: the owner or admin who objected
    account_id: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default=ObjectionStatus.OPEN)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
