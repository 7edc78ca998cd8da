"""The console's retention rules (section 5 of the privacy policy), as sweepers the plugin runs
once a day. Each call removes at most one batch, chosen by a sub-select on the rule's time
column (indexed), so every statement is short:

    DELETE FROM t WHERE id IN (SELECT id FROM t WHERE <time> < :cutoff
                               AND account_id NOT IN (:held) LIMIT :batch)

which SQLite and PostgreSQL both run. Accounts under a legal hold are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from selfservice import SelfService

from .marketing import MARKETING_INACTIVE_DAYS
from .models import InferenceLog, Invoice, MarketingContact, Payment, SecurityEvent
from .sources import BILLING_RETENTION_DAYS, SECURITY_RETENTION_DAYS

Conditions = Callable[[datetime, Collection[str]], list[ColumnElement[bool]]]

BODIES_DAYS = 30
METADATA_DAYS = 90


def _table(model: type[Any]) -> sa.Table:
    return cast(sa.Table, model.__table__)


def _not_held(owner: sa.Column[Any], held: Collection[str]) -> ColumnElement[bool]:
    if not held:
        return sa.true()
    spared = owner.not_in(sorted(held))
    # a lead without an account is no one's held data
    return sa.or_(owner.is_(None), spared) if owner.nullable else spared


def _due(table: sa.Table, time: str, owner: str,
         extra: Sequence[ColumnElement[bool]] = ()) -> Conditions:
    def conditions(cutoff: datetime, held: Collection[str]) -> list[ColumnElement[bool]]:
        return [table.c[time] < cutoff, _not_held(table.c[owner], held), *extra]

    return conditions


def _counter(engine: sa.Engine, table: sa.Table, due: Conditions
             ) -> Callable[[datetime, Collection[str]], int]:
    def count(cutoff: datetime, held: Collection[str]) -> int:
        with engine.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(table)
                                         .where(*due(cutoff, held))) or 0)

    return count


def _batch(table: sa.Table, due: Conditions, cutoff: datetime, held: Collection[str],
           batch: int) -> Any:
    return (sa.select(table.c.id).where(*due(cutoff, held)).limit(batch)).scalar_subquery()


def _deleter(engine: sa.Engine, table: sa.Table, due: Conditions
             ) -> Callable[[datetime, Collection[str], int], int]:
    def sweep(cutoff: datetime, held: Collection[str], batch: int) -> int:
        with engine.begin() as connection:
            return connection.execute(sa.delete(table).where(
                table.c.id.in_(_batch(table, due, cutoff, held, batch)))).rowcount

    return sweep


def _range_deleter(engine: sa.Engine, table: sa.Table, time: str, due: Conditions
                   ) -> Callable[[datetime, Collection[str], int], int]:
    """A deleter for a big table: each batch is one range of the time index, starting where
    the last batch ended. PostgreSQL keeps the index entries of deleted rows until VACUUM, so
    a batch picked from the start of the index would walk past every row already swept; the
    remembered start is only a shortcut, and when nothing is left after it one pass from the
    beginning makes sure nothing was missed."""
    column = table.c[time]
    after: dict[datetime, datetime] = {}

    def sweep_from(cutoff: datetime, held: Collection[str], batch: int,
                   start: datetime | None) -> int:
        mine = due(cutoff, held) + ([column >= start] if start is not None else [])
        with engine.begin() as connection:
            last = connection.scalar(sa.select(column).where(*mine).order_by(column)
                                     .offset(batch - 1).limit(1))
            if last is not None:  # else fewer than a batch are left: all of them
                mine.append(column <= last)
            done = int(connection.execute(sa.delete(table).where(*mine)).rowcount)
        if last is not None:
            after[cutoff] = last
        return done

    def sweep(cutoff: datetime, held: Collection[str], batch: int) -> int:
        done = sweep_from(cutoff, held, batch, after.pop(cutoff, None))
        if done == 0:
            done = sweep_from(cutoff, held, batch, None)
        return done

    return sweep


def _body_clearer(engine: sa.Engine, due: Conditions
                  ) -> Callable[[datetime, Collection[str], int], int]:
    table = _table(InferenceLog)

    def sweep(cutoff: datetime, held: Collection[str], batch: int) -> int:
        with engine.begin() as connection:
            return connection.execute(
                sa.update(table).where(table.c.id.in_(_batch(table, due, cutoff, held, batch)))
                .values(request_body=None, response_body=None)).rowcount

    return sweep


def _register(ss: SelfService, engine: sa.Engine, source: str, rule: str, days: int,
              description: str, table: sa.Table, due: Conditions,
              sweep: Callable[[datetime, Collection[str], int], int] | None = None) -> None:
    ss.sweeper(source, rule, days=days, description=description,
               count=_counter(engine, table, due))(sweep or _deleter(engine, table, due))


def register_sweepers(ss: SelfService, engine: sa.Engine) -> None:
    """Every rule of section 5 that has a table here. Bodies are cleared before the metadata
    goes, so each rule's count in the plan is what its sweep then removes."""
    logs = _table(InferenceLog)
    with_body = sa.or_(logs.c.request_body.is_not(None), logs.c.response_body.is_not(None))
    bodies = _due(logs, "created_at", "account_id", [with_body])
    _register(ss, engine, "inference_logs", "bodies", BODIES_DAYS,
              "Request and response bodies of inference calls are removed after 30 days "
              "(the metadata stays)", logs, bodies, _body_clearer(engine, bodies))
    metadata = _due(logs, "created_at", "account_id")
    _register(ss, engine, "inference_logs", "metadata", METADATA_DAYS,
              "Inference call records are deleted after 90 days", logs, metadata,
              # SQLite frees a deleted row's index entry at once: the plain batch is faster
              _range_deleter(engine, logs, "created_at", metadata)
              if engine.dialect.name == "postgresql" else None)
    events = _table(SecurityEvent)
    _register(ss, engine, "security_events", "log", SECURITY_RETENTION_DAYS,
              "Security and abuse-prevention events are deleted after 13 months", events,
              _due(events, "at", "account_id"))
    payments = _table(Payment)
    _register(ss, engine, "payments", "records", BILLING_RETENTION_DAYS,
              "Payments are deleted 7 years after they were made", payments,
              _due(payments, "paid_at", "account_id"))
    invoices = _table(Invoice)
    # an invoice goes only once its payments have: none leaves before its own 7 years
    unpaid = ~sa.exists().where(payments.c.invoice_id == invoices.c.id)
    _register(ss, engine, "invoices", "records", BILLING_RETENTION_DAYS,
              "Invoices are deleted 7 years after they were issued, once their payments "
              "have been", invoices, _due(invoices, "issued_at", "account_id", [unpaid]))
    contacts = _table(MarketingContact)
    _register(ss, engine, "marketing_contacts", "inactive", MARKETING_INACTIVE_DAYS,
              "Marketing contacts are deleted after two years without activity", contacts,
              _due(contacts, "last_activity_at", "account_id"))
