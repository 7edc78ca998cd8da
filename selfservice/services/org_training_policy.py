"""Organisations' training policies: an owner or admin sets one on the organisation's chain.

The policy is copied onto each member's chain (method ``org_policy``) when it takes effect for
them (policy set, member joined) and when it stops (policy back to "members choose", member
left), so an account's own chain alone answers "could its content be used for training at time
T". The host tells the plugin who the members are (``org_members_loader``) and calls
:func:`sync_membership` when someone joins or leaves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..identity import Identity, Organisation
from ..ledger import append_consent, lock_consent_subject, record_audit
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
from .account_chain import append_account_event, lock_preferences
from .consent_types import (
    SYSTEM,
    Actor,
    NoOrganisation,
    NotOrgAdmin,
    OrgPolicyRow,
    OrgPolicyView,
    PreferencesRow,
    UnknownPolicyVersion,
    policy_version,
)

_ORG_GRANTED = {OrgPolicy.OPTED_IN: True, OrgPolicy.OPTED_OUT: False,
                OrgPolicy.MEMBERS_CHOOSE: None}


def org_policy_view(row: OrgPolicyRow | None, org_id: str) -> OrgPolicyView:
    """The organisation's policy row as a view (``members_choose`` when it never set one)."""
    if row is None:
        return OrgPolicyView(org_id, OrgPolicy.MEMBERS_CHOOSE, None, None)
    return OrgPolicyView(org_id, row.policy, row.set_by, row.set_at if row.head_seq else None)


def _last_own_training(session: Session, account_id: str) -> ConsentEvent | None:
    """The account's own last training choice (not an organisation's)."""
    return session.scalar(
        sa.select(ConsentEvent)
        .where(ConsentEvent.subject_type == SubjectType.ACCOUNT.value,
               ConsentEvent.subject_id == account_id,
               ConsentEvent.purpose == Purpose.TRAINING.value,
               ConsentEvent.method != ConsentMethod.ORG_POLICY.value)
        .order_by(ConsentEvent.seq.desc()).limit(1))


def reconcile_training(session: Session, prefs: PrivacyPreferences, org: Organisation | None,
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
    return append_account_event(session, prefs, Purpose.TRAINING, want,
                                ConsentMethod.ORG_POLICY, actor, version, details, at=at)


def needs_reconcile(prefs: PreferencesRow | None, org: Organisation | None,
                    org_row: OrgPolicyRow | None) -> bool:
    """Would :func:`reconcile_training` change the account's training now? (Nothing locked:
    a read can tell it needs no transaction.)"""
    locked_org = prefs.training_org_id if prefs else None
    if org is not None and org_row is not None and org_row.policy != OrgPolicy.MEMBERS_CHOOSE:
        want = org_row.policy == OrgPolicy.OPTED_IN
        return locked_org != org.id or bool(prefs and prefs.training_opt_in) != want
    return locked_org is not None


def get_org_policy(org_id: str) -> OrgPolicyView:
    """The organisation's training policy now."""
    with get_state().db.read() as session:
        return org_policy_view(session.get(OrgTrainingPolicy, org_id), org_id)


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
            return org_policy_view(row, org_id)
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
            prefs = lock_preferences(session, member.account_id)
            reconcile_training(session, prefs, member.org, actor, org_event_id=event.id,
                               at=event.at)
        return org_policy_view(row, org_id)


def sync_membership(account_id: str) -> ConsentEvent | None:
    """The host calls this when an account joins or leaves an organisation (or its role
    there changes): the organisation's policy starts or stops deciding its training now.
    Leaving restores the account's own choice."""
    state = get_state()
    identity = state.extension.load_identity(account_id)
    org = identity.org if identity is not None else None
    with state.db.transaction() as session:
        prefs = lock_preferences(session, account_id)
        return reconcile_training(session, prefs, org, SYSTEM)
