"""Objections to announced sub-processor changes: an owner or admin of an organisation objects,
with a reason, until the change takes effect; the privacy officer reads them by change and
resolves each with a note. One objection per organisation and change: a second one is refused
(the record the privacy officer works from never changes under them). Every step is audited on
the organisation's stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import subprocessors
from ..db import utcnow
from ..identity import Identity
from ..ledger import record_audit
from ..models import ObjectionStatus, SubprocessorObjection, new_id
from ..schemas.base import InvalidInput
from ..state import get_state
from ..text import REFUSAL, is_free_text
from .consent_types import NoOrganisation, NotOrgAdmin
from .subprocessor_notices import org_stream

#: the longest objection or resolution note
MAX_TEXT = 2000


class ChangeNotFound(LookupError):
    """No announced change has this id."""


class ObjectionNotFound(LookupError):
    pass


class ObjectionsClosed(Exception):
    """The change has taken effect: the time to object is over."""

    def __init__(self, change: subprocessors.Change) -> None:
        super().__init__(
            f"Objections to this change closed at the end of "
            f"{change.last_day_to_object.isoformat()} (UTC); it took effect on "
            f"{change.effective_at.isoformat()}. To raise a concern now, write to our privacy "
            "team.")
        self.change = change


class AlreadyObjected(Exception):
    def __init__(self, objection: SubprocessorObjection) -> None:
        super().__init__(f"Your organisation objected to this change on "
                         f"{objection.created_at:%Y-%m-%d}; the privacy officer has it.")
        self.objection = objection


class AlreadyResolved(Exception):
    def __init__(self) -> None:
        super().__init__("This objection was already resolved.")


def checked_text(value: Any, field: str) -> str:
    """Plain text of 1 to MAX_TEXT characters once trimmed, else InvalidInput."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput({field: "is required"})
    if not is_free_text(value):
        raise InvalidInput({field: REFUSAL})
    if len(value.strip()) > MAX_TEXT:
        raise InvalidInput({field: f"must be at most {MAX_TEXT} characters"})
    return value.strip()


def objection_json(row: SubprocessorObjection) -> dict[str, Any]:
    return {"id": row.id, "change_id": row.change_id,
            "org": {"id": row.org_id, "name": row.org_name},
            "reason": row.reason, "created_at": row.created_at.isoformat(),
            "status": row.status,
            "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
            "resolution": row.resolution}


def announced(change_id: str) -> subprocessors.Change:
    """The announced change with this id (in force or not), else ChangeNotFound."""
    change = subprocessors.find(get_state().config, change_id)
    if change is None:
        raise ChangeNotFound(change_id)
    return change


def _org_admin(identity: Identity) -> str:
    if identity.org is None:
        raise NoOrganisation("you are not a member of an organisation")
    if not identity.org.is_admin:
        raise NotOrgAdmin("only the organisation's owner or admins object to a change")
    return identity.org.id


def of_organisation(org_id: str, change_id: str) -> SubprocessorObjection | None:
    with get_state().db.read() as session:
        return session.scalar(sa.select(SubprocessorObjection).where(
            SubprocessorObjection.change_id == change_id,
            SubprocessorObjection.org_id == org_id))


def objected_to(org_id: str) -> set[str]:
    """The ids of the changes the organisation objected to."""
    with get_state().db.read() as session:
        return set(session.scalars(sa.select(SubprocessorObjection.change_id)
                                   .where(SubprocessorObjection.org_id == org_id)))


def object_to(identity: Identity, change_id: str, reason: Any,
              now: datetime | None = None) -> SubprocessorObjection:
    """Record the organisation's objection to an announced change, before it takes effect."""
    change = announced(change_id)
    org_id = _org_admin(identity)
    assert identity.org is not None
    if (now or utcnow()) >= change.objections_until:
        raise ObjectionsClosed(change)
    text = checked_text(reason, "reason")
    row = SubprocessorObjection(id=new_id(), change_id=change.id, org_id=org_id,
                                org_name=identity.org.name[:200],
                                account_id=identity.account_id, reason=text,
                                created_at=utcnow(), status=ObjectionStatus.OPEN)
    query = sa.select(SubprocessorObjection).where(
        SubprocessorObjection.change_id == change.id, SubprocessorObjection.org_id == org_id)
    with get_state().db.transaction() as session:
        existing = session.scalar(query)
        if existing is None:
            try:
                with session.begin_nested():  # one per organisation and change
                    session.add(row)
            except IntegrityError:  # another admin's, at the same moment
                existing = session.scalar(query)
        if existing is None:
            record_audit(session, stream=org_stream(org_id), action="subprocessors.objected",
                         actor_type="account", actor_id=identity.account_id,
                         target_type="organisation", target_id=org_id,
                         details={"change_id": change.id, "objection_id": row.id})
    if existing is not None:
        raise AlreadyObjected(existing)
    return row


@dataclass(frozen=True)
class ChangeObjections:
    """One change, with the objections to it, for the privacy officer."""

    change_id: str
    #: None: the change is no longer in the configuration
    change: subprocessors.Change | None
    objections: list[SubprocessorObjection]


def by_change() -> list[ChangeObjections]:
    """Changes customers may still object to, and every change objected to, the latest
    effective first; each with its objections, oldest first."""
    config = get_state().config
    known = {change.id: change for change in subprocessors.published(config)}
    with get_state().db.read() as session:
        rows = list(session.scalars(sa.select(SubprocessorObjection).order_by(
            SubprocessorObjection.created_at, SubprocessorObjection.id)))
    grouped: dict[str, list[SubprocessorObjection]] = {
        change.id: [] for change in subprocessors.upcoming(config)}
    for row in rows:
        grouped.setdefault(row.change_id, []).append(row)
    found = [ChangeObjections(change_id, known.get(change_id), objections)
             for change_id, objections in grouped.items()]
    return sorted(found, key=lambda item: (item.change.effective_at.toordinal()
                                           if item.change else 0, item.change_id),
                  reverse=True)


def resolve(officer: Identity, objection_id: str, note: Any) -> SubprocessorObjection:
    """The privacy officer closes an objection, saying what was decided."""
    text = checked_text(note, "note")
    with get_state().db.transaction() as session:
        row = session.get(SubprocessorObjection, objection_id, with_for_update=True)
        if row is None:
            raise ObjectionNotFound(objection_id)
        if row.status == ObjectionStatus.RESOLVED:
            raise AlreadyResolved()
        row.status, row.resolved_by = ObjectionStatus.RESOLVED.value, officer.account_id
        row.resolved_at, row.resolution = utcnow(), text
        record_audit(session, stream=org_stream(row.org_id),
                     action="subprocessors.objection_resolved", actor_type="privacy_officer",
                     actor_id=officer.account_id, target_type="organisation",
                     target_id=row.org_id,
                     details={"change_id": row.change_id, "objection_id": row.id})
        return row
