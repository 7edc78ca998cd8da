"""Erasing the plugin's own records of an account: its erasers for the plugin's own sources.

- preferences, sessions and cookie-consent records are deleted;
- the account's other privacy requests go, with their timelines and export archives;
- the consent ledger and the audit trail are kept, but only pseudonymously: every record that
  names the account names the deletion's pseudonym instead, and each chain touched is hashed
  again in order, so it still verifies (and so does every other chain). They are kept
  ERASED_PROOF_RETENTION_DAYS as proof of consent (a legal obligation), then
  :func:`sweep_expired_proof` deletes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import matched, utcnow
from ..ledger import (
    GENESIS,
    _audit_content,
    chain_hash,
    consent_content,
    drop_audit_stream,
    lock_consent_subject,
    lock_stream,
    record_audit,
    reseal_audit_stream,
)
from ..models import (
    AccountSession,
    AuditEvent,
    ConsentEvent,
    Deletion,
    OrgTrainingPolicy,
    PrivacyPreferences,
    PrivacyRequest,
    PrivacyRequestEvent,
    RequestNote,
    SubjectType,
    SubprocessorObjection,
    SubprocessorSubscription,
)
from ..sources import Eraser, Subject
from ..state import get_state
from . import languages
from .audit import account_stream
from .cookie_consent import forget_account
from .exports import forget

PROOF_SWEEP_JOB = "retention.erased_proof"


def erasers() -> dict[str, Eraser]:
    """The erasers of the plugin's own sources (own_sources.py), by source name."""
    return {"consent_events": erase_consent_records, "cookie_consents": erase_cookie_consents,
            "privacy_requests": erase_privacy_requests, "account_language": languages.erase}


def _deletion(session: Session, account_id: str) -> Deletion | None:
    """The account's deletion under way (confirmed, not canceled, not finished)."""
    return session.scalar(sa.select(Deletion).where(
        Deletion.account_id == account_id, Deletion.canceled_at.is_(None),
        Deletion.finished_at.is_(None)).order_by(Deletion.confirmed_at.desc()).limit(1))


def erase_consent_records(subject: Subject) -> int:
    """Pseudonymise the consent ledger and audit trail; delete preferences and sessions.
    One transaction: returns the consent events re-keyed (0 once done)."""
    with get_state().db.read() as session:
        deletion = _deletion(session, subject.account_id)
    if deletion is None:
        raise RuntimeError("no deletion is under way for this account")
    return pseudonymise(subject.account_id, deletion.pseudonym, deletion.request_id)


def erase_cookie_consents(subject: Subject) -> int:
    return forget_account(subject.account_id)


def erase_privacy_requests(subject: Subject) -> int:
    """Anonymise one batch of the account's other requests: the record of each (date, type,
    jurisdiction, outcome and any reason for a denial) stays under the deletion's pseudonym,
    as US state law asks for 24 months (CCPA regulations, section 7101); what the customer
    wrote (details, timeline notes), what staff wrote about it or to the customer (notes and
    messages: free text that may name them) and export archives are deleted. The deletion
    under way is kept as it is: it becomes the proof."""
    with get_state().db.transaction() as session:
        deletion = _deletion(session, subject.account_id)
        if deletion is None:
            raise RuntimeError("no deletion is under way for this account")
        requests = list(session.scalars(
            sa.select(PrivacyRequest).where(PrivacyRequest.account_id == subject.account_id,
                                            PrivacyRequest.id != deletion.request_id)
            .limit(subject.batch_size)))
        if not requests:
            return 0
        names = [request.archive_name for request in requests]
        ids = [request.id for request in requests]
        session.execute(sa.delete(PrivacyRequestEvent)
                        .where(PrivacyRequestEvent.request_id.in_(ids)))
        session.execute(sa.delete(RequestNote).where(RequestNote.request_id.in_(ids)))
        session.execute(sa.delete(Deletion).where(Deletion.request_id.in_(ids)))
        for request in requests:
            request.account_id = deletion.pseudonym
            request.details = {}
            request.idempotency_key = None
            request.step = ""
            request.archive_name = request.archive_sha256 = None
            request.archive_bytes = request.records = None
    forget(names)  # after the commit: a failed commit keeps its archives
    return len(requests)


# -- pseudonymising the chains ----------------------------------------------------------------

def _rekey(value: str | None, account_id: str, pseudonym: str) -> str | None:
    return pseudonym if value == account_id else value


def _rechain_consent(session: Session, subject: tuple[str, str], account_id: str,
                     pseudonym: str, hashes: dict[str, str]) -> tuple[str, str]:
    """Re-key one consent chain and hash it again in order; (old head, new head)."""
    subject_type, subject_id = subject
    events = list(session.scalars(sa.select(ConsentEvent).where(
        ConsentEvent.subject_type == subject_type, ConsentEvent.subject_id == subject_id)
        .order_by(ConsentEvent.seq)))
    prev, old_head = GENESIS, GENESIS
    for event in events:
        old_head = event.hash
        event.subject_id = _rekey(event.subject_id, account_id, pseudonym) or subject_id
        event.actor_id = _rekey(event.actor_id, account_id, pseudonym)
        event.prev_hash = prev
        event.hash = chain_hash(prev, consent_content(event))
        hashes[old_head] = prev = event.hash
    session.flush()
    return old_head, prev


def _consent_subjects(session: Session, account_id: str) -> list[tuple[str, str]]:
    rows = session.execute(sa.select(ConsentEvent.subject_type, ConsentEvent.subject_id)
                           .where(sa.or_(ConsentEvent.subject_id == account_id,
                                         ConsentEvent.actor_id == account_id)).distinct())
    return sorted((str(t), str(i)) for t, i in rows)


def _move_heads(session: Session, hashes: dict[str, str], account_id: str,
                pseudonym: str) -> None:
    """Projections of other chains point at their new heads."""
    for prefs in session.scalars(sa.select(PrivacyPreferences).where(
            PrivacyPreferences.head_hash.in_(list(hashes)))):
        prefs.head_hash = hashes[prefs.head_hash]
    for policy in session.scalars(sa.select(OrgTrainingPolicy).where(
            OrgTrainingPolicy.head_hash.in_(list(hashes)))):
        policy.head_hash = hashes[policy.head_hash]
    for policy in session.scalars(sa.select(OrgTrainingPolicy)
                                  .where(OrgTrainingPolicy.set_by == account_id)):
        policy.set_by = pseudonym
    # the organisation's sub-processor records stay its own, no longer naming the person
    for model, column in ((SubprocessorObjection, "account_id"),
                          (SubprocessorObjection, "resolved_by"),
                          (SubprocessorSubscription, "subscribed_by")):
        session.execute(sa.update(model).where(getattr(model, column) == account_id)
                        .values({column: pseudonym}))


def _audit_streams(session: Session, account_id: str,
                   consent_subjects: Iterable[tuple[str, str]]) -> list[str]:
    """Streams naming the account, and those noting a re-hashed consent chain."""
    streams = {account_stream(account_id)}
    streams |= set(session.scalars(sa.select(AuditEvent.stream).distinct().where(
        sa.or_(AuditEvent.actor_id == account_id, AuditEvent.target_id == account_id))))
    for subject_type, subject_id in consent_subjects:
        streams.add(account_stream(subject_id) if subject_type == SubjectType.ACCOUNT
                    else f"org:{subject_id}")
    return sorted(streams)


def _rechain_stream(session: Session, name: str, account_id: str, pseudonym: str,
                    hashes: dict[str, str]) -> int:
    """Re-key one audit stream (renamed if it is the account's) and hash it again; a stream
    already moved to the pseudonym gets the new records appended. Returns records changed."""
    target = account_stream(pseudonym) if name == account_stream(account_id) else name
    lock_stream(session, name)
    lock_stream(session, target)
    events = list(session.scalars(sa.select(AuditEvent).where(
        AuditEvent.stream.in_({name, target})).order_by(
        sa.case((AuditEvent.stream == target, 0), else_=1), AuditEvent.seq)))
    prev, changed = GENESIS, 0
    for seq, event in enumerate(events, start=1):
        before = event.hash
        event.stream, event.seq, event.prev_hash = target, seq, prev
        event.actor_id = _rekey(event.actor_id, account_id, pseudonym)
        event.target_id = _rekey(event.target_id, account_id, pseudonym)
        noted = (event.details or {}).get("hash")
        if noted in hashes:
            event.details = {**event.details, "hash": hashes[noted]}
        event.hash = prev = chain_hash(prev, _audit_content(event))
        changed += event.hash != before
    session.flush()
    # the streams end where they now end (the account's old name no longer has one)
    reseal_audit_stream(session, target)
    if name != target:
        reseal_audit_stream(session, name)
    return changed


def pseudonymise(account_id: str, pseudonym: str, request_id: str) -> int:
    """Re-key every consent and audit record naming the account to the pseudonym, hash the
    chains touched again (so each verifies under the pseudonym, and every other chain still
    verifies), delete the preferences and sessions. Idempotent; one transaction. Returns the
    account's consent events re-keyed."""
    with get_state().db.transaction() as session:
        lock_consent_subject(session, SubjectType.ACCOUNT, account_id)
        lock_consent_subject(session, SubjectType.ACCOUNT, pseudonym)
        own = int(session.scalar(sa.select(sa.func.count()).where(
            ConsentEvent.subject_type == SubjectType.ACCOUNT,
            ConsentEvent.subject_id == account_id)) or 0)
        subjects = _consent_subjects(session, account_id)
        hashes: dict[str, str] = {}
        heads = (GENESIS, GENESIS)
        for subject in subjects:
            own_chain = subject == (SubjectType.ACCOUNT.value, account_id)
            if not own_chain:
                lock_consent_subject(session, *subject)
            moved = _rechain_consent(session, subject, account_id, pseudonym, hashes)
            heads = moved if own_chain else heads
        _move_heads(session, hashes, account_id, pseudonym)
        records = sum(_rechain_stream(session, name, account_id, pseudonym, hashes)
                      for name in _audit_streams(session, account_id, subjects))
        session.execute(sa.delete(PrivacyPreferences)
                        .where(PrivacyPreferences.account_id == account_id))
        session.execute(sa.delete(AccountSession).where(AccountSession.account_id == account_id))
        if subjects or records:
            record_audit(session, stream=f"deletion:{request_id}",
                         action="deletion.ledger_pseudonymised", actor_type="system",
                         target_type="request", target_id=request_id,
                         details={"pseudonym": pseudonym, "consent_events": own,
                                  "other_chains": len(subjects) - (own > 0),
                                  "audit_records": records, "old_head": heads[0],
                                  "new_head": heads[1]})
    return own


# -- the end of the proof ---------------------------------------------------------------------

def sweep_expired_proof(now: datetime | None = None) -> int:
    """Delete the pseudonymous consent chains and account audit streams of deletions
    finished more than ERASED_PROOF_RETENTION_DAYS ago. Returns records deleted."""
    state = get_state()
    cutoff = (now or utcnow()) - timedelta(days=state.setting("ERASED_PROOF_RETENTION_DAYS"))
    with state.db.read() as session:
        due = list(session.execute(sa.select(Deletion.request_id, Deletion.pseudonym)
                                   .where(Deletion.finished_at < cutoff)))
    deleted = 0
    for request_id, pseudonym in due:
        with state.db.transaction() as session:
            gone = matched(session.execute(sa.delete(ConsentEvent).where(
                ConsentEvent.subject_type == SubjectType.ACCOUNT,
                ConsentEvent.subject_id == pseudonym)))
            gone += drop_audit_stream(session, account_stream(pseudonym))
            # the record of the account's other requests (the deletion's own stays)
            gone += matched(session.execute(sa.delete(PrivacyRequest).where(
                PrivacyRequest.account_id == pseudonym, PrivacyRequest.id != request_id)))
            if gone:
                record_audit(session, stream=f"deletion:{request_id}",
                             action="deletion.proof_expired", actor_type="system",
                             target_type="request", target_id=request_id,
                             details={"records": gone})
            deleted += gone
    return deleted
