"""The console's own tables (not the plugin's: no ``selfservice_`` prefix, its own MetaData).

Deletion shapes the foreign keys: the rows an account's deletion erases cascade from
``accounts`` (a safety net: the erasers delete them first, in bounded batches); the rows it
keeps do not. Billing records are anonymised and kept for tax law (``account_id`` becomes NULL),
marketplace listings lose their publisher, and the security log is retained for up to 13
months, so ``security_events.account_id`` has no foreign key at all.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# the console reuses the plugin's aware-UTC column type and constraint naming
from selfservice.db import NAMING_CONVENTION, UTCDateTime


class ConsoleBase(DeclarativeBase):
    """Declarative base of the console's tables, kept apart from the plugin's metadata."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


#: bumped when a table changes; an older demo database is dropped and created again (demo
#: data only: ``flask demo seed`` fills it again)
SCHEMA_VERSION = 2

log = logging.getLogger(__name__)


def _account_fk() -> sa.ForeignKey:
    return sa.ForeignKey("accounts.id", ondelete="CASCADE")


def _kept_fk() -> sa.ForeignKey:
    """For rows kept after the account is erased: the link is cut, the row stays."""
    return sa.ForeignKey("accounts.id", ondelete="SET NULL")


class Account(ConsoleBase):
    __tablename__ = "accounts"

    #: "acct-alice"; also the ``sub`` the identity provider issues
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: stored lower-case
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: None for individual customers
    company: Mapped[str | None] = mapped_column(sa.String(200))
    #: ISO 3166-1 alpha-2
    billing_country: Mapped[str] = mapped_column(sa.String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: staff flags: support agents and privacy officers
    is_support: Mapped[bool] = mapped_column(default=False)
    is_privacy_officer: Mapped[bool] = mapped_column(default=False)


class Organisation(ConsoleBase):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Membership(ConsoleBase):
    __tablename__ = "memberships"
    __table_args__ = (
        sa.CheckConstraint("role IN ('owner', 'admin', 'member')", name="role"),
    )

    account_id: Mapped[str] = mapped_column(_account_fk(), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: owner | admin | member
    role: Mapped[str] = mapped_column(sa.String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiKey(ConsoleBase):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(_account_fk(), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: the first 8 characters of the key, shown so the customer can tell keys apart
    prefix: Mapped[str] = mapped_column(sa.String(8))
    #: sha256 of the secret key: a credential, never shown and never exported
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a disabled key authenticates nothing; None while it works
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: why: "deletion" while the account waits for its erasure (cancelling re-enables it)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(40))


class InferenceLog(ConsoleBase):
    __tablename__ = "inference_logs"
    __table_args__ = (
        # one subject's logs in time order (exports, the dashboard's 30-day count)
        sa.Index("ix_inference_logs_account_id_created_at", "account_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(_account_fk())
    #: indexed on its own for retention sweeps
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    model: Mapped[str] = mapped_column(sa.String(100))
    endpoint: Mapped[str] = mapped_column(sa.String(100))
    prompt_tokens: Mapped[int]
    completion_tokens: Mapped[int]
    latency_ms: Mapped[int]
    status_code: Mapped[int] = mapped_column(sa.SmallInteger)
    #: bodies are kept for a shorter time than the metadata, then set to NULL
    request_body: Mapped[str | None] = mapped_column(sa.Text)
    response_body: Mapped[str | None] = mapped_column(sa.Text)


class Invoice(ConsoleBase):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: None once the account is erased: the invoice is kept, anonymised, for tax law
    account_id: Mapped[str | None] = mapped_column(_kept_fk(), index=True)
    #: billing month, "2025-11"
    period: Mapped[str] = mapped_column(sa.String(7))
    amount_cents: Mapped[int]
    #: ISO 4217
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: draft | open | paid | void
    status: Mapped[str] = mapped_column(sa.String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: set when the account is erased: the customer's country, which tax law still needs
    billing_country: Mapped[str | None] = mapped_column(sa.String(2))


class Payment(ConsoleBase):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(sa.ForeignKey("invoices.id", ondelete="CASCADE"),
                                            index=True)
    #: None once the account is erased (kept, anonymised, for tax law)
    account_id: Mapped[str | None] = mapped_column(_kept_fk(), index=True)
    amount_cents: Mapped[int]
    #: "visa", "mastercard", "sepa_debit"...
    method_brand: Mapped[str] = mapped_column(sa.String(32))
    #: the last four digits only: the processor holds the card number, we never do; None
    #: once the account is erased
    last4: Mapped[str | None] = mapped_column(sa.String(4))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GpuInstance(ConsoleBase):
    __tablename__ = "gpu_instances"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(_account_fk(), index=True)
    gpu_type: Mapped[str] = mapped_column(sa.String(50))
    region: Mapped[str] = mapped_column(sa.String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: None while it runs
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hourly_cents: Mapped[int]


class GpuJob(ConsoleBase):
    __tablename__ = "gpu_jobs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(
        sa.ForeignKey("gpu_instances.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str] = mapped_column(_account_fk(), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    gpu_seconds: Mapped[int]
    exit_code: Mapped[int | None]
    #: the tail of stderr of a failed job
    error_log: Mapped[str | None] = mapped_column(sa.Text)


class FineTuneJob(ConsoleBase):
    __tablename__ = "fine_tune_jobs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(_account_fk(), index=True)
    base_model: Mapped[str] = mapped_column(sa.String(100))
    #: queued | running | succeeded | failed | cancelled
    status: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    adapter_name: Mapped[str | None] = mapped_column(sa.String(100))


class FineTuneDataset(ConsoleBase):
    __tablename__ = "fine_tune_datasets"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.ForeignKey("fine_tune_jobs.id", ondelete="CASCADE"),
                                        index=True)
    account_id: Mapped[str] = mapped_column(_account_fk(), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    bytes: Mapped[int]
    rows: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketplaceModel(ConsoleBase):
    __tablename__ = "marketplace_models"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: None once the publisher's account is erased: the listing stays (others downloaded the
    #: model), without its personal fields
    publisher_account_id: Mapped[str | None] = mapped_column(_kept_fk(), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    #: comma-separated
    tags: Mapped[str] = mapped_column(sa.String(500))
    category: Mapped[str] = mapped_column(sa.String(50))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: when the publisher's account was erased and the listing withdrawn
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SecurityEvent(ConsoleBase):
    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: no foreign key: the log is retained after the account is erased (security and abuse
    #: prevention, up to 13 months; the retention sweep removes it)
    account_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: login | login_failed | logout | api_key_created | api_key_revoked | password_reset...
    kind: Mapped[str] = mapped_column(sa.String(40))
    ip_address: Mapped[str] = mapped_column(sa.String(45))
    user_agent: Mapped[str] = mapped_column(sa.String(400))


class MarketingContact(ConsoleBase):
    """Someone on a marketing list: kept until they unsubscribe or two years without
    activity (section 5). Leads who never opened an account have no ``account_id``."""

    __tablename__ = "marketing_contacts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    account_id: Mapped[str | None] = mapped_column(_account_fk(), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    #: "newsletter", "product_updates", "events"
    list_name: Mapped[str] = mapped_column(sa.String(40))
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the last sign-up, open or click: the retention sweep counts inactivity from here
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ProcessorErasureRequest(ConsoleBase):
    """The demo's processors (a CRM, an e-mail service), simulated: each erasure request they
    receive, with the ticket reference they answer. One per processor and account. Kept after
    the account is erased (it stands for the processor's own records), so no foreign key."""

    __tablename__ = "processor_erasure_requests"
    __table_args__ = (sa.UniqueConstraint("recipient", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: "crm" | "email_service"
    recipient: Mapped[str] = mapped_column(sa.String(40))
    account_id: Mapped[str] = mapped_column(sa.String(64))
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SchemaVersion(ConsoleBase):
    """One row: the SCHEMA_VERSION the console's tables were created with."""

    __tablename__ = "demo_schema"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


def _stale(engine: sa.Engine) -> bool:
    """The console's tables exist but were made by an older version of this module."""
    tables = set(sa.inspect(engine).get_table_names())
    if "accounts" not in tables:
        return False
    if SchemaVersion.__tablename__ not in tables:
        return True
    with engine.connect() as connection:
        return connection.scalar(sa.select(SchemaVersion.version)) != SCHEMA_VERSION


def create_tables(engine: sa.Engine) -> None:
    """Create the console's tables; an older demo database's are dropped first (they hold
    sample data only)."""
    if _stale(engine):
        log.warning("the demo's tables are from an older version: dropped and created again "
                    "(`flask demo seed` fills them)")
        drop_tables(engine)
    ConsoleBase.metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            if connection.scalar(sa.select(sa.func.count()).select_from(SchemaVersion)) == 0:
                connection.execute(sa.insert(SchemaVersion).values(version=SCHEMA_VERSION))
    except sa.exc.IntegrityError:
        pass  # another process (the worker, the web server) wrote it first


def drop_tables(engine: sa.Engine) -> None:
    ConsoleBase.metadata.drop_all(engine)
