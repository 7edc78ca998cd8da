"""The language each customer reads, so that the e-mails written to them by workers, outside
any request, are in it.

The plugin records the language of its pages (``translation.current_language()``: the host's
locale selector, or ``Accept-Language``) when a customer signs in and when they change something
through the plugin's pages or the API from a signed-in browser (``auth.note_language``): one
read by primary key, and a write (with an audit event) only when it changed. An e-mail to an
account is written inside :func:`writing_to`; an account with none recorded reads the source
language (English). The record is one of the plugin's own sources: exported with the account's
data, and deleted when the account is erased (own_erasure.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from .. import translation
from ..db import utcnow
from ..models import AccountLanguage
from ..sources import Subject
from ..state import get_state
from .audit import record_account_event


def recorded(account_id: str) -> str | None:
    """The account's recorded language, or None."""
    with get_state().db.lookup() as session:
        return session.scalar(sa.select(AccountLanguage.language)
                              .where(AccountLanguage.account_id == account_id))


def language_of(account_id: str | None) -> str:
    """The language to write to ``account_id`` in: its recorded one if the plugin still ships
    it, else the source language."""
    found = recorded(account_id) if account_id else None
    return found if found in translation.languages() else translation.SOURCE_LANGUAGE


@contextlib.contextmanager
def writing_to(account_id: str | None) -> Iterator[str]:
    """Write (an e-mail) in the language of ``account_id``; yields that language."""
    language = language_of(account_id)
    with translation.language(language):
        yield language


def remember(account_id: str, language: str) -> bool:
    """Record that ``account_id`` reads ``language`` (a shipped one; anything else is
    ignored). Writes only when it changed; returns whether it wrote."""
    if language not in translation.languages() or recorded(account_id) == language:
        return False
    try:
        with get_state().db.transaction() as session:
            row = session.get(AccountLanguage, account_id, with_for_update=True)
            was = row.language if row is not None else None
            if was == language:
                return False
            if row is None:
                session.add(AccountLanguage(account_id=account_id, language=language,
                                            updated_at=utcnow()))
            else:
                row.language, row.updated_at = language, utcnow()
            record_account_event(account_id, "account.language", actor_type="account",
                                 actor_id=account_id, session=session,
                                 details={"language": language, "was": was})
    except sa.exc.IntegrityError:
        return False  # another request of the same account recorded it first
    return True


# -- the own source (own_sources.py, own_erasure.py) ------------------------------------------

def export(subject: Subject) -> Iterator[dict[str, Any]]:
    with get_state().db.read() as session:
        row = session.get(AccountLanguage, subject.account_id)
        if row is not None:
            yield {"language": row.language, "updated_at": row.updated_at.isoformat()}


def count(subject: Subject) -> int:
    with get_state().db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).where(
            AccountLanguage.account_id == subject.account_id)) or 0)


def erase(subject: Subject) -> int:
    with get_state().db.transaction() as session:
        result = session.execute(sa.delete(AccountLanguage)
                                 .where(AccountLanguage.account_id == subject.account_id))
    return int(getattr(result, "rowcount", 0) or 0)
