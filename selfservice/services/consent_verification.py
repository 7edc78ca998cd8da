"""Checking the consent chains: each chain on its own, then against its recorded head (in the
preferences or organisation-policy row), the audit trail's note of every event, and (for an
account) replayed against the preferences the console shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..ledger import ChainReport, consent_content, consent_events, verify_chain
from ..models import (
    AuditEvent,
    ConsentEvent,
    ConsentMethod,
    Deletion,
    OrgPolicy,
    OrgTrainingPolicy,
    PrivacyPreferences,
    Purpose,
    SubjectType,
)
from ..state import get_state
from .audit import account_stream
from .consent_types import PREFERENCE_OF, PREFERENCE_PURPOSES


def verify_subject(subject_type: str, subject_id: str) -> ChainReport:
    """One subject's chain (an account's or an organisation's), checked."""
    with get_state().db.read() as session:
        events = consent_events(session, subject_type, subject_id)
        return verify_events(session, subject_type, subject_id, events)


def verify_events(session: Session, subject_type: str, subject_id: str,
                  events: list[ConsentEvent]) -> ChainReport:
    """The chain on its own, then against its recorded head, the audit trail's notes of it,
    and (for an account) the preferences the console shows."""
    row: Any
    if subject_type == SubjectType.ACCOUNT:
        row = session.get(PrivacyPreferences, subject_id)
        stream, action = account_stream(subject_id), "consent.recorded"
    else:
        row = session.get(OrgTrainingPolicy, subject_id)
        stream, action = f"org:{subject_id}", "org.training_policy"
    erased = row is None and subject_type == SubjectType.ACCOUNT and is_erased(session,
                                                                                subject_id)
    # an erased account's chain is kept under its pseudonym without a preferences row
    head = None if erased else (row.head_seq, row.head_hash) if row else (0, "0" * 64)
    report = verify_chain(events, consent_content, head)
    if not report.valid:
        return report
    noted = [(e.details.get("seq"), e.details.get("hash")) for e in session.scalars(
        sa.select(AuditEvent).where(AuditEvent.stream == stream, AuditEvent.action == action)
        .order_by(AuditEvent.seq))]
    if noted != [(e.seq, e.hash) for e in events]:
        return ChainReport(False, None, report.records,
                           "the audit trail does not match the ledger")
    if (subject_type == SubjectType.ACCOUNT and events and not erased
            and not _projection_matches(row, events)):
        return ChainReport(False, None, report.records,
                           "the preferences shown do not match the ledger")
    return report


def is_erased(session: Session, subject_id: str) -> bool:
    """The id is the pseudonym of a deletion under way or done: its chain is kept as proof."""
    return session.scalar(sa.select(Deletion.request_id).where(
        Deletion.pseudonym == subject_id, Deletion.started_at.is_not(None))) is not None


def _projection_matches(prefs: PrivacyPreferences | None,
                        events: list[ConsentEvent]) -> bool:
    """Replay the chain: each preference is its purpose's last value; the organisation lock
    and the account's own training choice follow from the training events' methods."""
    if prefs is None:
        return False
    expected: dict[str, Any] = {field: False for field in PREFERENCE_PURPOSES}
    own, locked_by = False, None
    for event in events:
        expected[PREFERENCE_OF[Purpose(event.purpose)]] = bool(event.granted)
        if event.purpose != Purpose.TRAINING:
            continue
        if event.method == ConsentMethod.ORG_POLICY:
            applies = event.details.get("member") and event.details.get("org_policy") in (
                OrgPolicy.OPTED_IN, OrgPolicy.OPTED_OUT)
            locked_by = event.details.get("org_id") if applies else None
        else:
            own = bool(event.granted)
    actual = {field: bool(getattr(prefs, field)) for field in PREFERENCE_PURPOSES}
    return (actual == expected and bool(prefs.own_training_opt_in) == own
            and prefs.training_org_id == locked_by)


def verify_all() -> Iterator[tuple[str, str, ChainReport]]:
    """Every consent chain: every subject the events, the projections or the audit trail
    know of (removing a whole chain leaves the others pointing at it)."""
    with get_state().db.read() as session:
        subjects = set(map(tuple, session.execute(
            sa.select(ConsentEvent.subject_type, ConsentEvent.subject_id).distinct()).all()))
        subjects |= {(SubjectType.ACCOUNT.value, account_id) for account_id in session.scalars(
            sa.select(PrivacyPreferences.account_id).where(PrivacyPreferences.head_seq > 0))}
        subjects |= {(SubjectType.ORGANISATION.value, org_id) for org_id in session.scalars(
            sa.select(OrgTrainingPolicy.org_id).where(OrgTrainingPolicy.head_seq > 0))}
        for stream in session.scalars(
                sa.select(AuditEvent.stream).distinct()
                .where(AuditEvent.action.in_(["consent.recorded", "org.training_policy"]))):
            kind, _, subject_id = stream.partition(":")
            subjects.add((SubjectType.ACCOUNT.value if kind == "account"
                          else SubjectType.ORGANISATION.value, subject_id))
    for subject_type, subject_id in sorted(subjects):
        yield subject_type, subject_id, verify_subject(subject_type, subject_id)
