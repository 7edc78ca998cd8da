"""The demo console's side of a deletion, on SQLite and PostgreSQL: erasers that remove exactly
one account's rows in bounded, idempotent batches; billing anonymised, the security log
retained, marketplace listings withdrawn; the lock and restore of API keys; blockers; the
processors told of an erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from demo import models
from demo.deletion import LOCK_REASON
from demo.models import (
    Account,
    ApiKey,
    GpuInstance,
    InferenceLog,
    Invoice,
    MarketplaceModel,
    Membership,
    Payment,
    ProcessorErasureRequest,
    SecurityEvent,
)
from selfservice import Subject
from selfservice.deletion_hooks import DeletionHooks
from selfservice.sources import SourceRegistry

ALICE = "acct-alice"
#: the account column of each console table
OWNERS = {"accounts": "id", "marketplace_models": "publisher_account_id"}
CONSOLE_TABLES = [t for t in models.ConsoleBase.metadata.sorted_tables
                  if "account_id" in t.c or t.name in OWNERS]


@dataclass(frozen=True)
class SmallBatches(Subject):
    """A subject whose erasers take 7 records at a time."""

    batch_size: int = 7


def parts(app: Flask) -> tuple[sa.Engine, SourceRegistry, DeletionHooks]:
    extension = app.extensions["selfservice"].extension
    return app.extensions["demo"].engine, extension.sources, extension.deletion


def console_sources(registry: SourceRegistry) -> list[Any]:
    return [s for s in registry if not s.builtin]


def rows(engine: sa.Engine) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Every row of every console table with an account column, by primary key."""
    found: dict[str, dict[Any, tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in CONSOLE_TABLES:
            key = list(table.primary_key.columns)
            found[table.name] = {tuple(getattr(r, c.name) for c in key): tuple(r)
                                 for r in connection.execute(sa.select(table))}
    return found


def owned_by(table: str, row: tuple[Any, ...], account_id: str) -> bool:
    column = OWNERS.get(table, "account_id")
    names = [c.name for c in models.ConsoleBase.metadata.tables[table].c]
    return bool(row[names.index(column)] == account_id)


def erase_account(hooks: DeletionHooks, account_id: str) -> None:
    assert hooks.account_eraser is not None
    hooks.account_eraser(account_id)


def erase_all(registry: SourceRegistry, subject: Subject) -> dict[str, list[int]]:
    """Every console eraser in registry order, called until it returns 0 (as the plugin
    does); each call's count."""
    calls: dict[str, list[int]] = {}
    for source in console_sources(registry):
        eraser = registry.erasers.get(source.name)
        if eraser is None:
            continue
        calls[source.name] = [eraser(subject)]
        while calls[source.name][-1]:
            calls[source.name].append(eraser(subject))
    return calls


def test_every_console_source_declares_its_erasure(app: Flask) -> None:
    _, registry, hooks = parts(app)
    registry.check_erasers()
    actions = {s.name: registry.erasure_of(s) for s in console_sources(registry)}
    assert actions == {
        "account_profile": "erase", "organisation_memberships": "erase", "api_keys": "erase",
        "inference_logs": "erase", "invoices": "anonymise", "payments": "anonymise",
        "gpu_jobs": "erase", "gpu_instances": "erase", "fine_tune_datasets": "erase",
        "fine_tune_jobs": "erase", "marketplace_models": "erase",
        "security_events": "retain", "marketing_contacts": "erase"}
    security, invoices = registry["security_events"], registry["invoices"]
    assert security.retain_legal_basis == "legitimate_interests"
    assert security.retain_days == 396 and "13 months" in security.erasure_reason
    assert invoices.retain_legal_basis == "legal_obligation" and "7 years" in \
        invoices.erasure_reason
    assert "cannot be recalled" in registry["marketplace_models"].irreversible
    assert hooks.account_eraser is not None and hooks.lock and hooks.restore
    assert sorted(hooks.recipients) == ["crm", "email_service"]
    # a table is erased before the table its rows cascade from
    order = [s.name for s in console_sources(registry)]
    assert order.index("gpu_jobs") < order.index("gpu_instances")
    assert order.index("fine_tune_datasets") < order.index("fine_tune_jobs")


def test_erasers_remove_exactly_the_subjects_rows_in_batches(app: Flask) -> None:
    engine, registry, hooks = parts(app)
    subject = SmallBatches(ALICE)
    with app.app_context():
        expected = {s.name: s.count(subject) for s in console_sources(registry)
                    if s.count and s.name in registry.erasers}
    before = rows(engine)
    calls = erase_all(registry, subject)
    # the counts the certificate will show are the counts before, each record once
    assert {name: sum(counts) for name, counts in calls.items()} == expected
    assert expected["inference_logs"] == 300 and expected["api_keys"] == 3
    assert all(c <= 7 for counts in calls.values() for c in counts)
    assert calls["inference_logs"] == [7] * 42 + [6, 0]
    # idempotent: nothing left, nothing done twice
    assert erase_all(registry, subject) == {name: [0] for name in calls}
    with app.app_context():
        left = {s.name: s.count(subject) for s in console_sources(registry) if s.count}
    assert left == {name: 0 for name in left} | {
        "account_profile": 1, "security_events": left["security_events"]}
    assert left["security_events"] > 0
    after = rows(engine)
    for table, found in before.items():
        others = {k: r for k, r in found.items() if not owned_by(table, r, ALICE)}
        assert {k: after[table].get(k) for k in others} == others, table
        assert not [r for r in after[table].values()
                    if owned_by(table, r, ALICE) and table not in (
                        "accounts", "security_events")], table
    erase_account(hooks, ALICE)
    final = rows(engine)
    assert not [r for r in final["accounts"].values() if r[0] == ALICE]
    assert not [r for r in final["memberships"].values() if owned_by("memberships", r, ALICE)]
    # nobody else lost anything to the account's own deletion either
    for table, found in before.items():
        others = {k: r for k, r in found.items() if not owned_by(table, r, ALICE)}
        assert {k: final[table].get(k) for k in others} == others, table


def test_the_profile_keeps_only_what_the_last_step_needs(app: Flask) -> None:
    engine, registry, _ = parts(app)
    assert registry.erasers["account_profile"](Subject(ALICE)) == 1
    assert registry.erasers["account_profile"](Subject(ALICE)) == 0
    with engine.connect() as connection:
        profile = connection.execute(sa.select(Account).where(Account.id == ALICE)).one()
    assert (profile.name, profile.company) == ("", None)
    assert profile.email == "alice@example.com"  # the completion e-mail goes there


def test_billing_is_anonymised_with_amounts_kept(app: Flask) -> None:
    engine, registry, hooks = parts(app)
    with engine.connect() as connection:
        country, email, name = connection.execute(
            sa.select(Account.billing_country, Account.email, Account.name)
            .where(Account.id == ALICE)).one()
        invoices = {r.id: r for r in connection.execute(
            sa.select(Invoice).where(Invoice.account_id == ALICE))}
        payments = {r.id: r for r in connection.execute(
            sa.select(Payment).where(Payment.account_id == ALICE))}
    assert invoices and payments and {p.last4 for p in payments.values()} != {None}
    erase_all(registry, SmallBatches(ALICE, batch_size=2))
    erase_account(hooks, ALICE)
    with engine.connect() as connection:
        kept_invoices = {r.id: r for r in connection.execute(
            sa.select(Invoice).where(Invoice.id.in_(invoices)))}
        kept_payments = {r.id: r for r in connection.execute(
            sa.select(Payment).where(Payment.id.in_(payments)))}
    assert kept_invoices.keys() == invoices.keys() and kept_payments.keys() == payments.keys()
    for key, row in kept_invoices.items():
        old = invoices[key]
        assert (row.period, row.amount_cents, row.currency, row.status, row.issued_at) == (
            old.period, old.amount_cents, old.currency, old.status, old.issued_at)
        assert row.account_id is None and row.billing_country == country
    for key, row in kept_payments.items():
        old = payments[key]
        assert (row.invoice_id, row.amount_cents, row.method_brand, row.paid_at) == (
            old.invoice_id, old.amount_cents, old.method_brand, old.paid_at)
        assert row.account_id is None and row.last4 is None
    values = {str(v) for r in [*kept_invoices.values(), *kept_payments.values()] for v in r}
    assert not values & {ALICE, email, name, *(p.last4 for p in payments.values())}


def test_the_security_log_outlives_the_account(app: Flask) -> None:
    engine, registry, hooks = parts(app)
    with engine.connect() as connection:
        events = connection.execute(sa.select(SecurityEvent).where(
            SecurityEvent.account_id == ALICE).order_by(SecurityEvent.id)).all()
    assert events and "security_events" not in registry.erasers
    erase_all(registry, Subject(ALICE))
    erase_account(hooks, ALICE)
    with engine.connect() as connection:
        kept = connection.execute(sa.select(SecurityEvent).where(
            SecurityEvent.account_id == ALICE).order_by(SecurityEvent.id)).all()
        account = connection.scalar(sa.select(Account.id).where(Account.id == ALICE))
    assert kept == events and account is None


def test_the_account_eraser_alone_keeps_billing_and_listings(app: Flask) -> None:
    """Even without the erasers, deleting the account row never deletes what is kept."""
    engine, _, hooks = parts(app)
    with engine.connect() as connection:
        invoices = connection.scalar(sa.select(sa.func.count()).select_from(Invoice)
                                     .where(Invoice.account_id == ALICE))
        listings = connection.scalar(sa.select(sa.func.count()).select_from(MarketplaceModel)
                                     .where(MarketplaceModel.publisher_account_id == ALICE))
    erase_account(hooks, ALICE)
    erase_account(hooks, ALICE)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(Invoice)
                                 .where(Invoice.account_id.is_(None))) == invoices
        assert connection.scalar(sa.select(sa.func.count()).select_from(MarketplaceModel)
                                 .where(MarketplaceModel.publisher_account_id.is_(None))
                                 ) == listings
        assert connection.scalar(sa.select(sa.func.count()).select_from(ApiKey)
                                 .where(ApiKey.account_id == ALICE)) == 0


def test_marketplace_listings_lose_their_personal_fields(app: Flask) -> None:
    engine, registry, _ = parts(app)
    with engine.connect() as connection:
        mine = connection.execute(sa.select(MarketplaceModel).where(
            MarketplaceModel.publisher_account_id == ALICE)).all()
    assert len(mine) == 2
    assert registry.erasers["marketplace_models"](SmallBatches(ALICE, batch_size=1)) == 1
    erase_all(registry, Subject(ALICE))
    with engine.connect() as connection:
        kept = connection.execute(sa.select(MarketplaceModel).where(
            MarketplaceModel.id.in_([m.id for m in mine]))).all()
    assert len(kept) == 2
    for row in kept:
        assert row.publisher_account_id is None and row.withdrawn_at is not None
        assert (row.name, row.description, row.tags) == ("Withdrawn model", "", "")
        assert row.category in {m.category for m in mine}


def keys(engine: sa.Engine) -> dict[str, tuple[str, Any, Any]]:
    with engine.connect() as connection:
        return {r.id: (r.account_id, r.disabled_at, r.disabled_reason) for r in
                connection.execute(sa.select(ApiKey.id, ApiKey.account_id, ApiKey.disabled_at,
                                             ApiKey.disabled_reason))}


def test_lock_disables_keys_and_restore_brings_back_only_those(app: Flask) -> None:
    engine, _, hooks = parts(app)
    compromised_at = datetime(2025, 1, 2, tzinfo=UTC)
    with engine.begin() as connection:
        stolen = connection.scalar(sa.select(ApiKey.id).where(ApiKey.account_id == "acct-bob")
                                   .order_by(ApiKey.id).limit(1))
        connection.execute(sa.update(ApiKey).where(ApiKey.id == stolen).values(
            disabled_at=compromised_at, disabled_reason="compromised"))
    before = keys(engine)
    assert hooks.lock and hooks.restore
    hooks.lock("acct-bob")
    hooks.lock("acct-bob")
    locked = keys(engine)
    bobs = [k for k, v in before.items() if v[0] == "acct-bob"]
    assert len(bobs) == 2
    assert locked[stolen] == before[stolen]
    assert all(locked[k][2] == LOCK_REASON and locked[k][1] for k in bobs if k != stolen)
    assert {k: v for k, v in locked.items() if k not in bobs} == \
        {k: v for k, v in before.items() if k not in bobs}
    hooks.restore("acct-bob")
    assert keys(engine) == before


def running_instance_and_open_invoice(engine: sa.Engine, account_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.insert(GpuInstance).values(
            id=f"gpu_{account_id}", account_id=account_id, gpu_type="H100",
            region="us-east-1", created_at=datetime.now(UTC), terminated_at=None,
            hourly_cents=250))
        connection.execute(sa.insert(Invoice).values(
            id=f"inv_{account_id}", account_id=account_id, period="2025-01",
            amount_cents=100, currency="USD", status="open", issued_at=datetime.now(UTC)))


def test_blockers_follow_the_console_data(app: Flask) -> None:
    engine, _, hooks = parts(app)

    def codes(account_id: str) -> set[str]:
        return {b.code for b in hooks.blockers(account_id)}

    # the seed: alice has paid every invoice and terminated every instance; bob owns Acme
    # AI, which has members (his last invoice is open for the first ten days of a month)
    assert codes(ALICE) == set() and codes("acct-carol") == set()
    bob = {b.code: b for b in hooks.blockers("acct-bob")}
    owner = bob["org_owner_with_members"]
    assert "“Acme AI”" in owner.message and owner.action_url == "/console/team"
    assert owner.action_label and "owner" in owner.message
    assert set(bob) <= {"org_owner_with_members", "unpaid_invoices"}
    running_instance_and_open_invoice(engine, ALICE)
    running_instance_and_open_invoice(engine, "acct-bob")
    assert codes(ALICE) == {"running_gpu_instances", "unpaid_invoices"}
    bob = {b.code: b for b in hooks.blockers("acct-bob")}
    assert set(bob) == {"org_owner_with_members", "running_gpu_instances", "unpaid_invoices"}
    assert all(b.message and b.action_url and b.action_label for b in bob.values())
    assert "1 GPU instance still running" in bob["running_gpu_instances"].message
    with engine.begin() as connection:  # alice terminates and pays; everyone leaves Acme
        connection.execute(sa.update(GpuInstance).where(GpuInstance.account_id == ALICE)
                           .values(terminated_at=datetime.now(UTC)))
        connection.execute(sa.update(Invoice).where(Invoice.account_id == ALICE)
                           .values(status="paid"))
        connection.execute(sa.delete(Membership).where(Membership.org_id == "org-acme",
                                                       Membership.account_id != "acct-bob"))
    assert codes(ALICE) == set()
    assert "org_owner_with_members" not in codes("acct-bob")


def test_each_processor_records_one_request_per_account(app: Flask) -> None:
    engine, _, hooks = parts(app)
    first = {name: r.notify(ALICE) for name, r in hooks.recipients.items()}
    again = {name: r.notify(ALICE) for name, r in hooks.recipients.items()}
    bob = {name: r.notify("acct-bob") for name, r in hooks.recipients.items()}
    assert first == again and first["crm"] != first["email_service"]
    assert str(first["crm"]).startswith("CRM-") and str(first["email_service"]).startswith("ESP-")
    assert not set(first.values()) & set(bob.values())
    erase_account(hooks, ALICE)
    with engine.connect() as connection:
        recorded = connection.execute(
            sa.select(ProcessorErasureRequest.recipient, ProcessorErasureRequest.reference)
            .where(ProcessorErasureRequest.account_id == ALICE)).all()
    assert dict(recorded) == first


def test_an_older_demo_database_is_created_again(tmp_path: Path) -> None:
    from selfservice.db import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with engine.begin() as connection:  # the console's tables before deletion came
        connection.exec_driver_sql("CREATE TABLE accounts (id VARCHAR(64) PRIMARY KEY)")
        connection.exec_driver_sql("CREATE TABLE api_keys (id VARCHAR(32) PRIMARY KEY, "
                                   "account_id VARCHAR(64) REFERENCES accounts (id))")
        connection.exec_driver_sql("INSERT INTO accounts VALUES ('acct-alice')")
    models.create_tables(engine)
    models.create_tables(engine)  # and then left alone
    inspector = sa.inspect(engine)
    assert "disabled_at" in {c["name"] for c in inspector.get_columns("api_keys")}
    with engine.connect() as connection:
        assert connection.scalar(sa.select(models.SchemaVersion.version)) == \
            models.SCHEMA_VERSION
        assert connection.scalar(sa.select(sa.func.count()).select_from(Account)) == 0
    engine.dispose()


@pytest.mark.backends("sqlite")
def test_a_current_database_keeps_its_data(app: Flask) -> None:
    engine, _, _ = parts(app)
    models.create_tables(engine)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(Account.id).where(Account.id == ALICE)) == ALICE


def test_a_row_behind_where_the_eraser_left_off_is_still_erased(app: Flask) -> None:
    """The eraser resumes after its last batch; a row that appears before that point (an old
    log arriving late) is found by the pass from the start that ends every erasure."""
    engine, registry, _ = parts(app)
    eraser, subject = registry.erasers["inference_logs"], SmallBatches(ALICE)
    assert eraser(subject) == 7 and eraser(subject) == 7
    with engine.begin() as connection:
        connection.execute(sa.insert(InferenceLog).values(
            account_id=ALICE, created_at=datetime(2001, 1, 1, tzinfo=UTC), model="m",
            endpoint="/v1/chat", prompt_tokens=1, completion_tokens=1, latency_ms=1,
            status_code=200))
    total = 14
    while done := eraser(subject):
        total += done
    assert total == 301
    with app.app_context():
        assert registry["inference_logs"].count is not None
        assert registry["inference_logs"].count(subject) == 0
