"""What deleting an account does to the console's data, source by source (section 5 of the
privacy policy), and the erasers that do it.

- Billing (invoices, payments) is **anonymised**, not deleted: tax law keeps it for 7 years.
  The rows lose their link to the account and the card's last four digits; amounts, currency,
  dates and the billing country (which tax law needs) stay.
- The security log is **retained** (legitimate interests: security and abuse prevention) for
  up to 13 months; its retention sweep removes it. Its rows have no foreign key to the account,
  so they outlive it.
- Marketplace listings lose their personal fields and their publisher; copies others already
  downloaded cannot be recalled (section 2), and the plan says so.
- Everything else is deleted. The profile's name and company go with the other sources; the
  account row itself, with its e-mail address, goes last (``erase_account``).

Every eraser is ``fn(subject) -> int``: one bounded batch in its own transaction (the subject's
``batch_size`` when it has one, else :data:`BATCH`), returning how many records it erased or
anonymised, 0 once nothing is left. Deleters take a range of the account's index (for the
inference logs, ``(account_id, created_at, id)``): ``DELETE FROM t WHERE account_id = :a AND
(created_at, id) > :start AND (created_at, id) <= :last``, where ``:last`` is the batch's last
key; anonymisers update ``WHERE id IN (SELECT id FROM t WHERE account_id = :a LIMIT :n)``. So
no statement holds its locks for long, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from selfservice import DataSource, SelfService, Subject

from .models import (
    Account,
    ApiKey,
    ConsoleBase,
    FineTuneDataset,
    FineTuneJob,
    GpuInstance,
    GpuJob,
    InferenceLog,
    Invoice,
    MarketplaceModel,
    Membership,
    Organisation,
    Payment,
)

#: records per batch when the subject does not say (SELFSERVICE_ERASURE_BATCH's default)
BATCH = 5000

Eraser = Callable[[Subject], int]

#: how deletion treats each source; a source not named here is erased (deleted)
ERASURE: dict[str, dict[str, Any]] = {
    "invoices": {
        "erasure": "anonymise",
        "erasure_reason": "Tax and accounting law requires us to keep invoices for up to 7 "
                          "years. We keep the amounts, currency, dates and billing country, "
                          "and remove everything that links them to you.",
        "retain_legal_basis": "legal_obligation",
    },
    "payments": {
        "erasure": "anonymise",
        "erasure_reason": "Tax and accounting law requires us to keep payment records for up "
                          "to 7 years. We keep the amounts, payment method and dates, and "
                          "remove the card's last four digits and the link to you.",
        "retain_legal_basis": "legal_obligation",
    },
    "security_events": {
        "erasure": "retain",
        "erasure_reason": "We keep the security log of your account (sign-ins, key changes, "
                          "IP addresses) for up to 13 months to protect the Services and to "
                          "investigate fraud and abuse. Then it is deleted.",
        "retain_legal_basis": "legitimate_interests",
    },
    "marketplace_models": {
        "erasure": "erase",
        "erasure_reason": "Your listings are withdrawn: their name, description, tags and "
                          "the link to you are erased.",
        "irreversible": "Models you published on the marketplace and that others already "
                        "downloaded, cached or indexed cannot be recalled.",
    },
}


def declare_erasure(source: DataSource) -> DataSource:
    """The console source with its erasure declared (ERASURE). Kept records stay as long as
    the source's own retention: at most ``retention_days`` after the erasure."""
    policy = ERASURE.get(source.name, {"erasure": "erase"})
    if policy["erasure"] in ("anonymise", "retain"):
        policy = {**policy, "retain_days": source.retention_days}
    return replace(source, **policy)


def batch_size(subject: Subject) -> int:
    return int(getattr(subject, "batch_size", BATCH))


Column = sa.orm.QueryableAttribute[Any] | sa.ColumnElement[Any]


def _key(model: type[ConsoleBase]) -> sa.ColumnElement[Any]:
    return sa.inspect(model).primary_key[0]


def _batch(model: type[ConsoleBase], owner: Column, subject: Subject,
           order: Sequence[Column]) -> sa.Select[Any]:
    """The primary keys of the subject's next batch, read through the owner's index."""
    return (sa.select(_key(model)).where(owner == subject.account_id)
            .order_by(*(order or [_key(model)])).limit(batch_size(subject)))


def deleter(engine: sa.Engine, model: type[ConsoleBase], owner: Column,
            order: Sequence[Column] = ()) -> Eraser:
    """An eraser deleting the subject's rows of ``model`` (``owner == account id``), a batch
    at a time, in ``order`` (default: primary key; an index on ``owner, *order`` serves it).

    A batch is a range of that index: the batch's last key is read first, then one DELETE
    takes the range up to it (a single index range scan, no join back through the primary
    key). The eraser remembers, in this process, where its last batch ended and starts the
    next one there: PostgreSQL keeps the index entries of deleted rows until VACUUM, and a
    batch starting from the beginning would walk past all of them each time. The note is
    only a shortcut: when nothing is left after it, one pass from the beginning makes sure
    nothing was missed.
    """
    order = list(order or [_key(model)])
    position = sa.tuple_(*order)
    after: dict[str, tuple[Any, ...]] = {}

    def erase(subject: Subject, start: tuple[Any, ...] | None = None) -> int:
        mine = [owner == subject.account_id]
        if start is not None:
            mine.append(position > sa.tuple_(*start))
        with engine.begin() as connection:
            last = connection.execute(sa.select(*order).where(*mine).order_by(*order)
                                      .offset(batch_size(subject) - 1).limit(1)).first()
            if last is not None:  # else fewer than a batch are left: all of them
                mine.append(position <= sa.tuple_(*last))
            done = int(connection.execute(sa.delete(model).where(*mine)).rowcount)
        if last is not None:
            after[subject.account_id] = tuple(last)
        if done == 0 and start is not None:
            return erase(subject)
        return done

    def eraser(subject: Subject) -> int:
        return erase(subject, after.pop(subject.account_id, None))

    return eraser


def anonymiser(engine: sa.Engine, model: type[ConsoleBase], owner: Column,
               values: Callable[[Subject], dict[str, Any]]) -> Eraser:
    """An eraser that keeps the subject's rows but rewrites them with ``values(subject)``,
    which must clear ``owner`` (so each row is done once)."""

    def anonymise(subject: Subject) -> int:
        ids = _batch(model, owner, subject, ())
        with engine.begin() as connection:
            return connection.execute(
                sa.update(model).where(_key(model).in_(ids)).values(values(subject))).rowcount

    return anonymise


def _invoice_values(subject: Subject) -> dict[str, Any]:
    country = (sa.select(Account.billing_country).where(Account.id == subject.account_id)
               .scalar_subquery())
    return {"account_id": None,
            "billing_country": sa.func.coalesce(Invoice.billing_country, country)}


def _payment_values(subject: Subject) -> dict[str, Any]:
    return {"account_id": None, "last4": None}


def _listing_values(subject: Subject) -> dict[str, Any]:
    return {"publisher_account_id": None, "name": "Withdrawn model", "description": "",
            "tags": "", "withdrawn_at": datetime.now(UTC)}


def profile_eraser(engine: sa.Engine) -> Eraser:
    """Erases the profile's name and company. The row, with the e-mail address the completion
    message goes to, is deleted last by :func:`account_eraser`."""

    def erase(subject: Subject) -> int:
        with engine.begin() as connection:
            return connection.execute(
                sa.update(Account)
                .where(Account.id == subject.account_id,
                       sa.or_(Account.name != "", Account.company.is_not(None)))
                .values(name="", company=None)).rowcount

    return erase


def _drop_empty_organisations(connection: sa.Connection, org_ids: Sequence[str]) -> None:
    """An organisation nobody belongs to any more goes with its last member."""
    if org_ids:
        connection.execute(sa.delete(Organisation).where(
            Organisation.id.in_(org_ids),
            ~sa.exists().where(Membership.org_id == Organisation.id)))


def membership_eraser(engine: sa.Engine) -> Eraser:
    def erase(subject: Subject) -> int:
        with engine.begin() as connection:
            orgs = list(connection.scalars(
                sa.select(Membership.org_id).where(Membership.account_id == subject.account_id)
                .order_by(Membership.org_id).limit(batch_size(subject))))
            if not orgs:
                return 0
            done = connection.execute(sa.delete(Membership).where(
                Membership.account_id == subject.account_id,
                Membership.org_id.in_(orgs))).rowcount
            _drop_empty_organisations(connection, orgs)
            return int(done)

    return erase


def account_eraser(engine: sa.Engine) -> Callable[[str], None]:
    """Deletes the account itself, last: its remaining memberships, then the row (whose
    foreign keys cascade to anything an eraser left, and cut the kept billing records and
    listings loose)."""

    def erase_account(account_id: str) -> None:
        with engine.begin() as connection:
            orgs = list(connection.scalars(
                sa.select(Membership.org_id).where(Membership.account_id == account_id)))
            connection.execute(sa.delete(Membership).where(Membership.account_id == account_id))
            _drop_empty_organisations(connection, orgs)
            connection.execute(sa.delete(Account).where(Account.id == account_id))

    return erase_account


def console_erasers(engine: sa.Engine) -> dict[str, Eraser]:
    """Source name -> its eraser, for every console source but the retained security log."""
    return {
        "account_profile": profile_eraser(engine),
        "organisation_memberships": membership_eraser(engine),
        "api_keys": deleter(engine, ApiKey, ApiKey.account_id),
        # oldest first, through the (account_id, created_at, id) index
        "inference_logs": deleter(engine, InferenceLog, InferenceLog.account_id,
                                  [InferenceLog.created_at, InferenceLog.id]),
        "invoices": anonymiser(engine, Invoice, Invoice.account_id, _invoice_values),
        "payments": anonymiser(engine, Payment, Payment.account_id, _payment_values),
        "gpu_jobs": deleter(engine, GpuJob, GpuJob.account_id),
        "gpu_instances": deleter(engine, GpuInstance, GpuInstance.account_id),
        "fine_tune_datasets": deleter(engine, FineTuneDataset, FineTuneDataset.account_id),
        "fine_tune_jobs": deleter(engine, FineTuneJob, FineTuneJob.account_id),
        "marketplace_models": anonymiser(engine, MarketplaceModel,
                                         MarketplaceModel.publisher_account_id, _listing_values),
    }


def register_erasers(selfservice: SelfService, engine: sa.Engine) -> None:
    """The erasers of the console's sources and the account eraser."""
    for name, eraser in console_erasers(engine).items():
        selfservice.eraser(name)(eraser)
    selfservice.account_eraser(account_eraser(engine))
