"""The Privacy settings page at a glance: the state of each area for one account (model
training and marketing and since when, open requests, the next export, the organisation's
policy, the DPA, sub-processor notices, a deletion under way), read through the services in a
fixed number of statements, however many requests or choices the account has."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import dpa_versions, subprocessors
from ..db import utcnow
from ..identity import Identity
from ..models import (
    OPEN_STATUSES,
    ConsentEvent,
    DpaNegotiated,
    OrgTrainingPolicy,
    PrivacyRequest,
    Purpose,
    RequestStatus,
    RequestType,
    SubjectType,
    SubprocessorSubscription,
)
from ..sources import DataSource
from ..state import get_state
from ..subprocessors import Change
from . import consent, dpa, dpa_negotiated, org_training_policy, privacy_requests
from . import subprocessor_notices as notices
from .consent_types import OrgPolicyView, PreferencesView

#: the preferences the page shows with the moment they took their value
_SINCE_PURPOSES = (Purpose.TRAINING, Purpose.MARKETING_EMAILS)


@dataclass(frozen=True)
class Since:
    """A preference's value now, and since when it has had it (None: always, never changed)."""

    on: bool
    since: datetime | None


@dataclass(frozen=True)
class ExportState:
    #: an export being prepared
    preparing: PrivacyRequest | None
    #: the newest export whose archive can still be downloaded
    ready: PrivacyRequest | None
    #: when the next export may be asked for (None: now)
    next_at: datetime | None


@dataclass(frozen=True)
class DpaState:
    """The organisation's DPA as its owners and admins see it at a glance."""

    #: ``none`` (no version in force), ``signed`` (the version in force), ``new_version`` (an
    #: earlier one signed), ``negotiated`` (one of its own, signed outside the console) or
    #: ``not_signed``
    status: str
    current_version: str | None
    #: the organisation's newest standard signature: its version and when
    signed_version: str | None = None
    signed_at: datetime | None = None
    negotiated: DpaNegotiated | None = None


@dataclass(frozen=True)
class Overview:
    preferences: PreferencesView
    training: Since
    marketing: Since
    #: the account's open requests, newest first (a deletion under way among them)
    open_requests: list[PrivacyRequest]
    export: ExportState
    #: the organisation's training policy, for a member of one
    org_policy: OrgPolicyView | None
    #: the host publishes a DPA
    dpa_published: bool
    #: for an organisation's owners and admins
    dpa: DpaState | None
    #: for a member of an organisation
    subscription: notices.SubscriptionView | None
    subprocessors: int
    #: sub-processor changes announced and not in force yet
    upcoming_changes: tuple[Change, ...]
    #: the kinds of data the host registered (the plugin's own records aside)
    sources: int

    @property
    def deletion(self) -> PrivacyRequest | None:
        """The account's deletion request under way, if any."""
        return next((r for r in self.open_requests if r.type == RequestType.DELETION), None)


def since(events: Iterable[tuple[str, bool | None, datetime]], purpose: str,
          value: bool) -> datetime | None:
    """When ``purpose`` took ``value`` and kept it up to now, from the account's events of it
    (oldest first): the first event of the last run that set this value."""
    moment: datetime | None = None
    for event_purpose, granted, at in events:
        if event_purpose != purpose:
            continue
        if bool(granted) != value:
            moment = None
        elif moment is None:
            moment = at
    return moment


def _choices(session: Session, account_id: str) -> list[tuple[str, bool | None, datetime]]:
    rows = session.execute(
        sa.select(ConsentEvent.purpose, ConsentEvent.granted, ConsentEvent.at)
        .where(ConsentEvent.subject_type == SubjectType.ACCOUNT.value,
               ConsentEvent.subject_id == account_id,
               ConsentEvent.purpose.in_([p.value for p in _SINCE_PURPOSES]))
        .order_by(ConsentEvent.seq))
    return [(row.purpose, row.granted, row.at) for row in rows]


def _open_requests(session: Session, account_id: str) -> list[PrivacyRequest]:
    return list(session.scalars(
        sa.select(PrivacyRequest)
        .where(PrivacyRequest.account_id == account_id,
               PrivacyRequest.status.in_(OPEN_STATUSES))
        .order_by(PrivacyRequest.created_at.desc())))


def _ready_export(session: Session, account_id: str) -> PrivacyRequest | None:
    return session.scalar(
        sa.select(PrivacyRequest)
        .where(PrivacyRequest.account_id == account_id,
               PrivacyRequest.type == RequestType.EXPORT,
               PrivacyRequest.status == RequestStatus.COMPLETED,
               PrivacyRequest.archive_name.is_not(None),
               PrivacyRequest.expires_at > utcnow())
        .order_by(PrivacyRequest.created_at.desc()).limit(1))


def dpa_state(identity: Identity) -> DpaState | None:
    """The DPA's status for an organisation's owner or admin; None for anyone else, or when
    the host publishes no DPA."""
    org = identity.org
    if org is None or not org.is_admin:
        return None
    found = dpa.overview(identity)
    if found is None:
        return None
    current = found.current.version if found.current else None
    if found.current is None:
        return DpaState("none", None)
    if found.signed_current is not None:
        mine = found.signed_current
        return DpaState("signed", current, mine.version, mine.signed_at)
    if found.new_version_available:  # so it signed an earlier one: the newest comes first
        earlier = found.signatures[0]
        return DpaState("new_version", current, earlier.version, earlier.signed_at)
    negotiated = dpa_negotiated.of_organisation(org.id)
    if negotiated:
        return DpaState("negotiated", current, negotiated=negotiated[0])
    return DpaState("not_signed", current)


def _organisation(session: Session, identity: Identity
                  ) -> tuple[OrgPolicyView | None, notices.SubscriptionView | None]:
    """The organisation's training policy and whether it gets sub-processor notices."""
    org = identity.org
    if org is None:
        return None, None
    policy = org_training_policy.org_policy_view(session.get(OrgTrainingPolicy, org.id), org.id)
    subscribed = session.get(SubprocessorSubscription, org.id)
    return policy, notices.SubscriptionView(
        org.id, org.name, subscribed is not None,
        subscribed.subscribed_at if subscribed else None, org.is_admin)


def registered_sources() -> list[DataSource]:
    """The kinds of data the host holds about its customers, in the order it registered them
    (the plugin's own records, of choices and requests, aside)."""
    return [s for s in get_state().extension.sources if not s.builtin]


def at_a_glance(identity: Identity) -> Overview:
    """Everything the Privacy settings page shows of ``identity``'s account."""
    state = get_state()
    view = consent.get_preferences(identity)
    with state.db.read() as session:
        choices = _choices(session, identity.account_id)
        open_requests = _open_requests(session, identity.account_id)
        ready = _ready_export(session, identity.account_id)
        next_at = privacy_requests.next_export_at(identity.account_id, session)
        org_policy, subscription = _organisation(session, identity)
    preparing = next((r for r in open_requests if r.type == RequestType.EXPORT), None)
    return Overview(
        preferences=view,
        training=Since(view.training_opt_in, since(choices, Purpose.TRAINING,
                                                   view.training_opt_in)),
        marketing=Since(view.marketing_emails, since(choices, Purpose.MARKETING_EMAILS,
                                                     view.marketing_emails)),
        open_requests=open_requests,
        export=ExportState(preparing, ready, next_at),
        org_policy=org_policy,
        dpa_published=bool(dpa_versions.listed(state.config)),
        dpa=dpa_state(identity),
        subscription=subscription,
        subprocessors=len(subprocessors.listed(state.config)),
        upcoming_changes=subprocessors.upcoming(state.config),
        sources=len(registered_sources()),
    )
