"""What support and privacy officers do with an erasure: see its steps, confirm a manual step,
resume one that failed; and what the request shows when the erase job gives up."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..ledger import record_audit
from ..models import (
    BackgroundJob,
    Deletion,
    ErasureAction,
    ErasureStep,
    JobStatus,
    PrivacyRequest,
    RequestStatus,
    StepKind,
    StepStatus,
)
from ..state import get_state
from ..text import is_free_text
from . import outbox, privacy_requests
from .erasure import ERASE_JOB, WAITING, stream

OFFICER = "privacy_officer"


class ErasureProblem(Exception):
    """The officer's command cannot be done; the message says why, in plain words."""


def _load(session: Session, reference: str) -> tuple[PrivacyRequest, Deletion]:
    request = session.scalar(sa.select(PrivacyRequest).where(
        PrivacyRequest.reference == reference.strip().upper()).with_for_update())
    deletion = session.get(Deletion, request.id, with_for_update=True) if request else None
    if request is None or deletion is None:
        raise ErasureProblem(f"No confirmed deletion has the reference {reference!r}.")
    return request, deletion


def steps_of(session: Session, request_id: str) -> list[ErasureStep]:
    return list(session.scalars(sa.select(ErasureStep)
                                .where(ErasureStep.request_id == request_id)
                                .order_by(ErasureStep.position, ErasureStep.id)))


def status(reference: str) -> dict[str, Any]:
    """The request and each step, for support: status, counts, errors. No personal data."""
    with get_state().db.read() as session:
        request = session.scalar(sa.select(PrivacyRequest).where(
            PrivacyRequest.reference == reference.strip().upper()))
        deletion = session.get(Deletion, request.id) if request else None
        if request is None or deletion is None:
            raise ErasureProblem(f"No confirmed deletion has the reference {reference!r}.")
        return {
            "reference": request.reference, "status": request.status, "step": request.step,
            "reason": request.reason, "progress": request.progress,
            "pseudonym": deletion.pseudonym,
            "scheduled_for": deletion.scheduled_for.isoformat(),
            "started_at": deletion.started_at.isoformat() if deletion.started_at else None,
            "finished_at": deletion.finished_at.isoformat() if deletion.finished_at else None,
            "steps": [{"position": s.position, "kind": s.kind, "name": s.name,
                       "action": s.action, "status": s.status, "planned": s.planned_records,
                       "before": s.records_before, "records": s.records, "error": s.error,
                       "hold_id": s.hold_id, "confirmed_by": s.confirmed_by}
                      for s in steps_of(session, request.id)],
        }


def _reschedule(session: Session, request: PrivacyRequest, deletion: Deletion,
                actor_id: str | None) -> BackgroundJob:
    runs = int(session.scalar(sa.select(sa.func.count()).where(
        BackgroundJob.kind == ERASE_JOB, BackgroundJob.target_id == request.id)) or 0)
    job = outbox.schedule(session, ERASE_JOB, target_type="request", target_id=request.id,
                          dedupe_key=f"erase:{request.id}:{runs + 1}",
                          available_at=max(utcnow(), deletion.scheduled_for),
                          actor_type=OFFICER, actor_id=actor_id)
    deletion.job_id = job.id
    return job


def confirm_manual(reference: str, source_name: str, actor_id: str | None,
                   note: str = "") -> ErasureStep:
    """A privacy officer erased a manual source by hand: the step is done, and the erase job
    runs again to finish the deletion."""
    if not is_free_text(note) or len(note) > 300:
        raise ErasureProblem("The note must be plain text of at most 300 characters.")
    with get_state().db.transaction() as session:
        request, deletion = _load(session, reference)
        step = session.scalar(sa.select(ErasureStep).where(
            ErasureStep.request_id == request.id, ErasureStep.kind == StepKind.SOURCE,
            ErasureStep.name == source_name).with_for_update())
        if step is None or step.action != ErasureAction.MANUAL:
            raise ErasureProblem(f"{source_name!r} is not a manual step of {reference}.")
        if step.status == StepStatus.DONE:
            raise ErasureProblem(f"{source_name!r} was confirmed already.")
        if deletion.started_at is None or request.status not in (RequestStatus.IN_PROGRESS,
                                                                 RequestStatus.FAILED):
            raise ErasureProblem("Erasure has not begun: confirm the step once it has.")
        now = utcnow()
        step.status, step.finished_at, step.started_at = StepStatus.DONE, now, now
        step.confirmed_by, step.note = actor_id, note.strip()
        record_audit(session, stream=stream(request.id), action="deletion.step_confirmed",
                     actor_type=OFFICER, actor_id=actor_id, target_type="request",
                     target_id=request.id, details={"step": step.name})
        busy = session.scalar(sa.select(BackgroundJob.id).where(
            BackgroundJob.kind == ERASE_JOB, BackgroundJob.target_id == request.id,
            BackgroundJob.status.in_((JobStatus.PENDING, JobStatus.ENQUEUED,
                                      JobStatus.RUNNING))).limit(1))
        # a run under way sees this step done before the account (it decides under the same
        # lock); one that stopped to wait for it needs a successor
        if busy is None or request.step.startswith(WAITING):
            _reschedule(session, request, deletion, actor_id)
        return step


def retry(reference: str, actor_id: str | None) -> PrivacyRequest:
    """Resume a failed erasure where it stopped: its failed steps run again."""
    with get_state().db.transaction() as session:
        request, deletion = _load(session, reference)
        if request.status != RequestStatus.FAILED:
            raise ErasureProblem(f"{reference} has not failed (it is {request.status}).")
        failed = [s for s in steps_of(session, request.id) if s.status == StepStatus.FAILED]
        for step in failed:  # records_before stays: the count is still exact
            step.status = StepStatus.PENDING
        request.reason = None
        privacy_requests.add_event(session, request, RequestStatus.IN_PROGRESS,
                                "Erasure resumed by our privacy team")
        request.step = "Waiting for a worker"
        record_audit(session, stream=stream(request.id), action="deletion.retried",
                     actor_type=OFFICER, actor_id=actor_id, target_type="request",
                     target_id=request.id, details={"steps": [s.name for s in failed]})
        _reschedule(session, request, deletion, actor_id)
        return request


def job_failed(session: Session, job: BackgroundJob) -> None:
    """The erase job gave up: the request is failed, naming the source and the error's kind
    (support sees the step's error; a privacy officer can resume it)."""
    if job.target_id is None:
        return
    request = session.get(PrivacyRequest, job.target_id, with_for_update=True)
    if request is None or request.status in (RequestStatus.COMPLETED, RequestStatus.CANCELED):
        return
    step = session.scalar(sa.select(ErasureStep).where(
        ErasureStep.request_id == request.id, ErasureStep.status == StepStatus.FAILED)
        .order_by(ErasureStep.position).limit(1))
    if step is not None:
        kind = (step.error or "").split(": ")[1:2] or ["an error"]
        request.reason = (f"Erasure stopped at {step.description} ({step.name}): {kind[0]}. "
                          "Our privacy team has been told and will resume it.")
    else:
        request.reason = ("Erasure stopped: " + (job.error or "an unexpected error") +
                          " Our privacy team has been told and will resume it.")
    request.step = ""
    privacy_requests.add_event(session, request, RequestStatus.FAILED,
                            f"Erasure stopped after {job.attempts} attempts")
    record_audit(session, stream=stream(request.id), action="deletion.failed",
                 actor_type="system", target_type="request", target_id=request.id,
                 details={"step": step.name if step is not None else None})
