"""An account's privacy preferences: read them, change them, list the account's consent events.

Every change, by anyone (the customer in the console or the API, a privacy officer recording a
written agreement, a Global Privacy Control signal, an organisation's policy reaching a member),
is an append-only, hash-chained consent event on the account's chain (``account_chain``);
``selfservice_preferences`` is its projection for fast reads. While an organisation's policy
decides training (``org_training_policy``), the account's own training choice cannot change.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..identity import Identity
from ..ledger import ChainReport, consent_events
from ..models import (
    ConsentEvent,
    ConsentMethod,
    OrgTrainingPolicy,
    PrivacyPreferences,
    Purpose,
    SubjectType,
)
from ..state import get_state
from ..text import REFUSAL, is_free_text, is_identifier
from .account_chain import append_account_event, lock_preferences
from .consent_types import (
    PREFERENCE_PURPOSES,
    SYSTEM,
    Actor,
    ConsentError,
    NoPreferences,
    OrgPolicyRow,
    PreferencesRow,
    PreferencesView,
    TrainingLocked,
    UnknownPolicyVersion,
    policy_version,
)
from .consent_verification import verify_events
from .org_training_policy import needs_reconcile, org_policy_view, reconcile_training

# -- reading ----------------------------------------------------------------------------------

#: the reads of every ``GET /preferences``, built once: plain rows by primary key on the
#: request's lookup connection, without an ORM session or object
_PREFERENCES = sa.select(PrivacyPreferences.__table__).where(
    PrivacyPreferences.account_id == sa.bindparam("key"))
_ORG_POLICY = sa.select(OrgTrainingPolicy.__table__).where(
    OrgTrainingPolicy.org_id == sa.bindparam("key"))


def get_preferences(identity: Identity) -> PreferencesView:
    """The account's preferences, first catching up with an organisation change the host did
    not report (joined a locked organisation, left one). Read by key, outside a transaction:
    one statement, two when the account is in an organisation or its training is locked by
    one (three when those differ)."""
    db = get_state().db
    org = identity.org
    with db.lookup_connection() as connection:
        prefs: PreferencesRow | None = connection.execute(
            _PREFERENCES, {"key": identity.account_id}).one_or_none()
        org_row: OrgPolicyRow | None = connection.execute(
            _ORG_POLICY, {"key": org.id}).one_or_none() if org else None
        if not needs_reconcile(prefs, org, org_row):
            locked_id = prefs.training_org_id if prefs else None
            if locked_id is not None and (org_row is None or org_row.org_id != locked_id):
                org_row = connection.execute(_ORG_POLICY, {"key": locked_id}).one_or_none()
            return _view(prefs or NoPreferences(identity.account_id),
                         org_row if locked_id is not None else None)
    with db.transaction() as session:
        prefs = lock_preferences(session, identity.account_id)
        reconcile_training(session, prefs, identity.org, SYSTEM)
        return _preferences_view(session, prefs, identity.account_id)


def _preferences_view(session: Session, prefs: PrivacyPreferences | None,
                      account_id: str) -> PreferencesView:
    locked_row = (session.get(OrgTrainingPolicy, prefs.training_org_id)
                  if prefs is not None and prefs.training_org_id else None)
    return _view(prefs or NoPreferences(account_id), locked_row)


def _view(prefs: PreferencesRow, org_row: OrgPolicyRow | None) -> PreferencesView:
    locked = (org_policy_view(org_row, prefs.training_org_id)
              if prefs.training_org_id is not None else None)
    return PreferencesView(
        account_id=prefs.account_id, training_opt_in=bool(prefs.training_opt_in),
        own_training_opt_in=bool(prefs.own_training_opt_in),
        marketing_emails=bool(prefs.marketing_emails),
        limit_sensitive_data=bool(prefs.limit_sensitive_data),
        do_not_sell_or_share=bool(prefs.do_not_sell_or_share), org_policy=locked,
        gpc_honoured_at=prefs.gpc_honoured_at,
        updated_at=prefs.updated_at if prefs.head_seq else None,
        head_seq=prefs.head_seq or 0)


def list_events(account_id: str, purpose: str | None = None
                ) -> tuple[list[ConsentEvent], ChainReport]:
    """The account's consent events (oldest first) and whether its whole chain verifies."""
    with get_state().db.read() as session:
        events = consent_events(session, SubjectType.ACCOUNT, account_id)
        report = verify_events(session, SubjectType.ACCOUNT, account_id, events)
    if purpose is not None:
        events = [e for e in events if e.purpose == purpose]
    return events, report


def get_event(account_id: str, event_id: str) -> ConsentEvent | None:
    """One of the account's events; None for anyone else's (the caller answers 404)."""
    if not is_identifier(event_id):
        return None  # no id of ours; and PostgreSQL refuses a NUL byte even to look it up
    with get_state().db.read() as session:
        event = session.get(ConsentEvent, event_id)
    if (event is None or event.subject_type != SubjectType.ACCOUNT
            or event.subject_id != account_id):
        return None
    return event


# -- changing ---------------------------------------------------------------------------------

def change_preferences(identity: Identity, changes: Mapping[str, bool], *,
                       method: ConsentMethod, actor: Actor | None = None,
                       version: str | None = None
                       ) -> tuple[PreferencesView, list[ConsentEvent]]:
    """Set any of the four preferences. One event per value that actually changes; all or
    nothing. Training cannot change while an organisation's policy decides it."""
    unknown = set(changes) - set(PREFERENCE_PURPOSES)
    if unknown:
        raise ValueError(f"unknown preferences: {sorted(unknown)}")
    current_version = policy_version()
    if version is not None and version != current_version:
        raise UnknownPolicyVersion(version, current_version)
    actor = actor or Actor.account(identity.account_id)
    events: list[ConsentEvent] = []
    with get_state().db.transaction() as session:
        prefs = lock_preferences(session, identity.account_id)
        reconciled = reconcile_training(session, prefs, identity.org, SYSTEM)
        if reconciled is not None:
            events.append(reconciled)
        wanted = changes.get("training_opt_in")
        if (wanted is not None and prefs.training_org_id is not None
                and bool(wanted) != bool(prefs.training_opt_in)):
            raise _training_locked(session, prefs.training_org_id)
        for field, purpose in PREFERENCE_PURPOSES.items():
            if field not in changes or bool(changes[field]) == bool(getattr(prefs, field)):
                continue
            value = bool(changes[field])
            if purpose is Purpose.TRAINING:
                prefs.own_training_opt_in = value
            events.append(append_account_event(session, prefs, purpose, value, method,
                                               actor, current_version))
        return _preferences_view(session, prefs, identity.account_id), events


def _training_locked(session: Session, org_id: str) -> TrainingLocked:
    """The refusal of a training change while ``org_id``'s policy decides it."""
    return TrainingLocked(org_policy_view(session.get(OrgTrainingPolicy, org_id), org_id))


def record_written_agreement(account_id: str, purpose: Purpose, granted: bool, *,
                             document: str, officer_id: str,
                             version: str | None = None) -> ConsentEvent:
    """A privacy officer records a choice the customer made in writing (a signed agreement,
    a letter): method ``written_agreement`` with the document's reference."""
    state = get_state()
    identity = state.extension.load_identity(account_id)
    if identity is None:
        raise ConsentError(f"no account {account_id!r}")
    officer = state.extension.load_identity(officer_id)
    if officer is None or not officer.has_role(state.setting("PRIVACY_OFFICER_ROLE")):
        raise ConsentError(f"{officer_id!r} is not a privacy officer")
    document = document.strip()
    if not document or len(document) > 200:
        raise ConsentError("the document reference must be 1-200 characters")
    if not is_free_text(document):
        raise ConsentError(f"the document reference {REFUSAL}")
    with state.db.transaction() as session:
        prefs = lock_preferences(session, account_id)
        reconcile_training(session, prefs, identity.org, SYSTEM)
        if purpose is Purpose.TRAINING and prefs.training_org_id is not None:
            raise _training_locked(session, prefs.training_org_id)
        if purpose is Purpose.TRAINING:
            prefs.own_training_opt_in = granted
        return append_account_event(session, prefs, purpose, granted,
                                    ConsentMethod.WRITTEN_AGREEMENT, Actor.account(officer_id),
                                    version or policy_version(), {"document": document})


def record_gpc_opt_out(account_id: str) -> bool:
    """A Global Privacy Control signal from the logged-in customer: turn on "do not sell or
    share" (method ``gpc``) unless it is on already or the customer, told about the signal,
    later turned it off themselves. Returns whether an event was recorded."""
    db = get_state().db
    with db.read() as session:
        current = session.get(PrivacyPreferences, account_id)
        if current is not None and (current.do_not_sell_or_share
                                    or current.gpc_honoured_at is not None):
            return False
    with db.transaction() as session:
        prefs = lock_preferences(session, account_id)
        if prefs.do_not_sell_or_share or prefs.gpc_honoured_at is not None:
            return False
        event = append_account_event(session, prefs, Purpose.DO_NOT_SELL_OR_SHARE, True,
                                     ConsentMethod.GPC, SYSTEM, policy_version(),
                                     {"signal": "Sec-GPC: 1"})
        prefs.gpc_honoured_at = event.at
        return True
