"""The deletion plan: what deletion will do to each kind of data, shown before the customer
confirms and frozen (as ErasureStep rows) the moment they do, so a later change of the
registry or the configuration cannot alter what was promised."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..deletion_hooks import Blocker
from ..identity import Identity
from ..models import (
    OPEN_STATUSES,
    Deletion,
    ErasureAction,
    ErasureStep,
    PrivacyRequest,
    RequestType,
    StepKind,
)
from ..sources import DataSource, Subject
from ..state import get_state
from ..translation import N_

ACCOUNT_STEP = "account"

#: what a manual step means for the customer
MANUAL_REASON = N_("There is no automatic way to erase these records yet: a privacy officer "
                    "erases them by hand and confirms it. Your deletion completes only after "
                    "that.")
#: said of every deletion, whatever the sources
ALWAYS_IRREVERSIBLE = (
    N_("Once erasure starts, it cannot be stopped, and erased data cannot be restored, not "
       "even by our support team."),
)


@dataclass(frozen=True)
class PlanLine:
    """One kind of data (or a recipient, or the account itself) and what deletion does."""

    kind: str
    name: str
    description: str
    action: str
    records: int | None = None
    legal_basis: str | None = None
    reason: str = ""
    retained_until: datetime | None = None
    irreversible: str = ""
    #: after confirmation: how far erasure has got with it
    status: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "action": self.action, "records": self.records,
                "legal_basis": self.legal_basis, "reason": self.reason,
                "retained_until": (self.retained_until.isoformat()
                                   if self.retained_until else None),
                "irreversible": self.irreversible or None, "status": self.status}


@dataclass
class Plan:
    grace_days: int
    #: when erasure starts (the point of no return): the expected date before confirmation
    scheduled_for: datetime | None
    frozen_at: datetime | None
    lines: list[PlanLine] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    irreversible: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[PlanLine]:
        return [line for line in self.lines if line.kind == StepKind.SOURCE]

    @property
    def recipients(self) -> list[PlanLine]:
        return [line for line in self.lines if line.kind == StepKind.RECIPIENT]

    @property
    def account(self) -> PlanLine | None:
        return next((line for line in self.lines if line.kind == StepKind.ACCOUNT), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "grace_days": self.grace_days,
            "scheduled_for": (self.scheduled_for.isoformat()
                              if self.frozen_at and self.scheduled_for else None),
            "starts_if_confirmed_now": (None if self.frozen_at or self.scheduled_for is None
                                        else self.scheduled_for.isoformat()),
            "frozen_at": self.frozen_at.isoformat() if self.frozen_at else None,
            "sources": [line.as_json() for line in self.sources],
            "recipients": [{"name": line.name, "description": line.description,
                            "status": line.status} for line in self.recipients],
            "account": self.account.as_json() if self.account else None,
            "blockers": [{"code": b.code, "message": b.message, "action_url": b.action_url,
                          "action_label": b.action_label} for b in self.blockers],
            "irreversible": list(self.irreversible),
        }


def grace_days() -> int:
    return int(get_state().setting("DELETION_GRACE_DAYS"))


def _count(source: DataSource, subject: Subject) -> int | None:
    return int(source.count(subject)) if source.count is not None else None


def _source_line(source: DataSource, action: str, subject: Subject,
                 starts: datetime) -> PlanLine:
    reason = source.erasure_reason
    legal_basis: str | None = source.legal_basis
    retained_until = None
    if action == ErasureAction.RETAIN:
        legal_basis = source.retain_legal_basis or source.legal_basis
        days = source.retain_days if source.retain_days is not None else source.retention_days
        retained_until = starts + timedelta(days=days) if days is not None else None
    elif action == ErasureAction.MANUAL:
        reason = MANUAL_REASON
    return PlanLine(kind=StepKind.SOURCE, name=source.name, description=source.description,
                    action=action, records=_count(source, subject), legal_basis=legal_basis,
                    reason=reason, retained_until=retained_until,
                    irreversible=source.irreversible)


def _lines(identity: Identity, starts: datetime) -> Iterator[PlanLine]:
    """Every step in the order erasure runs them: the host's sources, the plugin's own
    records, the recipients, and the account itself last."""
    extension = get_state().extension
    registry = extension.sources
    registry.check_erasers()
    subject = Subject(account_id=identity.account_id,
                      org_id=identity.org.id if identity.org else None)
    ordered = ([s for s in registry if not s.builtin] + [s for s in registry if s.builtin])
    for source in ordered:
        yield _source_line(source, registry.erasure_of(source), subject, starts)
    for recipient in extension.deletion.recipients.values():
        yield PlanLine(kind=StepKind.RECIPIENT, name=recipient.name,
                       description=recipient.description, action=ErasureAction.ERASE,
                       reason=N_("Told to erase what they hold about you."))
    has_eraser = extension.deletion.account_eraser is not None
    yield PlanLine(kind=StepKind.ACCOUNT, name=ACCOUNT_STEP,
                   description=N_("Your account itself: sign-in, profile and settings"),
                   action=ErasureAction.ERASE if has_eraser else ErasureAction.MANUAL,
                   reason="" if has_eraser else MANUAL_REASON)


def _blocker(code: str, message_id: str, action_url: str | None = None,
             action_label: str | None = None, **values: str) -> Blocker:
    """One of the plugin's blockers: its message in English, and its id and values for a page
    in another language."""
    return Blocker(code, message_id % values, action_url=action_url, action_label=action_label,
                   message_id=message_id, values=tuple(sorted(values.items())))


def _plugin_blockers(identity: Identity, session: Session) -> list[Blocker]:
    state = get_state()
    blockers: list[Blocker] = []
    staff = [role for role in (state.setting("SUPPORT_ROLE"),
                               state.setting("PRIVACY_OFFICER_ROLE")) if identity.has_role(role)]
    if staff:
        blockers.append(_blocker(
            "staff_account",
            N_("Your account is a staff account (%(roles)s). Ask a privacy officer to remove "
               "the staff role first: what you did on customers' requests stays in their "
               "records."), roles=", ".join(staff)))
    export = session.scalar(sa.select(PrivacyRequest).where(
        PrivacyRequest.account_id == identity.account_id,
        PrivacyRequest.type == RequestType.EXPORT,
        PrivacyRequest.status.in_(OPEN_STATUSES)).limit(1))
    if export is not None:
        blockers.append(_blocker(
            "export_in_progress",
            N_("Your data export %(reference)s is still being prepared. Wait until it is "
               "ready and download it (or cancel it), then come back."),
            action_url=f"{state.setting('URL_PREFIX')}/requests/{export.id}",
            action_label=N_("See the export"), reference=export.reference))
    return blockers


def blockers_for(identity: Identity, session: Session) -> list[Blocker]:
    """What stops the deletion now: the plugin's own reasons, then the host's."""
    host = get_state().extension.deletion.blockers(identity.account_id)
    return _plugin_blockers(identity, session) + list(host)


def preview(identity: Identity, session: Session, now: datetime | None = None) -> Plan:
    """The plan as it would be frozen if the customer confirmed now."""
    now = now or utcnow()
    days = grace_days()
    starts = now + timedelta(days=days)
    lines = list(_lines(identity, starts))
    irreversible = [line.irreversible for line in lines if line.irreversible]
    return Plan(grace_days=days, scheduled_for=starts, frozen_at=None, lines=lines,
                blockers=blockers_for(identity, session),
                irreversible=irreversible + list(ALWAYS_IRREVERSIBLE))


def freeze(session: Session, plan: Plan, request: PrivacyRequest, deletion: Deletion) -> None:
    """Write the plan's lines as the request's erasure steps (in the caller's transaction)."""
    deletion.irreversible = list(plan.irreversible)
    for position, line in enumerate(plan.lines, start=1):
        session.add(ErasureStep(
            request_id=request.id, position=position, kind=line.kind, name=line.name,
            description=line.description[:300], action=line.action,
            legal_basis=line.legal_basis, reason=line.reason,
            retain_days=_retain_days(line, deletion), retained_until=line.retained_until,
            irreversible=line.irreversible, planned_records=line.records))


def _retain_days(line: PlanLine, deletion: Deletion) -> int | None:
    if line.retained_until is None:
        return None
    return max(0, (line.retained_until - deletion.scheduled_for).days)


def frozen(session: Session, deletion: Deletion) -> Plan:
    """The plan as the customer confirmed it, with how far erasure has got."""
    steps = session.scalars(sa.select(ErasureStep)
                            .where(ErasureStep.request_id == deletion.request_id)
                            .order_by(ErasureStep.position))
    lines = [PlanLine(kind=s.kind, name=s.name, description=s.description, action=s.action,
                      records=s.records if s.records is not None else s.planned_records,
                      legal_basis=s.legal_basis, reason=s.reason,
                      retained_until=s.retained_until, irreversible=s.irreversible,
                      status=s.status) for s in steps]
    return Plan(grace_days=deletion.grace_days, scheduled_for=deletion.scheduled_for,
                frozen_at=deletion.confirmed_at, lines=lines,
                irreversible=list(deletion.irreversible or []))


def plan_for(identity: Identity, request: PrivacyRequest) -> Plan:
    """The frozen plan once the request is confirmed; a live preview before."""
    with get_state().db.read() as session:
        deletion = session.get(Deletion, request.id)
        if deletion is not None:
            return frozen(session, deletion)
        return preview(identity, session)
