"""The erasure engine: runs a confirmed deletion's frozen plan, step by step.

The plan's steps (``ErasureStep`` rows, in ``position`` order) are the state: a step that is
done is never run again, a step that was running when the worker died is resumed, so a
SIGKILL, a Redis or a database outage only delays the erasure. Host code (erasers, recipients,
the account eraser) is never called inside one of the plugin's transactions: each step is
marked running, the host works in bounded batches, and the outcome is recorded afterwards.
Legal holds are read again before every step. Everything written after erasure names the
deletion's pseudonym, never the account.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..job_registry import JobContext, JobRefused
from ..ledger import record_audit
from ..models import (
    Deletion,
    ErasureAction,
    ErasureStep,
    LegalHold,
    PrivacyRequest,
    RequestStatus,
    StepKind,
    StepStatus,
)
from ..sources import Subject
from ..state import get_state
from . import certificates, legal_holds, own_erasure, privacy_requests

ERASE_JOB = "deletion.erase"
#: seconds between progress writes while a source is erased
PROGRESS_EVERY = 1.0
#: what the request's step says while a manual step waits
WAITING = "Waiting for a privacy officer to confirm: "
#: the plugin's own source whose eraser pseudonymises the consent ledger and audit trail
LEDGER_SOURCE = "consent_events"
#: steps that are over: never run again
FINISHED = frozenset({StepStatus.DONE, StepStatus.RETAINED, StepStatus.HELD})
_ERROR_CHARS = 300


def stream(request_id: str) -> str:
    """The audit stream of one deletion: it names the request and the pseudonym only."""
    return f"deletion:{request_id}"


@dataclass(frozen=True)
class Plan:
    """What every step of one run needs: ids, never ORM objects."""

    request_id: str
    reference: str
    account_id: str
    pseudonym: str
    subject: Subject


class StepFailed(RuntimeError):
    """A step that cannot run (its eraser or recipient is no longer registered)."""


def run(ctx: JobContext) -> dict[str, Any]:
    """The erase job: every step not yet finished, in order; then the certificate."""
    if ctx.target_id is None:
        raise JobRefused("The erase job names no request.")
    plan = _begin(ctx.target_id, ctx.attempt)
    if plan is None:
        return {"skipped": "completed"}
    steps = _steps(plan.request_id)
    _lock_again(plan, steps)
    for index, step in enumerate(steps):
        # the account goes last: after every manual step is confirmed
        if step.kind == StepKind.ACCOUNT and (waiting := _wait(plan)):
            return {"waiting": waiting}
        _run_step(ctx, plan, step, int(95 * index / len(steps)))
        ctx.progress(int(95 * (index + 1) / len(steps)))
    if waiting := _wait(plan):
        return {"waiting": waiting}
    _complete(plan)
    return {"completed": plan.reference}


# -- starting ---------------------------------------------------------------------------------

def _lock_again(plan: Plan, steps: list[ErasureStep]) -> None:
    """The host locks the account again (confirmation's call may have failed; the hook is
    idempotent), unless the account is erased already."""
    lock = get_state().extension.deletion.lock
    if lock is not None and any(s.kind == StepKind.ACCOUNT and s.status not in FINISHED
                                for s in steps):
        lock(plan.account_id)


def _begin(request_id: str, attempt: int) -> Plan | None:
    state = get_state()
    with state.db.transaction() as session:
        request = session.get(PrivacyRequest, request_id, with_for_update=True)
        deletion = session.get(Deletion, request_id, with_for_update=True)
        if request is None or deletion is None:
            raise JobRefused("The deletion request no longer exists.")
        if deletion.canceled_at is not None or request.status == RequestStatus.CANCELED:
            raise JobRefused("The deletion was canceled before erasure began.")
        if request.status == RequestStatus.COMPLETED or deletion.finished_at is not None:
            return None
        if deletion.started_at is None:
            deletion.started_at = utcnow()
            privacy_requests.add_event(session, request, RequestStatus.IN_PROGRESS,
                                    "Erasure started")
            _audit(session, request_id, "deletion.erasure_started",
                   {"pseudonym": deletion.pseudonym})
        else:
            privacy_requests.add_event(session, request, RequestStatus.IN_PROGRESS,
                                    f"Erasure resumed (attempt {attempt})")
        request.reason = None
        request.step = "Erasing your data"
        plan = Plan(request_id, request.reference, deletion.account_id, deletion.pseudonym,
                    Subject(deletion.account_id, None, state.setting("ERASURE_BATCH")))
    identity = state.extension.load_identity(plan.account_id)
    if identity is not None and identity.org is not None:
        plan = Plan(plan.request_id, plan.reference, plan.account_id, plan.pseudonym,
                    Subject(plan.account_id, identity.org.id, plan.subject.batch_size))
    return plan


def _steps(request_id: str) -> list[ErasureStep]:
    with get_state().db.read() as session:
        return list(session.scalars(sa.select(ErasureStep)
                                    .where(ErasureStep.request_id == request_id)
                                    .order_by(ErasureStep.position, ErasureStep.id)))


def _wait(plan: Plan) -> list[str]:
    """The manual steps no privacy officer has confirmed yet. If there are any, the request
    says it waits for the first; decided under the request's lock, as a confirmation is, so
    a confirmation either is seen here or sees this run's decision to stop."""
    with get_state().db.transaction() as session:
        request = session.get(PrivacyRequest, plan.request_id, with_for_update=True)
        assert request is not None
        waiting = list(session.scalars(
            sa.select(ErasureStep)
            .where(ErasureStep.request_id == plan.request_id,
                   ErasureStep.kind == StepKind.SOURCE,
                   ErasureStep.action == ErasureAction.MANUAL,
                   ErasureStep.status.not_in(list(FINISHED)))
            .order_by(ErasureStep.position)))
        if waiting:
            request.step = f"{WAITING}{waiting[0].description}"[:200]
            _audit(session, plan.request_id, "deletion.waiting", {"step": waiting[0].name})
        return [step.name for step in waiting]


# -- one step ---------------------------------------------------------------------------------

def _run_step(ctx: JobContext, plan: Plan, step: ErasureStep, percent: int) -> None:
    """Run one step unless it is finished (or a manual step, which waits for an officer)."""
    if step.status in FINISHED or step.action == ErasureAction.MANUAL:
        return
    hold = _hold_for(plan.account_id, step)
    if hold is not None:
        _hold(plan, step, hold)
        return
    try:
        if step.kind == StepKind.RECIPIENT:
            _notify(plan, step)
        elif step.kind == StepKind.ACCOUNT:
            _erase_account(plan, step)
        elif step.action == ErasureAction.RETAIN:
            _retain(plan, step)
        else:
            _erase_source(ctx, plan, step, percent)
    except Exception as exc:
        _fail(plan, step, exc)
        raise


def _hold_for(account_id: str, step: ErasureStep) -> LegalHold | None:
    """The legal hold in force now that covers the step (the account: any hold)."""
    with get_state().db.read() as session:
        holds = legal_holds.active_for(session, account_id)
    if step.kind == StepKind.ACCOUNT:
        return holds[0] if holds else None
    return legal_holds.hold_on(holds, step.name)


def _count(name: str, subject: Subject) -> int | None:
    source = get_state().extension.sources.get(name)
    return source.count(subject) if source is not None and source.count else None


def _hold(plan: Plan, step: ErasureStep, hold: LegalHold) -> None:
    records = _count(step.name, plan.subject) if step.kind == StepKind.SOURCE else None
    _finish(plan, step, StepStatus.HELD, records=records, hold_id=hold.id)


def _retain(plan: Plan, step: ErasureStep) -> None:
    records = _count(step.name, plan.subject)
    _finish(plan, step, StepStatus.RETAINED,
            records=records if records is not None else step.planned_records)


def _notify(plan: Plan, step: ErasureStep) -> None:
    recipient = get_state().extension.deletion.recipients.get(step.name)
    if recipient is None:
        raise StepFailed("the recipient is no longer registered")
    _start(plan, step)
    answer = recipient.notify(plan.account_id)
    _finish(plan, step, StepStatus.DONE,
            receipt=str(answer)[:200] if answer is not None else None)


def _erase_account(plan: Plan, step: ErasureStep) -> None:
    eraser = get_state().extension.deletion.account_eraser
    _start(plan, step)
    if eraser is not None:
        eraser(plan.account_id)
    _finish(plan, step, StepStatus.DONE, records=1 if eraser is not None else 0)


def _erase_source(ctx: JobContext, plan: Plan, step: ErasureStep, percent: int) -> None:
    """Call the source's eraser until it returns 0. With a counter the count is
    records_before - count_after (exact after a resumed step); else the sum of the batches
    (kept on the step after each one)."""
    registry = get_state().extension.sources
    eraser = registry.erasers.get(step.name)
    if eraser is None:
        raise StepFailed("no eraser is registered for it any more")
    source = registry.get(step.name)
    count: Callable[[Subject], int] | None = source.count if source is not None else None
    before = step.records_before
    if before is None and count is not None:
        before = count(plan.subject)
    _start(plan, step, records_before=before)
    erased = step.records or 0  # the batches an earlier attempt recorded
    # with a counter, the count survives a crash through records_before, so progress is
    # written at most once a second (the job's own thread keeps its heartbeat); without one,
    # each batch's count is written as it is done
    shown = time.monotonic()
    while (batch := eraser(plan.subject)) > 0:
        erased += batch
        if count is None or time.monotonic() - shown >= PROGRESS_EVERY:
            _set(step.id, records=erased)
            ctx.progress(percent, f"Erasing {step.name}")
            shown = time.monotonic()
    records = erased
    if count is not None and before is not None:
        # records that left the subject (erased, or anonymised away from it); an anonymiser
        # that keeps them under the account is counted by its batches
        removed = before - count(plan.subject)
        records = removed if removed > 0 or not erased else erased
    _finish(plan, step, StepStatus.DONE, records=records)


def _set(step_id: int, **values: Any) -> None:
    with get_state().db.transaction() as session:
        session.execute(sa.update(ErasureStep).where(ErasureStep.id == step_id)
                        .values(**values))


def _start(plan: Plan, step: ErasureStep, **values: Any) -> None:
    """Mark the step running (once) and tell the customer what is being erased."""
    with get_state().db.transaction() as session:
        row = session.get(ErasureStep, step.id, with_for_update=True)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        if row.status != StepStatus.RUNNING:
            row.status = StepStatus.RUNNING
            row.started_at = row.started_at or utcnow()
            row.error = None
            _audit(session, plan.request_id, "deletion.step_started",
                   {"step": row.name, "kind": row.kind, "action": row.action})
        request = session.get(PrivacyRequest, plan.request_id)
        if request is not None:
            request.step = f"Erasing: {row.description}"[:200]


def _finish(plan: Plan, step: ErasureStep, status: StepStatus, **values: Any) -> None:
    with get_state().db.transaction() as session:
        row = session.get(ErasureStep, step.id, with_for_update=True)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        now = utcnow()
        row.status, row.finished_at, row.error = status, now, None
        row.started_at = row.started_at or now
        if status == StepStatus.RETAINED and row.retain_days is not None:
            row.retained_until = now + timedelta(days=row.retain_days)
        _audit(session, plan.request_id, f"deletion.step_{status.value}",
               {"step": row.name, "kind": row.kind, "action": row.action,
                "records": row.records, "hold_id": row.hold_id})
        _progress(session, plan.request_id)


def _progress(session: Session, request_id: str) -> None:
    total, done = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(
            ErasureStep.status.in_(list(FINISHED))))
        .where(ErasureStep.request_id == request_id)).one()
    request = session.get(PrivacyRequest, request_id)
    if request is not None and total:
        request.progress = min(99, int(100 * done / total))


def error_text(name: str, exc: BaseException) -> str:
    """"<source>: <ExceptionType>: <message>", cut short: for support, on the step only."""
    return f"{name}: {type(exc).__name__}: {exc}"[:_ERROR_CHARS]


def _fail(plan: Plan, step: ErasureStep, exc: BaseException) -> None:
    with get_state().db.transaction() as session:
        row = session.get(ErasureStep, step.id, with_for_update=True)
        assert row is not None
        row.status, row.error = StepStatus.FAILED, error_text(row.name, exc)
        request = session.get(PrivacyRequest, plan.request_id)
        if request is not None:
            request.step = f"Stopped at: {row.description}"[:200]
        _audit(session, plan.request_id, "deletion.step_failed",
               {"step": row.name, "error": type(exc).__name__})


# -- completion -------------------------------------------------------------------------------

def _complete(plan: Plan) -> None:
    """Sign the certificate, complete the request and keep it under the pseudonym."""
    ledger = next((s for s in _steps(plan.request_id)
                   if s.kind == StepKind.SOURCE and s.name == LEDGER_SOURCE), None)
    if ledger is not None and ledger.status == StepStatus.DONE:
        # what named the account since the ledger's step (not under a hold)
        own_erasure.pseudonymise(plan.account_id, plan.pseudonym, plan.request_id)
    with get_state().db.transaction() as session:
        request = session.get(PrivacyRequest, plan.request_id, with_for_update=True)
        deletion = session.get(Deletion, plan.request_id, with_for_update=True)
        assert request is not None and deletion is not None
        if deletion.finished_at is not None:
            return
        now = utcnow()
        deletion.finished_at = now
        request.completed_at = now
        steps = list(session.scalars(sa.select(ErasureStep)
                                     .where(ErasureStep.request_id == plan.request_id)
                                     .order_by(ErasureStep.position, ErasureStep.id)))
        document = certificates.sign(certificates.build(request, deletion, steps, session))
        deletion.certificate = document
        deletion.certificate_sha256 = certificates.digest(document)
        request.progress, request.step = 100, ""
        privacy_requests.add_event(session, request, RequestStatus.COMPLETED, "Erasure completed")
        # the proof is kept; the account it named is gone
        request.account_id = deletion.account_id = plan.pseudonym
        request.idempotency_key = None
        _audit(session, plan.request_id, "deletion.completed",
               {"pseudonym": plan.pseudonym, "certificate_sha256": deletion.certificate_sha256})
        certificates.schedule_mail(session, deletion)


def _audit(session: Session, request_id: str, action: str, details: dict[str, Any]) -> None:
    record_audit(session, stream=stream(request_id), action=action, actor_type="system",
                 target_type="request", target_id=request_id, details=details)
