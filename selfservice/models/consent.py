"""The consent ledger: events, the preferences they add up to, organisation policies."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .base import check_in, new_id


class Purpose(enum.StrEnum):
    """What a consent event is about. For the two opt-outs (limit sensitive data, do not sell
    or share) ``granted`` is the value of the preference: True means the restriction is on."""

    TRAINING = "training"
    MARKETING_EMAILS = "marketing_emails"
    LIMIT_SENSITIVE_DATA = "limit_sensitive_data"
    DO_NOT_SELL_OR_SHARE = "do_not_sell_or_share"


class ConsentMethod(enum.StrEnum):
    CONSOLE = "console"
    API = "api"
    GPC = "gpc"
    ORG_POLICY = "org_policy"
    WRITTEN_AGREEMENT = "written_agreement"


class SubjectType(enum.StrEnum):
    ACCOUNT = "account"
    ORGANISATION = "organisation"


class OrgPolicy(enum.StrEnum):
    MEMBERS_CHOOSE = "members_choose"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"


class ConsentEvent(Base):
    """One change of one preference (or of an organisation's training policy), append-only
    and hash-chained per subject. Never updated, never deleted while the account exists."""

    __tablename__ = "selfservice_consent_events"
    __table_args__ = (
        sa.UniqueConstraint("subject_type", "subject_id", "seq",
                            name="uq_selfservice_consent_events_subject_seq"),
        sa.CheckConstraint(check_in("subject_type", SubjectType), name="subject_type"),
        sa.CheckConstraint(check_in("purpose", Purpose), name="purpose"),
        sa.CheckConstraint(check_in("method", ConsentMethod), name="method"),
        # only an organisation's "members choose" leaves the decision open
        sa.CheckConstraint("granted IS NOT NULL OR subject_type = 'organisation'",
                           name="granted"),
        # the as-of question: the last event of a subject and purpose before a time
        sa.Index("ix_selfservice_consent_events_asof", "subject_type", "subject_id", "purpose",
                 "at", "seq", postgresql_include=["granted"]),
    )

    #: random hex; the id of the event's consent receipt too
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    subject_type: Mapped[str] = mapped_column(sa.String(16))
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    #: position in the subject's chain, from 1
    seq: Mapped[int]
    purpose: Mapped[str] = mapped_column(sa.String(32))
    #: the preference's new value; None: an organisation left the choice to its members
    granted: Mapped[bool | None]
    method: Mapped[str] = mapped_column(sa.String(24))
    #: the privacy policy version in force (and shown) when the choice was made
    policy_version: Mapped[str] = mapped_column(sa.String(40))
    #: account, service, system
    actor_type: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: never goes backwards within a subject's chain
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: method-specific facts (organisation and its policy, document reference); no free text
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class PrivacyPreferences(Base):
    """An account's current preferences: a projection of its consent chain, for fast reads.

    No row means every default (everything off). ``head_*`` is the chain's last event, so a
    chain that lost its tail no longer matches.
    """

    __tablename__ = "selfservice_preferences"

    account_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: in force: the organisation's policy when it locks training, else the account's own
    training_opt_in: Mapped[bool] = mapped_column(default=False)
    #: the account's own choice, restored when no organisation policy applies
    own_training_opt_in: Mapped[bool] = mapped_column(default=False)
    #: the organisation whose policy decides training now (None: the account decides)
    training_org_id: Mapped[str | None] = mapped_column(sa.String(64))
    marketing_emails: Mapped[bool] = mapped_column(default=False)
    limit_sensitive_data: Mapped[bool] = mapped_column(default=False)
    do_not_sell_or_share: Mapped[bool] = mapped_column(default=False)
    #: when a Global Privacy Control signal last turned on "do not sell or share"
    gpc_honoured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    head_seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(sa.String(64), default="0" * 64)


class OrgTrainingPolicy(Base):
    """An organisation's training policy now (projection of its consent chain)."""

    __tablename__ = "selfservice_org_policies"
    __table_args__ = (sa.CheckConstraint(check_in("policy", OrgPolicy), name="policy"),)

    org_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    policy: Mapped[str] = mapped_column(sa.String(16), default=OrgPolicy.MEMBERS_CHOOSE)
    set_by: Mapped[str | None] = mapped_column(sa.String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    head_seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(sa.String(64), default="0" * 64)
