"""What a privacy officer does with a request the plugin cannot carry out by itself: decide it
(completed, or denied with a reason from a published list), extend its deadline once to the
legal maximum, write to the customer, confirm a manual deletion step. Each is recorded as a
``staff.*`` event on the customer's audit stream (which the customer's "Who accessed your data"
lists) and, but for the deletion step, e-mailed to the customer.

What the customer then sees and may do (appeal a denial) is :mod:`.appeals`.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..identity import Identity
from ..models import (
    OPEN_STATUSES,
    Jurisdiction,
    PrivacyRequest,
    RequestNote,
    RequestType,
)
from ..schemas.base import InvalidInput
from ..schemas.decisions import (
    COMPLETED,
    DENIED,
    EXTENSION_REASON_MAX,
    MESSAGE_MAX,
    OUTCOMES,
)
from ..schemas.decisions import (
    REASON_CODES as REASON_CODES,
)
from ..state import get_state
from ..text import REFUSAL, is_free_text
from . import erasure_officer, outbox, privacy_requests
from .audit import record_account_event
from .staff_access import PRIVACY_OFFICER, staff_role
from .support_queue import by_reference

#: the requests a person decides: the plugin carries out exports and deletions itself (a
#: ``dpa`` request is an organisation's contract negotiation, decided the same way)
MANUAL_TYPES = frozenset({RequestType.CORRECTION, RequestType.RESTRICTION,
                          RequestType.OBJECTION, RequestType.AUTOMATED_DECISION_REVIEW,
                          RequestType.LIMIT_SENSITIVE_DATA, RequestType.APPEAL,
                          RequestType.DPA})
DECIDED_MAIL_JOB = "mail.request_decided"
EXTENDED_MAIL_JOB = "mail.request_extended"
MESSAGE_MAIL_JOB = "mail.request_message"
DECIDED, EXTENDED, MESSAGED = "staff.decided", "staff.extended", "staff.messaged"
STEP_CONFIRMED = "staff.step_confirmed"


class DecisionError(Exception):
    """The action cannot be done; the message says why, in plain words."""


class NotFound(DecisionError):
    """No such request, or the staff member's own (staff never work their own requests)."""


class NotOfficer(DecisionError):
    """Only a privacy officer can do this."""


class Conflict(DecisionError):
    """The request's state does not allow it (the API answers 409)."""


class AlreadyDecided(Conflict):
    """Another decision came first: this one names it."""

    def __init__(self, request: PrivacyRequest) -> None:
        at = request.decided_at.strftime("%Y-%m-%d %H:%M UTC") if request.decided_at else ""
        code = f" ({request.decision_code})" if request.decision_code else ""
        super().__init__(f"{request.reference} was already decided: {request.decision}{code}, "
                         f"by a privacy officer at {at}. Nothing was changed.")
        self.decision = decision_json(request)


def decision_json(request: PrivacyRequest) -> dict[str, Any] | None:
    if request.decision is None:
        return None
    return {"outcome": request.decision, "reason_code": request.decision_code,
            "reason": REASON_CODES.get(request.decision_code or ""),
            "message": request.reason, "decided_at": _iso(request.decided_at),
            "decided_by": request.decided_by}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# -- deadlines --------------------------------------------------------------------------------

def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or that month's last day (Jan 31 + 1: Feb 28 or 29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def latest_extension(request: PrivacyRequest) -> datetime:
    """The furthest the law lets the deadline go: two further months under GDPR and UK GDPR
    (Art. 12(3)), 45 further days under CCPA and the other US state laws. A ``dpa`` request
    has no legal deadline: ours may move once, by as long again (DPA_ANSWER_DAYS)."""
    if request.type == RequestType.DPA:
        return request.due_at + timedelta(days=privacy_requests.DPA_ANSWER_DAYS)
    if request.jurisdiction in (Jurisdiction.GDPR, Jurisdiction.UK_GDPR):
        return add_months(request.due_at, 2)
    return request.due_at + timedelta(days=45)


def effective_due(request: PrivacyRequest) -> datetime:
    """The deadline in force: the extended one, if there is one."""
    return request.extended_due_at or request.due_at


# -- checks -----------------------------------------------------------------------------------

def _officer(staff: Identity) -> str:
    role = staff_role(staff)
    if role != PRIVACY_OFFICER:
        raise NotOfficer("Only a privacy officer can do this.")
    return role


def checked_text(value: Any, field: str, longest: int, *, required: bool) -> str:
    """Plain text of at most ``longest`` characters, trimmed; InvalidInput otherwise."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput({field: "is required" if required else "must be text"})
    if not is_free_text(value):
        raise InvalidInput({field: REFUSAL})
    if len(value.strip()) > longest:
        raise InvalidInput({field: f"must be at most {longest:,} characters"})
    return value.strip()


def _checked_decision(outcome: Any, reason_code: Any) -> None:
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "must be completed or denied"
    if reason_code is not None and reason_code not in REASON_CODES:
        errors["reason_code"] = f"must be one of {', '.join(REASON_CODES)}"
    elif outcome == DENIED and reason_code is None:
        errors["reason_code"] = ("is required to deny a request: choose the reason the "
                                 "customer will read")
    if errors:
        raise InvalidInput(errors)


def _locked(session: Session, staff: Identity, reference: str, *,
            lock: bool = True) -> PrivacyRequest:
    """The request quoted by ``reference``, locked for a change; NotFound for none, or the
    officer's own."""
    request = by_reference(session, staff, reference, lock=lock)
    if request is None:
        raise NotFound("no such request")
    return request


def _closed(request: PrivacyRequest) -> Conflict:
    return Conflict(f"{request.reference} is closed ({request.status.replace('_', ' ')}): "
                    "nothing was changed.")


def _record(session: Session, request: PrivacyRequest, action: str, staff: Identity,
            role: str, **details: Any) -> None:
    record_account_event(request.account_id, action, actor_type=role,
                         actor_id=staff.account_id, session=session,
                         details={"role": role, "reference": request.reference, **details})


def _mail(session: Session, kind: str, target_type: str, target_id: str) -> None:
    if get_state().setting("SMTP_HOST"):
        outbox.schedule(session, kind, target_type=target_type, target_id=target_id,
                        dedupe_key=f"{kind}:{target_id}")


# -- the officer's actions --------------------------------------------------------------------

def decide(staff: Identity, reference: str, outcome: Any, reason_code: Any = None,
           message: Any = None) -> PrivacyRequest:
    """Complete or deny an open manual request. A denial needs a reason code; so does a
    request completed only in part (the code says why the rest was not done); the code
    ``other`` needs a message. Two officers at once: one decision, the other AlreadyDecided."""
    role = _officer(staff)
    _checked_decision(outcome, reason_code)
    text = checked_text(message, "message", MESSAGE_MAX, required=reason_code == "other")
    with get_state().db.transaction() as session:
        request = _locked(session, staff, reference)
        if request.decision is not None:
            raise AlreadyDecided(request)
        if request.status not in OPEN_STATUSES:
            raise _closed(request)
        if request.type not in MANUAL_TYPES:
            raise Conflict("Exports and deletions are carried out by the plugin, not decided "
                           "by hand.")
        now = utcnow()
        request.decision, request.decision_code = outcome, reason_code
        request.decided_by, request.decided_at, request.completed_at = staff.account_id, now, now
        request.reason, request.step = text or None, ""
        words = REASON_CODES.get(reason_code or "")
        note = f"In part. {words}" if outcome == COMPLETED and words else words or ""
        privacy_requests.add_event(session, request, outcome, note)
        _record(session, request, DECIDED, staff, role, outcome=outcome,
                reason_code=reason_code, reason=words)
        _mail(session, DECIDED_MAIL_JOB, "request", request.id)
        return request


def _extension_error(request: PrivacyRequest, until: datetime, now: datetime
                     ) -> dict[str, str] | None:
    if request.extended_due_at is not None:
        return {"extended_due_at": f"the deadline was extended once already, to "
                                   f"{request.extended_due_at:%Y-%m-%d}: it cannot be again"}
    if now >= request.due_at:
        return {"due_at": f"the deadline passed on {request.due_at:%Y-%m-%d}: an extension "
                          "must be made before it"}
    latest = latest_extension(request)
    if not request.due_at < until <= latest:
        return {"until": f"must lie after the deadline ({request.due_at:%Y-%m-%d}) and no "
                         f"later than the law allows ({latest.isoformat()})"}
    return None


def extend(staff: Identity, reference: str, reason: Any,
           until: datetime | None = None) -> PrivacyRequest:
    """Extend an open request's deadline, once and before it passes, to ``until`` (at most,
    and by default, the legal maximum); the customer is told why."""
    role = _officer(staff)
    text = checked_text(reason, "reason", EXTENSION_REASON_MAX, required=True)
    with get_state().db.transaction() as session:
        request = _locked(session, staff, reference)
        if request.status not in OPEN_STATUSES:
            raise _closed(request)
        now = utcnow()
        new_due = until or latest_extension(request)
        errors = _extension_error(request, new_due, now)
        if errors:
            raise InvalidInput(errors)
        request.extended_due_at, request.extension_reason = new_due, text
        request.deadline_at = new_due  # the queue orders by the deadline in force
        request.extended_by = staff.account_id
        privacy_requests.add_event(session, request, request.status,
                                   f"Deadline extended to {new_due:%Y-%m-%d}: {text}")
        _record(session, request, EXTENDED, staff, role, reason=text,
                until=new_due.isoformat())
        _mail(session, EXTENDED_MAIL_JOB, "request", request.id)
        return request


def write_to_customer(staff: Identity, reference: str, text: Any) -> RequestNote:
    """A message to the customer about their request: kept with the request (the customer
    reads it on the request's page) and e-mailed."""
    role = _officer(staff)
    body = checked_text(text, "text", MESSAGE_MAX, required=True)
    with get_state().db.transaction() as session:
        request = _locked(session, staff, reference)
        note = RequestNote(request_id=request.id, at=utcnow(), author_id=staff.account_id,
                           author_role=role, kind="message", text=body)
        session.add(note)
        session.flush()
        _record(session, request, MESSAGED, staff, role, reason=None)
        _mail(session, MESSAGE_MAIL_JOB, "request_note", str(note.id))
        return note


def confirm_step(staff: Identity, reference: str, source: str, note: Any) -> dict[str, Any]:
    """A manual step of a deletion's plan was done by hand: the erasure goes on. Conflict
    names what stands in the way."""
    role = _officer(staff)
    text = checked_text(note, "note", 300, required=False)
    with get_state().db.read() as session:
        request = _locked(session, staff, reference, lock=False)
        account_id, found = request.account_id, request.reference
    try:
        step = erasure_officer.confirm_manual(found, source, staff.account_id, text)
    except erasure_officer.ErasureProblem as exc:
        raise Conflict(str(exc)) from None
    with get_state().db.transaction() as session:
        record_account_event(account_id, STEP_CONFIRMED, actor_type=role,
                             actor_id=staff.account_id, session=session,
                             details={"role": role, "reference": found, "reason": text or None,
                                      "step": step.name})
    return {"reference": found, "step": step.name, "status": step.status,
            "confirmed_at": _iso(step.finished_at)}


def messages_of(session: Session, request_id: str) -> list[RequestNote]:
    """The messages written to the customer about the request, oldest first."""
    return list(session.scalars(sa.select(RequestNote).where(
        RequestNote.request_id == request_id, RequestNote.kind == "message")
        .order_by(RequestNote.at, RequestNote.id)))
