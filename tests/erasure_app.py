"""The demo console as a host with a canary source of its own, for the erasure tests: in the
test process (``install(app)`` on the ``app`` fixture) and in the tests' worker processes
(``FLASK_APP=tests.erasure_app``).

- ``canary_notes``: the host's own table, erased in batches; ``canary_ledger``: a table the
  host keeps (erasure "retain"). Both hold the CANARY string.
- Simple erasers for the demo's sources (a row-by-row delete per table; the account profile is
  anonymised, the account row itself goes last through the account eraser), unless the demo
  registers its own.
- A recipient (a CRM) that notes each notification in ``canary_crm_log``.
- ``TEST_ERASER_DELAY``: seconds each canary batch takes (a worker can be killed mid-erasure);
  ``TEST_ERASER_FAIL``: a file whose presence makes the canary eraser raise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Flask

from demo.app import create_app as create_demo_app
from selfservice import SelfService
from selfservice.sources import DataSource, Subject

CANARY = "CANARY-b7e1d2-do-not-keep"
metadata = sa.MetaData()
notes = sa.Table("canary_notes", metadata,
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("account_id", sa.String(64), index=True, nullable=False),
                 sa.Column("body", sa.Text, nullable=False))
kept = sa.Table("canary_ledger", metadata,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("account_id", sa.String(64), index=True, nullable=False),
                sa.Column("body", sa.Text, nullable=False))
crm_log = sa.Table("canary_crm_log", metadata,
                   sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                   sa.Column("account_id", sa.String(64), nullable=False))

#: demo source -> (table, owner column, primary key): each row goes on its own
DEMO_TABLES = {
    "organisation_memberships": ("memberships", "account_id", "org_id"),
    "api_keys": ("api_keys", "account_id", "id"),
    "inference_logs": ("inference_logs", "account_id", "id"),
    "invoices": ("invoices", "account_id", "id"),
    "payments": ("payments", "account_id", "id"),
    "gpu_instances": ("gpu_instances", "account_id", "id"),
    "gpu_jobs": ("gpu_jobs", "account_id", "id"),
    "fine_tune_jobs": ("fine_tune_jobs", "account_id", "id"),
    "fine_tune_datasets": ("fine_tune_datasets", "account_id", "id"),
    "marketplace_models": ("marketplace_models", "publisher_account_id", "id"),
    "security_events": ("security_events", "account_id", "id"),
}
_TEXT = {"type": "string"}


def _schema(title: str) -> dict[str, Any]:
    return {"type": "object", "title": title, "properties": {"id": {"type": "integer"},
                                                            "body": _TEXT}}


def _exporter(engine: sa.Engine, table: sa.Table) -> Any:
    def export(subject: Subject) -> Iterator[dict[str, Any]]:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(table.c.id, table.c.body)
                                      .where(table.c.account_id == subject.account_id)
                                      .order_by(table.c.id))
            for row in rows:
                yield {"id": row.id, "body": row.body}
    return export


def _counter(engine: sa.Engine, table: sa.Table) -> Any:
    def count(subject: Subject) -> int:
        with engine.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(table).where(
                table.c.account_id == subject.account_id)) or 0)
    return count


def _batch_delete(engine: sa.Engine, table: str, owner: str, key: str) -> Any:
    """A bounded, idempotent eraser: deletes at most one batch of the subject's rows."""
    statement = sa.text(f"DELETE FROM {table} WHERE {owner} = :account AND {key} IN "  # noqa: S608
                        f"(SELECT {key} FROM {table} WHERE {owner} = :account LIMIT :batch)")

    def erase(subject: Subject) -> int:
        with engine.begin() as connection:
            return int(connection.execute(statement, {"account": subject.account_id,
                                                      "batch": subject.batch_size}).rowcount)
    return erase


def _canary_eraser(engine: sa.Engine) -> Any:
    plain = _batch_delete(engine, "canary_notes", "account_id", "id")

    def erase(subject: Subject) -> int:
        failing = os.environ.get("TEST_ERASER_FAIL")
        if failing and os.path.exists(failing):
            raise RuntimeError("the notes store is read-only today")
        time.sleep(float(os.environ.get("TEST_ERASER_DELAY", "0")))
        return int(plain(subject))
    return erase


def _profile_eraser(engine: sa.Engine) -> Any:
    def erase(subject: Subject) -> int:
        with engine.begin() as connection:
            return int(connection.execute(sa.text(
                "UPDATE accounts SET name = 'Erased account', company = NULL "
                "WHERE id = :account AND name <> 'Erased account'"),
                {"account": subject.account_id}).rowcount)
    return erase


def install(app: Flask) -> None:
    """Make ``app`` (the demo console) the canary host."""
    engine: sa.Engine = app.extensions["demo"].engine
    ss: SelfService = app.extensions["demo"].selfservice
    metadata.create_all(engine)
    if "canary_notes" in ss.sources:
        return
    ss.register_source(DataSource(
        name="canary_notes", description="Your notes", purpose="Showing you your notes",
        legal_basis="contract", retention="As long as the account exists",
        schema=_schema("Note"), export=_exporter(engine, notes),
        count=_counter(engine, notes), category="account"))
    ss.register_source(DataSource(
        name="canary_ledger", description="Your tax ledger entries",
        purpose="Bookkeeping", legal_basis="legal_obligation", retention="10 years",
        schema=_schema("Ledger entry"), export=_exporter(engine, kept),
        count=_counter(engine, kept), category="billing", erasure="retain",
        erasure_reason="Tax law requires us to keep bookkeeping records for 10 years",
        retain_days=3650))
    ss.sources.register_eraser("canary_notes", _canary_eraser(engine))
    for name, (table, owner, key) in DEMO_TABLES.items():
        if name not in ss.sources.erasers:
            ss.sources.register_eraser(name, _batch_delete(engine, table, owner, key))
    if "account_profile" not in ss.sources.erasers:
        ss.sources.register_eraser("account_profile", _profile_eraser(engine))
    if ss.deletion.account_eraser is None:
        @ss.account_eraser
        def erase_account(account_id: str) -> None:
            with engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM accounts WHERE id = :a"),
                                   {"a": account_id})

    @ss.erasure_recipient("canary_crm", "Our CRM, where sales notes are kept")
    def tell_crm(account_id: str) -> str:
        with engine.begin() as connection:
            row = connection.execute(crm_log.insert().values(account_id=account_id))
            return f"CRM-{row.inserted_primary_key[0]}"


def plant(app: Flask, account_id: str, notes_count: int = 40, ledger_count: int = 3) -> None:
    """Give the account canary notes and canary ledger entries."""
    engine: sa.Engine = app.extensions["demo"].engine
    with engine.begin() as connection:
        connection.execute(notes.insert(), [
            {"account_id": account_id, "body": f"note {n}: {CANARY}"}
            for n in range(notes_count)])
        connection.execute(kept.insert(), [
            {"account_id": account_id, "body": f"invoice line {n}: {CANARY}"}
            for n in range(ledger_count)])


def create_app() -> Flask:
    app = create_demo_app()
    install(app)
    return app
