"""Sub-processor change notices: an organisation's owners and admins subscribe it, and each
announced change is e-mailed once to every subscribed organisation's owners and admins.

The fan-out job (:data:`NOTIFY_JOB`) runs once a day, again as soon as a worker sees a new set
of announced changes (its daily key: a new configuration deployed), and for one organisation
when it subscribes while changes are announced. For each (change, organisation) not told yet it
writes a :class:`SubprocessorNotice` row and, in the same transaction, one e-mail job per owner
or admin (ids only: the notice's and the account's). The unique row means a second run, or two
at once, tells no one twice; the outbox means a crash or a Redis outage loses no e-mail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import subprocessors
from ..db import utcnow
from ..identity import Identity
from ..ledger import record_audit
from ..models import SubprocessorNotice, SubprocessorSubscription, new_id
from ..state import get_state
from .consent_types import NoOrganisation, NotOrgAdmin
from .outbox import schedule

NOTIFY_JOB = "subprocessors.notify"
MAIL_JOB = "subprocessors.notice_mail"


@dataclass(frozen=True)
class SubscriptionView:
    """Whether an organisation gets the notices, as one of its members sees it."""

    org_id: str
    org_name: str
    subscribed: bool
    subscribed_at: datetime | None
    #: the viewer is an owner or admin of the organisation
    can_change: bool

    def as_json(self) -> dict[str, Any]:
        return {"org": {"id": self.org_id, "name": self.org_name},
                "subscribed": self.subscribed,
                "subscribed_at": self.subscribed_at.isoformat() if self.subscribed_at
                else None,
                "can_change": self.can_change}


def org_stream(org_id: str) -> str:
    return f"org:{org_id}"


def _view(identity: Identity, row: SubprocessorSubscription | None) -> SubscriptionView:
    assert identity.org is not None
    return SubscriptionView(identity.org.id, identity.org.name, row is not None,
                            row.subscribed_at if row else None, identity.org.is_admin)


def subscription(identity: Identity) -> SubscriptionView:
    """Whether the identity's organisation is subscribed (NoOrganisation without one)."""
    if identity.org is None:
        raise NoOrganisation("you are not a member of an organisation")
    with get_state().db.read() as session:
        return _view(identity, session.get(SubprocessorSubscription, identity.org.id))


def set_subscription(identity: Identity, subscribed: bool) -> SubscriptionView:
    """An owner or admin subscribes the organisation (it then gets the notices of changes
    already announced too) or unsubscribes it. Setting what is already set changes nothing."""
    org = identity.org
    if org is None:
        raise NoOrganisation("you are not a member of an organisation")
    if not org.is_admin:
        raise NotOrgAdmin("only the organisation's owner or admins subscribe it")
    with get_state().db.transaction() as session:
        row = session.get(SubprocessorSubscription, org.id, with_for_update=True)
        if subscribed == (row is not None):
            return _view(identity, row)
        if subscribed:
            row = SubprocessorSubscription(org_id=org.id, subscribed_by=identity.account_id,
                                           subscribed_at=utcnow())
            try:
                with session.begin_nested():  # another admin's click, at the same moment
                    session.add(row)
            except IntegrityError:
                return _view(identity, session.get(SubprocessorSubscription, org.id))
            if subprocessors.upcoming(get_state().config):
                schedule(session, NOTIFY_JOB, target_type="organisation", target_id=org.id,
                         actor_type="account", actor_id=identity.account_id)
        else:
            session.delete(row)
            row = None
        record_audit(session, stream=org_stream(org.id),
                     action="subprocessors.subscribed" if subscribed
                     else "subprocessors.unsubscribed",
                     actor_type="account", actor_id=identity.account_id,
                     target_type="organisation", target_id=org.id)
        return _view(identity, row)


def announcement_key() -> str:
    """Names the set of changes customers may still object to: a new one (a change announced,
    or one taking effect) has the dispatcher ask for the fan-out again the same day."""
    ids = ",".join(sorted(change.id for change in subprocessors.upcoming(get_state().config)))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def org_admins(org_id: str) -> list[Identity]:
    """The organisation's owners and admins, as the host tells them now."""
    extension = get_state().extension
    found = []
    for account_id in sorted(set(extension.org_members(org_id))):
        identity = extension.load_identity(account_id)
        if identity is not None and identity.org is not None and identity.org.id == org_id \
                and identity.org.is_admin:
            found.append(identity)
    return found


def notify(org_id: str | None = None) -> dict[str, int]:
    """Tell every subscribed organisation (or only ``org_id``) of every announced change it was
    not told of yet. Returns how many notices and e-mails were asked for."""
    state = get_state()
    pending = subprocessors.upcoming(state.config)
    if not pending:
        return {"changes": 0, "notices": 0, "emails": 0}
    query = sa.select(SubprocessorSubscription.org_id).order_by(SubprocessorSubscription.org_id)
    if org_id is not None:
        query = query.where(SubprocessorSubscription.org_id == org_id)
    with state.db.read() as session:
        orgs = list(session.scalars(query))
        told = {(change_id, org) for change_id, org in session.execute(
            sa.select(SubprocessorNotice.change_id, SubprocessorNotice.org_id)
            .where(SubprocessorNotice.change_id.in_([change.id for change in pending])))}
    notices = emails = 0
    for org in orgs:
        missing = [change for change in pending if (change.id, org) not in told]
        if not missing:
            continue
        admins = org_admins(org)  # the host's callbacks, outside any transaction
        for change in missing:
            sent = _tell(org, change, admins)
            if sent is not None:
                notices, emails = notices + 1, emails + sent
    return {"changes": len(pending), "notices": notices, "emails": emails}


def _tell(org_id: str, change: subprocessors.Change, admins: list[Identity]) -> int | None:
    """One organisation told of one change: the notice row and an e-mail job per owner or
    admin, in one transaction. None when it was told already (or is no longer subscribed)."""
    with get_state().db.transaction() as session:
        if session.get(SubprocessorSubscription, org_id) is None:
            return None
        notice = SubprocessorNotice(id=new_id(), change_id=change.id, org_id=org_id,
                                    created_at=utcnow(), recipients=len(admins))
        try:
            with session.begin_nested():  # a twin run may have told it since we looked
                session.add(notice)
        except IntegrityError:
            return None
        for admin in admins:
            schedule(session, MAIL_JOB, target_type="subprocessor_notice", target_id=notice.id,
                     params={"account_id": admin.account_id},
                     dedupe_key=f"subprocessor-notice:{notice.id}:{admin.account_id}")
        record_audit(session, stream=org_stream(org_id), action="subprocessors.notified",
                     actor_type="system", target_type="organisation", target_id=org_id,
                     details={"change_id": change.id, "notice_id": notice.id,
                              "recipients": len(admins)})
    return len(admins)
