"""The console's side of an account deletion besides the erasers (erasure.py): what locks the
account during the grace period and restores it on cancel, what must be done before an account
can be deleted (blockers), and the processors told of an erasure (recipients).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import sqlalchemy as sa

from selfservice import Blocker, SelfService

from .models import (
    ApiKey,
    GpuInstance,
    Invoice,
    Membership,
    Organisation,
    ProcessorErasureRequest,
)

#: ApiKey.disabled_reason of the keys the deletion lock disabled (and only those come back)
LOCK_REASON = "deletion"

#: where the customer deals with each blocker (the console's pages)
TEAM_URL = "/console/team"
DASHBOARD_URL = "/console"

#: the demo's processors: name -> (description, prefix of their ticket references)
PROCESSORS = {
    "crm": ("Customer relationship manager (our sales and support contact records)", "CRM"),
    "email_service": ("Transactional e-mail provider (sends our account and billing e-mails)",
                      "ESP"),
}


# -- lock and restore ---------------------------------------------------------------------------

def lock_account(engine: sa.Engine) -> Callable[[str], None]:
    """At confirmation: every working API key of the account stops working."""

    def lock(account_id: str) -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.update(ApiKey)
                .where(ApiKey.account_id == account_id, ApiKey.disabled_at.is_(None))
                .values(disabled_at=datetime.now(UTC), disabled_reason=LOCK_REASON))

    return lock


def restore_account(engine: sa.Engine) -> Callable[[str], None]:
    """On cancel: the keys the lock disabled work again; keys disabled for another reason
    stay disabled."""

    def restore(account_id: str) -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.update(ApiKey)
                .where(ApiKey.account_id == account_id, ApiKey.disabled_reason == LOCK_REASON)
                .values(disabled_at=None, disabled_reason=None))

    return restore


# -- blockers -----------------------------------------------------------------------------------

def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _organisations(connection: sa.Connection, account_id: str) -> Iterator[Blocker]:
    other = sa.orm.aliased(Membership)
    others = (sa.select(sa.func.count()).select_from(other)
              .where(other.org_id == Organisation.id, other.account_id != account_id)
              .correlate(Organisation).scalar_subquery())
    owned = connection.execute(
        sa.select(Organisation.name, others)
        .join_from(Membership, Organisation, Membership.org_id == Organisation.id)
        .where(Membership.account_id == account_id, Membership.role == "owner")
        .order_by(Organisation.name)).all()
    for name, members in owned:
        if members:
            yield Blocker(
                "org_owner_with_members",
                f"You own the organisation “{name}”, which has "
                f"{_plural(members, 'other member', 'other members')}. Make one of them the "
                "owner, or remove them, before you delete your account.",
                TEAM_URL, "Manage the team")


def _instances(connection: sa.Connection, account_id: str) -> Iterator[Blocker]:
    running = connection.scalar(
        sa.select(sa.func.count()).select_from(GpuInstance)
        .where(GpuInstance.account_id == account_id, GpuInstance.terminated_at.is_(None))) or 0
    if running:
        yield Blocker(
            "running_gpu_instances",
            f"You have {_plural(running, 'GPU instance', 'GPU instances')} still running. "
            f"Save anything you want to keep from {'it' if running == 1 else 'them'}, then "
            f"terminate {'it' if running == 1 else 'them'}: deleting your account while "
            "instances run would lose their data.",
            DASHBOARD_URL, "See your GPU instances")


def _invoices(connection: sa.Connection, account_id: str) -> Iterator[Blocker]:
    unpaid = connection.scalar(
        sa.select(sa.func.count()).select_from(Invoice)
        .where(Invoice.account_id == account_id, Invoice.status == "open")) or 0
    if unpaid:
        yield Blocker(
            "unpaid_invoices",
            f"You have {_plural(unpaid, 'unpaid invoice', 'unpaid invoices')}. Pay "
            f"{'it' if unpaid == 1 else 'them'} first: we cannot close an account that "
            "still owes money.",
            DASHBOARD_URL, "See your invoices")


def deletion_blockers(engine: sa.Engine) -> Callable[[str], list[Blocker]]:
    """What stops the account's deletion now: an organisation it owns that has other members,
    running GPU instances, unpaid invoices."""

    def blockers(account_id: str) -> list[Blocker]:
        with engine.connect() as connection:
            return [blocker for check in (_organisations, _instances, _invoices)
                    for blocker in check(connection, account_id)]

    return blockers


# -- recipients ---------------------------------------------------------------------------------

def processor(engine: sa.Engine, name: str, prefix: str) -> Callable[[str], str | None]:
    """A simulated processor: records one erasure request per account and answers its ticket
    reference; asking again answers the same reference."""
    table = ProcessorErasureRequest

    def existing(connection: sa.Connection, account_id: str) -> str | None:
        return connection.scalar(sa.select(table.reference).where(
            table.recipient == name, table.account_id == account_id))

    def notify(account_id: str) -> str | None:
        with engine.begin() as connection:
            reference = existing(connection, account_id)
            if reference is not None:
                return reference
        reference = f"{prefix}-{secrets.token_hex(5).upper()}"
        try:
            with engine.begin() as connection:
                connection.execute(sa.insert(table).values(
                    recipient=name, account_id=account_id, reference=reference,
                    requested_at=datetime.now(UTC)))
        except sa.exc.IntegrityError:  # asked twice at once: the first one's ticket counts
            with engine.connect() as connection:
                return existing(connection, account_id)
        return reference

    return notify


def register_deletion_hooks(selfservice: SelfService, engine: sa.Engine) -> None:
    selfservice.deletion_lock(lock_account(engine))
    selfservice.deletion_restore(restore_account(engine))
    selfservice.deletion_blockers(deletion_blockers(engine))
    for name, (description, prefix) in PROCESSORS.items():
        selfservice.erasure_recipient(name, description)(processor(engine, name, prefix))
