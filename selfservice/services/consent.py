"""Privacy preferences and the consent ledger: the one service that changes them.

Every change, by anyone, is an append-only, hash-chained consent event on its subject's chain
(an account, or an organisation for its training policy). ``selfservice_preferences`` and
``selfservice_org_policies`` are projections of those chains for fast reads; the as-of
question of the training pipeline is answered from the chains themselves.

An organisation's training policy is copied onto each member's chain (method ``org_policy``)
when it takes effect for them (policy set, member joined) and when it stops (policy back to
"members choose", member left), so an account's own chain alone answers "could its content be
used for training at time T". The host tells the plugin who the members are
(``org_members_loader``) and calls :func:`sync_membership` when someone joins or leaves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..identity import Identity, Organisation
from ..ledger import (
    ChainReport,
    append_consent,
    consent_events,
    lock_consent_subject,
    record_audit,
)
from ..models import (
    ConsentEvent,
    ConsentMethod,
    OrgPolicy,
    OrgTrainingPolicy,
    PrivacyPreferences,
    Purpose,
    SubjectType,
)
from ..state import get_state
from . import outbox
from .audit import account_stream
from .consent_types import (
    PREFERENCE_OF,
    PREFERENCE_PURPOSES,
    SYSTEM,
    Actor,
    ConsentError,
    NoOrganisation,
    NotOrgAdmin,
    OrgPolicyView,
    PreferencesView,
    TrainingLocked,
    UnknownPolicyVersion,
    policy_version,
)
from .consent_verification import verify_events

_ORG_GRANTED = {OrgPolicy.OPTED_IN: True, OrgPolicy.OPTED_OUT: False,
                OrgPolicy.MEMBERS_CHOOSE: None}
CONFIRMATION_JOB = "mail.training_confirmation"


def _org_view(row: OrgTrainingPolicy | None, org_id: str) -> OrgPolicyView:
    if row is None:
        return OrgPolicyView(org_id, OrgPolicy.MEMBERS_CHOOSE, None, None)
    return OrgPolicyView(org_id, row.policy, row.set_by, row.set_at if row.head_seq else None)


def _view(prefs: PrivacyPreferences, org_row: OrgTrainingPolicy | None) -> PreferencesView:
    locked = (_org_view(org_row, prefs.training_org_id)
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


# -- the chains' projections ------------------------------------------------------------------

def _prefs_locked(session: Session, account_id: str) -> PrivacyPreferences:
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


def _append_account(session: Session, prefs: PrivacyPreferences, purpose: Purpose,
                    granted: bool, method: ConsentMethod, actor: Actor, version: str,
                    details: Mapping[str, Any] | None = None,
                    at: datetime | None = None) -> ConsentEvent:
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


def _last_own_training(session: Session, account_id: str) -> ConsentEvent | None:
    """The account's own last training choice (not an organisation's)."""
    return session.scalar(
        sa.select(ConsentEvent)
        .where(ConsentEvent.subject_type == SubjectType.ACCOUNT.value,
               ConsentEvent.subject_id == account_id,
               ConsentEvent.purpose == Purpose.TRAINING.value,
               ConsentEvent.method != ConsentMethod.ORG_POLICY.value)
        .order_by(ConsentEvent.seq.desc()).limit(1))


def _reconcile(session: Session, prefs: PrivacyPreferences, org: Organisation | None,
               actor: Actor, org_event_id: str | None = None,
               at: datetime | None = None) -> ConsentEvent | None:
    """Bring the account's training in line with its organisation's policy now (the chain
    must be locked). Appends an ``org_policy`` event when the lock starts, ends or flips."""
    org_row = session.get(OrgTrainingPolicy, org.id) if org is not None else None
    if org is not None and org_row is not None and org_row.policy != OrgPolicy.MEMBERS_CHOOSE:
        want_org: str | None = org.id
        want = org_row.policy == OrgPolicy.OPTED_IN
    else:
        want_org, want = None, bool(prefs.own_training_opt_in)
    if prefs.training_org_id == want_org and bool(prefs.training_opt_in) == want:
        return None
    decided_by = want_org or prefs.training_org_id
    still_member = org is not None and org.id == decided_by
    decided_row = org_row if still_member else session.get(OrgTrainingPolicy, decided_by)
    details: dict[str, Any] = {
        "org_id": decided_by,
        "org_policy": decided_row.policy if decided_row else OrgPolicy.MEMBERS_CHOOSE.value,
        "member": still_member,
    }
    if org_event_id:
        details["org_event_id"] = org_event_id
    version = policy_version()
    if want_org is None:
        # the account's own choice applies again: it was made under its own policy version
        own = _last_own_training(session, prefs.account_id)
        if own is not None:
            version = own.policy_version
            details["restores_event_id"] = own.id
    prefs.training_org_id = want_org
    return _append_account(session, prefs, Purpose.TRAINING, want, ConsentMethod.ORG_POLICY,
                           actor, version, details, at=at)


def _needs_reconcile(prefs: PrivacyPreferences | None, org: Organisation | None,
                     org_row: OrgTrainingPolicy | None) -> bool:
    locked_org = prefs.training_org_id if prefs else None
    if org is not None and org_row is not None and org_row.policy != OrgPolicy.MEMBERS_CHOOSE:
        want = org_row.policy == OrgPolicy.OPTED_IN
        return locked_org != org.id or bool(prefs and prefs.training_opt_in) != want
    return locked_org is not None


# -- reading ----------------------------------------------------------------------------------

def get_preferences(identity: Identity) -> PreferencesView:
    """The account's preferences, first catching up with an organisation change the host did
    not report (joined a locked organisation, left one)."""
    db = get_state().db
    with db.read() as session:
        prefs = session.get(PrivacyPreferences, identity.account_id)
        org_row = session.get(OrgTrainingPolicy, identity.org.id) if identity.org else None
        if not _needs_reconcile(prefs, identity.org, org_row):
            return _preferences_view(session, prefs, identity.account_id)
    with db.transaction() as session:
        prefs = _prefs_locked(session, identity.account_id)
        _reconcile(session, prefs, identity.org, SYSTEM)
        return _preferences_view(session, prefs, identity.account_id)


def _preferences_view(session: Session, prefs: PrivacyPreferences | None,
                      account_id: str) -> PreferencesView:
    if prefs is None:
        prefs = PrivacyPreferences(
            account_id=account_id, training_opt_in=False, own_training_opt_in=False,
            training_org_id=None, marketing_emails=False, limit_sensitive_data=False,
            do_not_sell_or_share=False, head_seq=0)
    locked_row = (session.get(OrgTrainingPolicy, prefs.training_org_id)
                  if prefs.training_org_id else None)
    return _view(prefs, locked_row)


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
        prefs = _prefs_locked(session, identity.account_id)
        reconciled = _reconcile(session, prefs, identity.org, SYSTEM)
        if reconciled is not None:
            events.append(reconciled)
        wanted = changes.get("training_opt_in")
        if (wanted is not None and prefs.training_org_id is not None
                and bool(wanted) != bool(prefs.training_opt_in)):
            raise TrainingLocked(_org_view(session.get(OrgTrainingPolicy,
                                                       prefs.training_org_id),
                                           prefs.training_org_id))
        for field, purpose in PREFERENCE_PURPOSES.items():
            if field not in changes or bool(changes[field]) == bool(getattr(prefs, field)):
                continue
            value = bool(changes[field])
            if purpose is Purpose.TRAINING:
                prefs.own_training_opt_in = value
            events.append(_append_account(session, prefs, purpose, value, method, actor,
                                          current_version))
        return _preferences_view(session, prefs, identity.account_id), events


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
    with state.db.transaction() as session:
        prefs = _prefs_locked(session, account_id)
        _reconcile(session, prefs, identity.org, SYSTEM)
        if purpose is Purpose.TRAINING and prefs.training_org_id is not None:
            raise TrainingLocked(_org_view(session.get(OrgTrainingPolicy,
                                                       prefs.training_org_id),
                                           prefs.training_org_id))
        if purpose is Purpose.TRAINING:
            prefs.own_training_opt_in = granted
        return _append_account(session, prefs, purpose, granted,
                               ConsentMethod.WRITTEN_AGREEMENT, Actor.account(officer_id),
                               version or policy_version(), {"document": document})


def honour_gpc(account_id: str) -> bool:
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
        prefs = _prefs_locked(session, account_id)
        if prefs.do_not_sell_or_share or prefs.gpc_honoured_at is not None:
            return False
        event = _append_account(session, prefs, Purpose.DO_NOT_SELL_OR_SHARE, True,
                                ConsentMethod.GPC, SYSTEM, policy_version(),
                                {"signal": "Sec-GPC: 1"})
        prefs.gpc_honoured_at = event.at
        return True


# -- organisations ----------------------------------------------------------------------------

def get_org_policy(org_id: str) -> OrgPolicyView:
    with get_state().db.read() as session:
        return _org_view(session.get(OrgTrainingPolicy, org_id), org_id)


def set_org_policy(identity: Identity, policy: OrgPolicy, *, method: ConsentMethod,
                   version: str | None = None) -> OrgPolicyView:
    """An organisation owner or admin sets the training policy of its workspace. The change
    is on the organisation's chain, and on each member's chain in the same transaction."""
    state = get_state()
    if identity.org is None:
        raise NoOrganisation("you are not a member of an organisation")
    if not identity.org.is_admin:
        raise NotOrgAdmin("only the organisation's owner or admins set its training policy")
    current_version = policy_version()
    if version is not None and version != current_version:
        raise UnknownPolicyVersion(version, current_version)
    org_id = identity.org.id
    members = []
    for member_id in sorted(set(state.extension.org_members(org_id))):
        member = state.extension.load_identity(member_id)
        if member is not None:
            members.append(member)
    actor = Actor.account(identity.account_id)
    with state.db.transaction() as session:
        lock_consent_subject(session, SubjectType.ORGANISATION, org_id)
        row = session.get(OrgTrainingPolicy, org_id, populate_existing=True)
        if row is not None and row.policy == policy and row.head_seq:
            return _org_view(row, org_id)
        if row is None:
            row = OrgTrainingPolicy(org_id=org_id, head_seq=0, head_hash="0" * 64)
            session.add(row)
        event = append_consent(
            session, subject_type=SubjectType.ORGANISATION, subject_id=org_id,
            purpose=Purpose.TRAINING, granted=_ORG_GRANTED[policy], method=method,
            policy_version=current_version, actor_type=actor.type, actor_id=actor.id,
            details={"policy": policy.value})
        row.policy, row.set_by, row.set_at = policy.value, identity.account_id, event.at
        row.head_seq, row.head_hash = event.seq, event.hash
        record_audit(session, stream=f"org:{org_id}", action="org.training_policy",
                     actor_type=actor.type, actor_id=actor.id, target_type="organisation",
                     target_id=org_id, details={"policy": policy.value, "seq": event.seq,
                                                "hash": event.hash})
        session.flush()
        for member in members:
            prefs = _prefs_locked(session, member.account_id)
            _reconcile(session, prefs, member.org, actor, org_event_id=event.id, at=event.at)
        return _org_view(row, org_id)


def sync_membership(account_id: str) -> ConsentEvent | None:
    """The host calls this when an account joins or leaves an organisation (or its role
    there changes): the organisation's policy starts or stops deciding its training now.
    Leaving restores the account's own choice."""
    state = get_state()
    identity = state.extension.load_identity(account_id)
    org = identity.org if identity is not None else None
    with state.db.transaction() as session:
        prefs = _prefs_locked(session, account_id)
        return _reconcile(session, prefs, org, SYSTEM)
