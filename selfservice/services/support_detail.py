"""One request as support and privacy officers see it: status, deadlines, timeline, the jobs
that carry its work (attempts and errors), staff notes, and for a deletion its erasure steps
and certificate. The account is masked; nothing here reveals it (that is
:func:`staff_access.reveal_for_request`, with a reason). And the queue page's health: worker,
Redis, backlog, and the failed jobs of requests, retryable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..identity import Identity
from ..models import (
    OPEN_STATUSES,
    BackgroundJob,
    Deletion,
    JobStatus,
    PrivacyRequest,
    PrivacyRequestEvent,
    RequestNote,
    RequestStatus,
    RequestType,
)
from ..state import get_state
from . import certificates, diagnostics, erasure_officer, staff_access
from .support_queue import Account, by_reference, days_left, due_of, is_overdue, masked_account

#: failed jobs listed on the queue page
FAILED_LISTED = 20


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def job_json(job: BackgroundJob) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status, "attempts": job.attempts,
            "max_attempts": job.max_attempts, "progress": job.progress, "step": job.step,
            "error": job.error, "created_at": job.created_at.isoformat(),
            "available_at": job.available_at.isoformat(),
            "finished_at": _iso(job.finished_at)}


def note_json(note: RequestNote) -> dict[str, Any]:
    return {"at": note.at.isoformat(), "author_id": note.author_id,
            "author_role": note.author_role, "kind": note.kind, "text": note.text}


def retryable(request: PrivacyRequest, has_deletion: bool) -> bool:
    """Whether staff can try the request's work again: a failed export, or a failed erasure."""
    if request.status != RequestStatus.FAILED:
        return False
    return request.type == RequestType.EXPORT or (request.type == RequestType.DELETION
                                                  and has_deletion)


def _erasure(request: PrivacyRequest, has_deletion: bool) -> dict[str, Any] | None:
    if not has_deletion:
        return None
    try:
        found = erasure_officer.status(request.reference)
    except erasure_officer.ErasureProblem:
        return None
    steps = found["steps"]
    finished = sum(1 for step in steps if step["status"] not in ("pending", "running"))
    return {"scheduled_for": found["scheduled_for"], "started_at": found["started_at"],
            "finished_at": found["finished_at"], "progress": found["progress"],
            "steps_done": finished, "steps_total": len(steps), "steps": steps}


@dataclass(frozen=True)
class Detail:
    request: PrivacyRequest
    account: Account
    body: dict[str, Any]


def _lists(session: Session, request_id: str) -> dict[str, Any]:
    events = session.scalars(sa.select(PrivacyRequestEvent)
                             .where(PrivacyRequestEvent.request_id == request_id)
                             .order_by(PrivacyRequestEvent.id))
    jobs = session.scalars(sa.select(BackgroundJob)
                           .where(BackgroundJob.target_type == "request",
                                  BackgroundJob.target_id == request_id)
                           .order_by(BackgroundJob.created_at, BackgroundJob.id))
    notes = session.scalars(sa.select(RequestNote).where(RequestNote.request_id == request_id)
                            .order_by(RequestNote.at, RequestNote.id))
    return {"events": [{"at": e.at.isoformat(), "status": e.status, "note": e.note}
                       for e in events],
            "jobs": [job_json(job) for job in jobs],
            "notes": [note_json(note) for note in notes]}


def _request_json(request: PrivacyRequest, now: datetime) -> dict[str, Any]:
    return {"reference": request.reference, "type": request.type, "status": request.status,
            "jurisdiction": request.jurisdiction, "channel": request.channel,
            "created_at": request.created_at.isoformat(),
            "due_at": request.due_at.isoformat(),
            "extended_due_at": _iso(request.extended_due_at),
            "extension_reason": request.extension_reason,
            "due": due_of(request).isoformat(), "days_left": days_left(request, now),
            "overdue": is_overdue(request, now), "open": request.status in OPEN_STATUSES,
            "progress": request.progress, "step": request.step, "reason": request.reason,
            "assignee": request.assignee, "completed_at": _iso(request.completed_at),
            "decision": request.decision, "decision_code": request.decision_code,
            "decided_at": _iso(request.decided_at), "appeal_of": request.appeal_of,
            # what the customer wrote (and added since): staff handle the request from it
            "details": dict(request.details or {})}


def detail(staff: Identity, reference: str) -> Detail | None:
    """The request quoted by ``reference`` for ``staff``; None when there is none, or it is
    the staff member's own."""
    now = utcnow()
    with get_state().db.read() as session:
        request = by_reference(session, staff, reference)
        if request is None:
            return None
        has_deletion = session.get(Deletion, request.id) is not None
        lists = _lists(session, request.id)
        appealed = (session.scalar(sa.select(PrivacyRequest.reference)
                                   .where(PrivacyRequest.id == request.appeal_of))
                    if request.appeal_of else None)
    account = masked_account(request.account_id)
    body = {**_request_json(request, now), "appeal_of": appealed,
            "account": account.as_json(with_name=True), **lists,
            "certificate": (certificates.lookup(request.reference)
                            if request.type == RequestType.DELETION else None),
            "erasure": _erasure(request, has_deletion),
            "can_retry": retryable(request, has_deletion),
            "can_resend": (request.status in OPEN_STATUSES and not account.erased
                           and bool(get_state().setting("SMTP_HOST")))}
    return Detail(request, account, body)


def open_detail(staff: Identity, reference: str) -> Detail | None:
    """As :func:`detail`, for a staff member opening the request: the look is recorded on the
    customer's access log (once per LOOK_WINDOW)."""
    found = detail(staff, reference)
    if found is not None:
        staff_access.record_look(staff, found.request.account_id, found.request.reference)
    return found


def failed_jobs(staff: Identity, limit: int = FAILED_LISTED) -> list[dict[str, Any]]:
    """The jobs of requests that gave up, newest first (never the staff member's own
    requests), each with whether staff can try it again."""
    with get_state().db.read() as session:
        rows = session.execute(
            sa.select(BackgroundJob, PrivacyRequest, Deletion.request_id)
            .join(PrivacyRequest, PrivacyRequest.id == BackgroundJob.target_id)
            .outerjoin(Deletion, Deletion.request_id == PrivacyRequest.id)
            .where(BackgroundJob.status == JobStatus.FAILED,
                   BackgroundJob.target_type == "request",
                   PrivacyRequest.account_id != staff.account_id)
            .order_by(BackgroundJob.finished_at.desc(), BackgroundJob.id)
            .limit(limit)).all()
    return [{**job_json(job), "reference": request.reference, "request_type": request.type,
             "request_status": request.status,
             "retryable": retryable(request, deletion_id is not None)}
            for job, request, deletion_id in rows]


def health(staff: Identity) -> dict[str, Any]:
    """What ``/health`` knows (database, Redis, workers, backlog; no personal data) and the
    failed jobs, for the queue page."""
    return {"health": diagnostics.health(), "failed_jobs": failed_jobs(staff)}
