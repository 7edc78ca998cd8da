"""Legal holds: an account's data kept from retention sweeps and from erasure, for a stated
reason, until a privacy officer releases the hold."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import LegalHold


def active_for(session: Session, account_id: str) -> list[LegalHold]:
    """The account's holds in force, oldest first."""
    return list(session.scalars(sa.select(LegalHold)
                                .where(LegalHold.account_id == account_id,
                                       LegalHold.released_at.is_(None))
                                .order_by(LegalHold.placed_at, LegalHold.id)))


def hold_on(holds: Sequence[LegalHold], source_name: str) -> LegalHold | None:
    """The first of ``holds`` that covers the source (a hold without a list covers all)."""
    for hold in holds:
        if hold.sources is None or source_name in hold.sources:
            return hold
    return None


def held_accounts(session: Session, source_name: str) -> set[str]:
    """Accounts whose records of the source no sweep may touch now."""
    rows = session.execute(sa.select(LegalHold.account_id, LegalHold.sources)
                           .where(LegalHold.released_at.is_(None)))
    return {account_id for account_id, sources in rows
            if sources is None or source_name in sources}
