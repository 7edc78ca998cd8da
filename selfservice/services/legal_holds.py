"""Legal holds: an account's data kept from retention sweeps and from erasure, for a stated
reason, until a privacy officer releases the hold.

Placing and releasing a hold are the only changes, each with an audit event in the account's
stream. A hold placed while a retention sweep runs takes effect before the sweep's next batch;
on PostgreSQL, ``place`` also waits for a batch under way to finish (the sweep holds a shared
lock through each batch, ``place`` an exclusive one), so no batch that started before a hold
was in force can end after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..ledger import record_audit
from ..models import LegalHold
from ..schemas.base import InvalidInput
from ..state import get_state
from ..text import REFUSAL, is_free_text, is_identifier
from .audit import account_stream

MAX_REASON = 500
#: sources one hold may name
MAX_SOURCES = 100
#: actor_type of a change made from the command line without an officer's account id
OPERATOR = "operator"
PRIVACY_OFFICER = "privacy_officer"
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"selfservice:legal-holds").digest()[:8], "big",
                           signed=True)


class HoldError(Exception):
    pass


class HoldNotFound(HoldError):
    def __init__(self, hold_id: str) -> None:
        super().__init__("no such legal hold")
        self.hold_id = hold_id


class AlreadyReleased(HoldError):
    def __init__(self, hold: LegalHold) -> None:
        super().__init__(f"legal hold {hold.id} was already released")
        self.hold = hold


# -- reading (the erasure engine and the sweeps use these) ------------------------------------

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


def get(hold_id: str) -> LegalHold | None:
    if not is_identifier(hold_id):
        return None
    with get_state().db.read() as session:
        return session.get(LegalHold, hold_id)


def list_holds(account_id: str | None = None, *, active_only: bool = True) -> list[LegalHold]:
    """Holds, newest first: in force only (default) or released ones too; one account's or
    every account's."""
    query = sa.select(LegalHold).order_by(LegalHold.placed_at.desc(), LegalHold.id)
    if account_id is not None:
        query = query.where(LegalHold.account_id == account_id)
    if active_only:
        query = query.where(LegalHold.released_at.is_(None))
    with get_state().db.read() as session:
        return list(session.scalars(query))


def as_dict(hold: LegalHold) -> dict[str, Any]:
    """A hold as support and the API show it."""
    return {
        "id": hold.id, "account_id": hold.account_id, "sources": hold.sources,
        "reason": hold.reason, "placed_by": hold.placed_by,
        "placed_at": hold.placed_at.isoformat(), "review_at": hold.review_at.isoformat(),
        "active": hold.released_at is None,
        "released_at": hold.released_at.isoformat() if hold.released_at else None,
        "released_by": hold.released_by, "release_reason": hold.release_reason,
    }


# -- locking against sweeps -------------------------------------------------------------------

def lock_for_sweep(session: Session) -> None:
    """Until ``session``'s transaction ends, no hold is placed (PostgreSQL; shared: sweeps of
    several rules may run at once)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(_LOCK_KEY)))


def _lock_for_change(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))


# -- checks -----------------------------------------------------------------------------------

def _reason_error(reason: Any) -> str | None:
    if not isinstance(reason, str) or not reason.strip():
        return "is required: say why the data must be kept"
    if len(reason) > MAX_REASON:
        return f"must be at most {MAX_REASON} characters"
    if not is_free_text(reason):
        return REFUSAL
    return None


def _sources_error(sources: Any) -> str | None:
    if sources is None:
        return None
    if not isinstance(sources, list | tuple) or not sources:
        return "must be a non-empty list of source names, or left out for every source"
    if len(sources) > MAX_SOURCES:
        return f"must name at most {MAX_SOURCES} sources"
    registry = get_state().extension.sources
    unknown = [str(name)[:64] for name in sources
               if not isinstance(name, str) or name not in registry]
    if unknown:
        return f"unknown sources: {', '.join(sorted(set(unknown))[:5])}"
    return None


def _review_error(review_at: Any, now: datetime) -> str | None:
    if not isinstance(review_at, datetime) or review_at.tzinfo is None:
        return "must be a time with a UTC offset"
    if review_at <= now:
        return "must lie in the future"
    return None


def _account_error(account_id: Any) -> str | None:
    if not is_identifier(account_id):
        return "must be an account id (1 to 64 characters, no control characters)"
    if get_state().extension.load_identity(account_id) is None:
        return "no such account"
    return None


def check(account_id: Any, reason: Any, review_at: Any, sources: Any,
          now: datetime | None = None) -> None:
    """InvalidInput naming every bad field of a hold about to be placed."""
    found = {"account_id": _account_error(account_id), "reason": _reason_error(reason),
             "review_at": _review_error(review_at, now or utcnow()),
             "sources": _sources_error(sources)}
    errors = {name: message for name, message in found.items() if message}
    if errors:
        raise InvalidInput(errors)


# -- changes ----------------------------------------------------------------------------------

def place(account_id: str, reason: str, review_at: datetime, sources: Iterable[str] | None,
          actor: str | None, *, actor_type: str = PRIVACY_OFFICER) -> LegalHold:
    """Keep the account's data (of ``sources``; None: every source) from sweeps and erasure
    until the hold is released. ``actor``: the privacy officer's account id (None from the
    command line: ``actor_type`` says who). InvalidInput (nothing changed) names bad fields."""
    listed = None if sources is None else list(dict.fromkeys(sources))
    check(account_id, reason, review_at, listed)
    with get_state().db.transaction() as session:
        _lock_for_change(session)
        hold = LegalHold(account_id=account_id, sources=listed, reason=reason.strip(),
                         placed_by=actor, placed_at=utcnow(), review_at=review_at)
        session.add(hold)
        session.flush()
        _audit(session, hold, "legal_hold.placed", actor, actor_type,
               {"hold_id": hold.id, "sources": listed,
                "review_at": review_at.isoformat()})
    return hold


def release(hold_id: str, reason: str, actor: str | None, *,
            actor_type: str = PRIVACY_OFFICER) -> LegalHold:
    """End a hold: its data follows the retention schedule again, and a pending erasure may
    go on. HoldNotFound; AlreadyReleased (nothing changed); InvalidInput for the reason."""
    problem = _reason_error(reason)
    if problem:
        raise InvalidInput({"reason": problem})
    if not is_identifier(hold_id):
        raise HoldNotFound(str(hold_id)[:64])
    with get_state().db.transaction() as session:
        hold = session.get(LegalHold, hold_id, with_for_update=True)
        if hold is None:
            raise HoldNotFound(hold_id)
        if hold.released_at is not None:
            session.expunge(hold)
            raise AlreadyReleased(hold)
        hold.released_at = utcnow()
        hold.released_by = actor
        hold.release_reason = reason.strip()
        _audit(session, hold, "legal_hold.released", actor, actor_type, {"hold_id": hold.id})
    return hold


def _audit(session: Session, hold: LegalHold, action: str, actor: str | None,
           actor_type: str, details: dict[str, Any]) -> None:
    # the reason is free text an officer typed: it stays on the hold, not in the audit trail
    record_audit(session, stream=account_stream(hold.account_id), action=action,
                 actor_type=actor_type, actor_id=actor, target_type="legal_hold",
                 target_id=hold.id, details=details)
