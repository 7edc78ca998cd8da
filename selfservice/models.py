"""The plugin's own tables. The host's data stays in the host's tables (see sources.py)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, utcnow


def new_id() -> str:
    return uuid.uuid4().hex


class JobStatus(enum.StrEnum):
    PENDING = "pending"        #: row committed, not (known to be) in Redis yet
    ENQUEUED = "enqueued"      #: handed to RQ
    RUNNING = "running"        #: claimed by a worker, heart beating
    SUCCEEDED = "succeeded"
    FAILED = "failed"          #: gave up after max_attempts, or the work itself refused
    CANCELED = "canceled"


def _check_in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class BackgroundJob(Base):
    """A unit of background work. SQL is the source of truth; Redis only carries it.

    The row is written in the transaction that asks for the work (the outbox) and enqueued
    after that transaction commits; a dispatcher re-sends rows Redis never got.
    """

    __tablename__ = "selfservice_jobs"
    __table_args__ = (
        sa.CheckConstraint(_check_in("status", JobStatus), name="status"),
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


# -- the consent ledger -----------------------------------------------------------------------

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
        sa.CheckConstraint(_check_in("subject_type", SubjectType), name="subject_type"),
        sa.CheckConstraint(_check_in("purpose", Purpose), name="purpose"),
        sa.CheckConstraint(_check_in("method", ConsentMethod), name="method"),
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
    __table_args__ = (sa.CheckConstraint(_check_in("policy", OrgPolicy), name="policy"),)

    org_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    policy: Mapped[str] = mapped_column(sa.String(16), default=OrgPolicy.MEMBERS_CHOOSE)
    set_by: Mapped[str | None] = mapped_column(sa.String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    head_seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(sa.String(64), default="0" * 64)


# -- cookie consent ---------------------------------------------------------------------------

class CookieConsentMethod(enum.StrEnum):
    BANNER = "banner"
    SETTINGS = "settings"
    GPC = "gpc"
    API = "api"


class CookieConsentRecord(Base):
    """One cookie decision of one visitor (an anonymous consent id, and the account when
    signed in): append-only, hash-chained per consent id. The IP address is truncated before
    it is stored."""

    __tablename__ = "selfservice_cookie_consents"
    __table_args__ = (
        sa.UniqueConstraint("consent_id", "seq", name="uq_selfservice_cookie_consents_chain"),
        sa.CheckConstraint(_check_in("method", CookieConsentMethod), name="method"),
        sa.Index("ix_selfservice_cookie_consents_account", "account_id", "at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    #: the anonymous id in the visitor's consent cookie
    consent_id: Mapped[str] = mapped_column(sa.String(32))
    seq: Mapped[int]
    account_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: {"necessary": true, "functional": bool, "analytics": bool, "marketing": bool}
    categories: Mapped[dict[str, bool]] = mapped_column(sa.JSON)
    policy_version: Mapped[str] = mapped_column(sa.String(40))
    #: SHA-256 of the banner or settings texts the visitor was shown, and their language
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(16))
    method: Mapped[str] = mapped_column(sa.String(16))
    #: the request carried a Global Privacy Control signal; and the visitor confirmed an
    #: explicit opt-in to marketing despite it
    gpc: Mapped[bool] = mapped_column(default=False)
    gpc_override: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    #: IPv4 /24 or IPv6 /48 network address, never the whole address
    ip_network: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class CookieConsentLink(Base):
    """An anonymous consent id that turned out to belong to an account (the visitor signed
    in): its history is the account's, and is deleted with it."""

    __tablename__ = "selfservice_cookie_consent_links"

    consent_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CookiePolicyVersion(Base):
    """Every version of the cookie registry the console has served, with its contents, so a
    returning visitor can be told what changed since they chose."""

    __tablename__ = "selfservice_cookie_policies"

    version: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    digests: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    cookies: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- privacy requests -------------------------------------------------------------------------

class RequestType(enum.StrEnum):
    EXPORT = "export"
    DELETION = "deletion"
    CORRECTION = "correction"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    AUTOMATED_DECISION_REVIEW = "automated_decision_review"
    LIMIT_SENSITIVE_DATA = "limit_sensitive_data"
    APPEAL = "appeal"


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


class PrivacyRequest(Base):
    """A data-subject request. The row is the source of truth for its status; its job only
    carries the work."""

    __tablename__ = "selfservice_privacy_requests"
    __table_args__ = (
        sa.CheckConstraint(_check_in("type", RequestType), name="type"),
        sa.CheckConstraint(_check_in("status", RequestStatus), name="status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        sa.UniqueConstraint("account_id", "idempotency_key",
                            name="uq_selfservice_privacy_requests_idempotency"),
        sa.Index("ix_selfservice_privacy_requests_account", "account_id", "type", "created_at"),
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
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
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


class PrivacyRequestEvent(Base):
    """The request's timeline: every status change and notable step, in order."""

    __tablename__ = "selfservice_privacy_request_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("selfservice_privacy_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
