"""Sign-in sessions kept on the server, so that ending one (logout, "sign out of all other
sessions", an account lock) holds even against a copy of the cookie.

Flask's session is a signed cookie the server cannot take back. At sign-in a row of
``selfservice_sessions`` is made and its random id goes into the cookie
(:func:`selfservice.auth.record_authentication`); every signed-in request reads that row by its
primary key, and a session that is ended, unknown, another account's or unused for
``SELFSERVICE_SESSION_IDLE_DAYS`` is signed out.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import matched, utcnow
from ..models import AccountSession
from ..state import get_state
from . import audit

SWEEP_JOB = "retention.sessions"
#: how often a session's last_seen_at is written (it is read on every request)
TOUCH_EVERY = timedelta(minutes=5)
#: what every signed-in request reads (three columns, no ORM object to build)
_OPEN = (sa.select(AccountSession.account_id, AccountSession.revoked_at,
                   AccountSession.last_seen_at)
         .where(AccountSession.id == sa.bindparam("session_id")))

#: (pattern, name), first match wins: Edge and Opera say "Chrome" too, Chrome says "Safari"
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def device_summary(user_agent: str) -> str:
    """What a customer recognises a session by ("Firefox on Linux"), from its User-Agent
    header; the header itself is not kept."""
    if not user_agent.strip():
        return "Unknown browser"
    if not re.match(r"Mozilla/\d", user_agent):
        return "Another program"
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "A browser")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    return f"{browser} on {system}" if system else browser


def _idle_limit() -> timedelta:
    return timedelta(days=get_state().setting("SESSION_IDLE_DAYS"))


def start(account_id: str, user_agent: str) -> str:
    """Open a session for ``account_id`` (a sign-in) and return its id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    device = device_summary(user_agent)
    with get_state().db.transaction() as db_session:
        db_session.add(AccountSession(id=session_id, account_id=account_id, user_agent=device))
        audit.record_account_event(account_id, "session.started", actor_type="account",
                                   actor_id=account_id, details={"device": device},
                                   session=db_session)
    return session_id


def is_open(session_id: str, account_id: str) -> bool:
    """Whether the session is open and ``account_id``'s: one read by primary key. A session
    unused for longer than SESSION_IDLE_DAYS is ended now; last_seen_at is written at most
    every TOUCH_EVERY."""
    db = get_state().db
    with db.lookup_connection() as connection:
        row = connection.execute(_OPEN, {"session_id": session_id}).one_or_none()
    if row is None or row.account_id != account_id or row.revoked_at is not None:
        return False
    now = utcnow()
    if row.last_seen_at < now - _idle_limit():
        end(session_id, "idle")
        return False
    if row.last_seen_at < now - TOUCH_EVERY:
        with db.transaction() as db_session:
            db_session.execute(sa.update(AccountSession)
                               .where(AccountSession.id == session_id,
                                      AccountSession.revoked_at.is_(None))
                               .values(last_seen_at=now))
    return True


def _revoke(db_session: Session, reason: str, *where: sa.ColumnElement[bool]) -> int:
    return matched(db_session.execute(
        sa.update(AccountSession).where(AccountSession.revoked_at.is_(None), *where)
        .values(revoked_at=utcnow(), revoked_reason=reason)))


def end(session_id: str, reason: str) -> bool:
    """End one session (its owner logged out, signed in again, or left it unused); whether it
    was open."""
    with get_state().db.transaction() as db_session:
        row = db_session.get(AccountSession, session_id)
        if row is None or not _revoke(db_session, reason, AccountSession.id == session_id):
            return False
        audit.record_account_event(row.account_id, "session.ended", actor_type="account",
                                   actor_id=row.account_id,
                                   details={"device": row.user_agent, "reason": reason},
                                   session=db_session)
    return True


def end_others(account_id: str, keep: str) -> int:
    """End every open session of the account but ``keep``, the one asking ("sign out of all
    other sessions"). Returns how many were ended."""
    with get_state().db.transaction() as db_session:
        ended = _revoke(db_session, "signed_out_elsewhere",
                        AccountSession.account_id == account_id, AccountSession.id != keep)
        if ended:
            audit.record_account_event(account_id, "session.others_ended",
                                       actor_type="account", actor_id=account_id,
                                       details={"ended": ended}, session=db_session)
    return ended


def end_all_sessions(account_id: str, reason: str, *, actor_type: str = "system",
                     actor_id: str | None = None, session: Session | None = None) -> int:
    """End every session of the account, e.g. when it is locked for deletion: each of its
    browsers is signed out at its next request. Runs in ``session`` (the caller's transaction)
    if given. Returns how many sessions were open."""
    if session is None:
        with get_state().db.transaction() as own:
            return end_all_sessions(account_id, reason, actor_type=actor_type,
                                    actor_id=actor_id, session=own)
    ended = _revoke(session, reason, AccountSession.account_id == account_id)
    if ended:
        audit.record_account_event(account_id, "session.all_ended", actor_type=actor_type,
                                   actor_id=actor_id, details={"ended": ended, "reason": reason},
                                   session=session)
    return ended


def open_sessions(account_id: str) -> list[AccountSession]:
    """The account's open sessions, oldest first."""
    since = utcnow() - _idle_limit()
    with get_state().db.read() as db_session:
        return list(db_session.scalars(
            sa.select(AccountSession)
            .where(AccountSession.account_id == account_id,
                   AccountSession.revoked_at.is_(None), AccountSession.last_seen_at >= since)
            .order_by(AccountSession.created_at)))


def sweep(now: datetime | None = None) -> int:
    """Delete sessions that ended, or were last used, more than SESSION_IDLE_DAYS ago (their
    start and end stay in the audit trail). A deleted session's cookie counts as signed out,
    like an ended one. Returns rows deleted."""
    cutoff = (now or utcnow()) - _idle_limit()
    with get_state().db.transaction() as db_session:
        return matched(db_session.execute(sa.delete(AccountSession).where(
            sa.or_(AccountSession.last_seen_at < cutoff, AccountSession.revoked_at < cutoff))))
