"""What support agents and privacy officers do with a request from the queue: write an internal
note, assign it (to themselves or another staff member), resend the acknowledgement e-mail, and
try a failed export or erasure again.

Each action is a ``staff.*`` audit event on the customer's account stream, with the staff
member's role (the customer's "Who accessed your data" lists it). None of them downloads an
archive, changes the customer's preferences or decides the request: support cannot, from here.
A staff member's own request is, for them, a request that does not exist.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..identity import Identity
from ..ledger import record_audit
from ..models import (
    OPEN_STATUSES,
    BackgroundJob,
    PrivacyRequest,
    RequestNote,
    RequestType,
)
from ..schemas.base import InvalidInput
from ..schemas.support import ME, NOTE_MAX
from ..state import get_state
from ..text import REFUSAL, is_free_text, is_identifier
from . import erasure_officer, outbox, privacy_requests
from .audit import account_stream
from .staff_access import NotStaff, staff_role
from .support_queue import by_reference

NOTE_ADDED = "staff.note_added"
ASSIGNED = "staff.assigned"
ACK_RESENT = "staff.acknowledgement_resent"
RETRIED = "staff.job_retried"


class NoSuchRequest(LookupError):
    """No such reference, or the staff member's own request."""


class NotNow(Exception):
    """The action does not fit the request's state; ``message`` says why (a 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _role(staff: Identity) -> str:
    role = staff_role(staff)
    if role is None:
        raise NotStaff()
    return role


def _locked(session: Session, staff: Identity, reference: str) -> PrivacyRequest:
    found = by_reference(session, staff, reference)
    if found is None:
        raise NoSuchRequest(reference)
    request = session.get(PrivacyRequest, found.id, with_for_update=True,
                          populate_existing=True)
    assert request is not None
    return request


def record_staff_event(session: Session, staff: Identity, role: str, request: PrivacyRequest,
                       action: str, **details: Any) -> None:
    """The ``staff.*`` event on the customer's stream: who (role), which request, and any
    reason or detail the action has."""
    record_audit(session, stream=account_stream(request.account_id), action=action,
                 actor_type="support", actor_id=staff.account_id, target_type="request",
                 target_id=request.id,
                 details={"role": role, "reference": request.reference, **details})


def add_note(staff: Identity, reference: str, text: Any) -> RequestNote:
    """An internal note on the request (staff read it; the customer does not)."""
    role = _role(staff)
    if not isinstance(text, str) or not text.strip() or len(text.strip()) > NOTE_MAX:
        raise InvalidInput({"text": f"must be 1 to {NOTE_MAX:,} characters"})
    if not is_free_text(text):
        raise InvalidInput({"text": REFUSAL})
    with get_state().db.transaction() as session:
        request = _locked(session, staff, reference)
        note = RequestNote(request_id=request.id, at=utcnow(), author_id=staff.account_id,
                           author_role=role, kind="note", text=text.strip())
        session.add(note)
        record_staff_event(session, staff, role, request, NOTE_ADDED)
        session.flush()
        return note


def _assignee(staff: Identity, request: PrivacyRequest, wanted: Any) -> str | None:
    if wanted is None:
        return None
    if not is_identifier(wanted):
        raise InvalidInput({"assignee": f"must be {ME!r}, a staff member's account id, or "
                                        "null"})
    account_id = staff.account_id if wanted == ME else str(wanted)
    if account_id == request.account_id:
        raise InvalidInput({"assignee": "cannot be the person who made the request"})
    if account_id != staff.account_id and staff_role(
            get_state().extension.load_identity(account_id)) is None:
        raise InvalidInput({"assignee": "is not a support agent or privacy officer"})
    return account_id


def assign(staff: Identity, reference: str, wanted: Any) -> PrivacyRequest:
    """Assign an open request to ``wanted``: ``"me"``, another staff member's account id, or
    None (nobody)."""
    role = _role(staff)
    with get_state().db.transaction() as session:
        request = _locked(session, staff, reference)
        assignee = _assignee(staff, request, wanted)
        if request.status not in OPEN_STATUSES:
            raise NotNow(f"{request.reference} is {request.status.replace('_', ' ')}: only an "
                         "open request is assigned.")
        if request.assignee != assignee:
            request.assignee = assignee
            request.updated_at = utcnow()
            record_staff_event(session, staff, role, request, ASSIGNED, assignee=assignee)
        return request


def _acknowledgements(session: Session, request_id: str) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(BackgroundJob).where(
        BackgroundJob.kind == privacy_requests.ACK_JOB,
        BackgroundJob.target_type == "request",
        BackgroundJob.target_id == request_id)) or 0)


def resend_acknowledgement(staff: Identity, reference: str) -> BackgroundJob:
    """The "we received your request" e-mail once more (a mail job of its own). A double
    click sends it once: both clicks ask for the same job."""
    role = _role(staff)
    if not get_state().setting("SMTP_HOST"):
        raise NotNow("No mail server is set up (SELFSERVICE_SMTP_HOST), so no e-mail can be "
                     "sent.")
    with get_state().db.transaction() as session:
        request = _locked(session, staff, reference)
        if request.status not in OPEN_STATUSES:
            raise NotNow(f"{request.reference} is {request.status.replace('_', ' ')}: the "
                         "acknowledgement is resent only while a request is open.")
        if get_state().extension.load_identity(request.account_id) is None:
            raise NotNow("The account was erased: there is no address to write to.")
        count = _acknowledgements(session, request.id)
        job = outbox.schedule(session, privacy_requests.ACK_JOB, target_type="request",
                              target_id=request.id,
                              dedupe_key=f"mail:received:{request.id}:resend:{count + 1}",
                              actor_type="support", actor_id=staff.account_id)
        record_staff_event(session, staff, role, request, ACK_RESENT)
        return job


def _retry_work(staff: Identity, request: PrivacyRequest) -> None:
    if request.type == RequestType.EXPORT:
        try:
            privacy_requests.retry(request.account_id, request.id, actor_type="support",
                                   actor_id=staff.account_id,
                                   note="Tried again by our support team")
        except privacy_requests.NotRetryable as exc:
            raise NotNow(exc.message) from None
        return
    if request.type == RequestType.DELETION:
        try:
            erasure_officer.retry(request.reference, staff.account_id)
        except erasure_officer.ErasureProblem as exc:
            raise NotNow(str(exc)) from None
        return
    raise NotNow("Only a failed export or deletion has work to try again; this request is "
                 "worked by hand.")


def retry(staff: Identity, reference: str) -> PrivacyRequest:
    """A failed export is built again, a failed erasure resumes where it stopped."""
    role = _role(staff)
    with get_state().db.read() as session:
        found = by_reference(session, staff, reference)
    if found is None:
        raise NoSuchRequest(reference)
    _retry_work(staff, found)
    with get_state().db.transaction() as session:
        request = _locked(session, staff, reference)
        record_staff_event(session, staff, role, request, RETRIED, kind=request.type)
        return request
