"""Who a console account is, told to the plugin (its two identity callbacks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from flask import has_request_context

from selfservice import Identity, Organisation

from .models import Account, Membership
from .models import Organisation as OrganisationRow

#: when an account belongs to several organisations, the one where it has most say counts
_ROLE_RANK = sa.case({"owner": 0, "admin": 1}, value=Membership.role, else_=2)


def identity_loader(engine: sa.Engine, *, support_role: str = "support",
                    privacy_officer_role: str = "privacy_officer",
                    shared: Callable[[], AbstractContextManager[sa.Connection]] | None = None,
                    ) -> Callable[[str], Identity | None]:
    """``load(account_id) -> Identity | None`` reading the console's ``accounts`` table.

    The staff flags become the plugin's role names (``SELFSERVICE_SUPPORT_ROLE`` and
    ``SELFSERVICE_PRIVACY_OFFICER_ROLE``). ``shared``, the plugin's ``lookup_connection``
    when it shares ``engine``, is used during requests: the user, the sign-in session and the
    preferences are then read on one pooled connection.
    """

    # this runs on every signed-in request: one statement, built once, outside a transaction
    # (on PostgreSQL)
    lookups = (engine.execution_options(isolation_level="AUTOCOMMIT")
               if engine.dialect.name == "postgresql" else engine)

    def connect() -> AbstractContextManager[sa.Connection]:
        return shared() if shared is not None and has_request_context() else lookups.connect()
    query = (sa.select(Account.id, Account.email, Account.name, Account.billing_country,
                       Account.is_support, Account.is_privacy_officer,
                       OrganisationRow.id.label("org_id"),
                       OrganisationRow.name.label("org_name"), Membership.role)
             .select_from(Account)
             .outerjoin(Membership, Membership.account_id == Account.id)
             .outerjoin(OrganisationRow, Membership.org_id == OrganisationRow.id)
             .where(Account.id == sa.bindparam("account_id"))
             .order_by(_ROLE_RANK, OrganisationRow.id)
             .limit(1))

    def load(account_id: str) -> Identity | None:
        with connect() as connection:
            account = connection.execute(query, {"account_id": account_id}).one_or_none()
        if account is None:
            return None
        roles = set()
        if account.is_support:
            roles.add(support_role)
        if account.is_privacy_officer:
            roles.add(privacy_officer_role)
        return Identity(
            account_id=account.id,
            email=account.email,
            name=account.name,
            org=(Organisation(account.org_id, account.org_name, account.role)
                 if account.org_id is not None else None),
            roles=frozenset(roles),
            country=account.billing_country,
        )

    return load


def account_resolver(engine: sa.Engine) -> Callable[[Mapping[str, Any]], str | None]:
    """``resolve(claims) -> account_id | None``: the account whose verified e-mail the provider
    sent."""

    def resolve(claims: Mapping[str, Any]) -> str | None:
        if claims.get("email_verified") is not True:
            return None  # an address the provider has not verified proves nothing
        email = claims.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        with engine.connect() as connection:
            return connection.scalar(
                sa.select(Account.id).where(sa.func.lower(Account.email) == email.strip().lower())
            )

    return resolve


def org_members_loader(engine: sa.Engine) -> Callable[[str], list[str]]:
    """``members(org_id) -> [account_id, ...]``: who an organisation's training policy covers."""

    def members(org_id: str) -> list[str]:
        with engine.connect() as connection:
            return list(connection.scalars(
                sa.select(Membership.account_id).where(Membership.org_id == org_id)
                .order_by(Membership.account_id)))

    return members


def account_finder(engine: sa.Engine) -> Callable[[str], str | None]:
    """``find(email) -> account_id | None``: the account with exactly this e-mail address (case
    aside), for support's search."""

    def find(email: str) -> str | None:
        with engine.connect() as connection:
            return connection.scalar(
                sa.select(Account.id).where(sa.func.lower(Account.email) == email.strip().lower()))

    return find
