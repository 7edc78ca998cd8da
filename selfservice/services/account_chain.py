"""An account's consent chain and its projection, ``selfservice_preferences``: lock the chain
for a transaction, and append an event to it; the projection's row, the audit trail's note and
(for a change of training) the confirmation e-mail follow each event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..db import utcnow
from ..ledger import append_consent, lock_consent_subject, record_audit
from ..models import ConsentEvent, ConsentMethod, PrivacyPreferences, Purpose, SubjectType
from ..state import get_state
from . import outbox
from .audit import account_stream
from .consent_types import PREFERENCE_OF, Actor

#: the job that e-mails the confirmation of a training change
CONFIRMATION_JOB = "mail.training_confirmation"


def lock_preferences(session: Session, account_id: str) -> PrivacyPreferences:
    """The account's preferences row, with its chain locked for this transaction (a row
    with every default when the account never changed anything)."""
    lock_consent_subject(session, SubjectType.ACCOUNT, account_id)
    prefs = session.get(PrivacyPreferences, account_id, populate_existing=True)
    if prefs is None:
        prefs = PrivacyPreferences(
            account_id=account_id, training_opt_in=False, own_training_opt_in=False,
            training_org_id=None, marketing_emails=False, limit_sensitive_data=False,
            do_not_sell_or_share=False, gpc_honoured_at=None, updated_at=utcnow(),
            head_seq=0, head_hash="0" * 64)
        session.add(prefs)
    return prefs


def append_account_event(session: Session, prefs: PrivacyPreferences, purpose: Purpose,
                         granted: bool, method: ConsentMethod, actor: Actor, version: str,
                         details: Mapping[str, Any] | None = None,
                         at: datetime | None = None) -> ConsentEvent:
    """Append one event to the account's chain (locked by :func:`lock_preferences`) and bring
    the projection, the audit trail and (a training change) the confirmation e-mail along."""
    event = append_consent(
        session, subject_type=SubjectType.ACCOUNT, subject_id=prefs.account_id,
        purpose=purpose, granted=granted, method=method, policy_version=version,
        actor_type=actor.type, actor_id=actor.id, details=details, at=at)
    changed = bool(getattr(prefs, PREFERENCE_OF[purpose])) != granted
    setattr(prefs, PREFERENCE_OF[purpose], granted)
    prefs.head_seq, prefs.head_hash, prefs.updated_at = event.seq, event.hash, event.at
    record_audit(session, stream=account_stream(prefs.account_id), action="consent.recorded",
                 actor_type=actor.type, actor_id=actor.id, target_type="consent_event",
                 target_id=event.id,
                 details={"purpose": purpose.value, "granted": granted,
                          "method": method.value, "seq": event.seq, "hash": event.hash})
    if purpose is Purpose.TRAINING and changed and get_state().setting("SMTP_HOST"):
        outbox.schedule(session, CONFIRMATION_JOB, target_type="consent_event",
                        target_id=event.id, dedupe_key=f"mail:consent:{event.id}",
                        actor_type=actor.type, actor_id=actor.id)
    return event
