"""Account deletion up to the point of no return: open the request, confirm it (the plan is
frozen, the account locked, every session ended, erasure scheduled after the grace period),
and cancel it during the grace period (the account restored). The erasure itself is
services/erasure.py."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import matched, utcnow
from ..deletion_hooks import Blocker
from ..identity import Identity
from ..ledger import lock_stream, record_audit
from ..models import (
    OPEN_STATUSES,
    PSEUDONYM_PREFIX,
    BackgroundJob,
    Deletion,
    JobStatus,
    PrivacyRequest,
    RequestStatus,
    RequestType,
)
from ..state import get_state
from ..text import REFUSAL, is_free_text, is_identifier
from . import deletion_plans, languages, outbox, privacy_requests, sessions
from .audit import account_stream
from .erasure import ERASE_JOB

logger = logging.getLogger(__name__)

SCHEDULED_MAIL_JOB = "mail.deletion_scheduled"
REMINDER_MAIL_JOB = "mail.deletion_reminder"
CANCELED_MAIL_JOB = "mail.deletion_canceled"

#: why sessions end at confirmation (services.sessions records it)
SESSION_END_REASON = "account_deletion"


class DeletionError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Blocked(DeletionError):
    """Something must be done before the account can be deleted (409)."""

    def __init__(self, blockers: list[Blocker]) -> None:
        super().__init__("The account cannot be deleted yet: "
                         + " ".join(b.message for b in blockers))
        self.blockers = blockers


class WrongConfirmation(DeletionError):
    """The typed confirmation is not the account's e-mail address or the reference (422)."""


class NotConfirmable(DeletionError):
    """Not a deletion, or no longer waiting for confirmation (409)."""


class ErasureBegun(DeletionError):
    """Too late to cancel: erasure has started, or its start time has passed (409)."""


def start(identity: Identity, idempotency_key: str | None = None
          ) -> tuple[PrivacyRequest, bool]:
    """Open the account's deletion request (identity confirmed by the fresh sign-in the
    caller required), or return the one already open. Returns (request, created)."""
    try:
        return privacy_requests.create(identity, RequestType.DELETION,
                                       idempotency_key=idempotency_key, verified=True)
    except privacy_requests.OpenRequestExists as exc:
        return exc.existing, False


def matches(confirmation: object, identity: Identity, request: PrivacyRequest) -> bool:
    """The customer typed their e-mail address (any case) or the request's reference."""
    if not isinstance(confirmation, str):
        return False
    typed = confirmation.strip()
    return bool(typed) and (typed.casefold() == identity.email.strip().casefold()
                            or typed.upper() == request.reference)


def _check_confirmable(request: PrivacyRequest) -> None:
    if request.type != RequestType.DELETION:
        raise NotConfirmable("Only a deletion request is confirmed this way.")
    if request.status not in (RequestStatus.RECEIVED, RequestStatus.VERIFIED):
        raise NotConfirmable(f"This request is {request.status.replace('_', ' ')}: there is "
                             "nothing left to confirm.")


def confirm(identity: Identity, request_id: str, confirmation: object,
            now: datetime | None = None) -> PrivacyRequest | None:
    """Confirm the deletion: freeze the plan, lock the account (the host's hook), end every
    session and schedule the erasure after the grace period (at once when it is 0 days).
    None: not the account's request. A second confirmation returns the request unchanged."""
    state = get_state()
    account_id = identity.account_id
    language = languages.language_of(account_id)  # the completion e-mail's, kept with its address
    with state.db.transaction() as session:
        lock_stream(session, f"requests:{account_id}")  # two browsers confirm one at a time
        request = privacy_requests.own_for_update(session, account_id, request_id)
        if request is None:
            return None
        if (request.type == RequestType.DELETION
                and session.get(Deletion, request.id) is not None):
            return request  # already confirmed: the double click changes nothing
        _check_confirmable(request)
        if not matches(confirmation, identity, request):
            raise WrongConfirmation("Type your e-mail address exactly as it appears on your "
                                    "account, or the request's reference.")
        now = now or utcnow()
        plan = deletion_plans.preview(identity, session, now)
        if plan.blockers:
            raise Blocked(plan.blockers)
        assert plan.scheduled_for is not None
        deletion = Deletion(request_id=request.id, account_id=account_id,
                            pseudonym=f"{PSEUDONYM_PREFIX}{secrets.token_hex(12)}",
                            grace_days=plan.grace_days, confirmed_at=now,
                            scheduled_for=plan.scheduled_for, notify_email=identity.email,
                            notify_language=language)
        session.add(deletion)
        session.flush()
        deletion_plans.freeze(session, plan, request, deletion)
        _schedule(session, request, deletion, now)
        sessions.end_all_sessions(account_id, SESSION_END_REASON, actor_type="account",
                                  actor_id=account_id, session=session)
        record_audit(session, stream=account_stream(account_id), action="deletion.confirmed",
                     actor_type="account", actor_id=account_id, target_type="request",
                     target_id=request.id,
                     details={"reference": request.reference, "grace_days": plan.grace_days,
                              "scheduled_for": deletion.scheduled_for.isoformat(),
                              "steps": len(plan.lines)})
    # after the commit: the host's hook writes its own tables (on SQLite perhaps the same
    # file, whose write lock the transaction above held)
    _call_host("lock", account_id, request)
    return request


def _schedule(session: Session, request: PrivacyRequest, deletion: Deletion,
              now: datetime) -> None:
    """The request's new status, the erasure job at the point of no return, and the mails."""
    immediate = deletion.grace_days == 0
    when = deletion.scheduled_for.date().isoformat()
    privacy_requests.add_event(
        session, request,
        RequestStatus.IN_PROGRESS if immediate else RequestStatus.SCHEDULED,
        "Confirmed: erasure starts now" if immediate else
        f"Confirmed: erasure starts on {when} unless you cancel before then")
    request.step = ("Waiting for a worker" if immediate
                    else f"Erasure starts on {when}; you can cancel until then")
    job = outbox.schedule(session, ERASE_JOB, target_type="request", target_id=request.id,
                          dedupe_key=f"erase:{request.id}:1",
                          available_at=deletion.scheduled_for, actor_type="account",
                          actor_id=request.account_id)
    deletion.job_id = request.job_id = job.id
    if not get_state().setting("SMTP_HOST"):
        return
    outbox.schedule(session, SCHEDULED_MAIL_JOB, target_type="request", target_id=request.id,
                    dedupe_key=f"mail:deletion_scheduled:{request.id}")
    remind_at = deletion.scheduled_for - timedelta(
        days=get_state().setting("DELETION_REMINDER_DAYS"))
    if remind_at > now + timedelta(days=1):  # a reminder the day after is no reminder
        outbox.schedule(session, REMINDER_MAIL_JOB, target_type="request",
                        target_id=request.id, dedupe_key=f"mail:deletion_reminder:{request.id}",
                        available_at=remind_at)


def _clean_reason(reason: object) -> str:
    if reason is None or reason == "":
        return ""
    if not isinstance(reason, str) or len(reason) > 300:
        raise privacy_requests.InvalidRequest({"reason": "must be text of at most 300 "
                                                         "characters"})
    if not is_free_text(reason):
        raise privacy_requests.InvalidRequest({"reason": REFUSAL})
    return reason.strip()


def _cancel_jobs(session: Session, request_id: str) -> int:
    """The deletion's work that has not started (the erasure, the reminder) is called off."""
    return matched(session.execute(
        sa.update(BackgroundJob)
        .where(BackgroundJob.target_type == "request", BackgroundJob.target_id == request_id,
               BackgroundJob.status.in_((JobStatus.PENDING, JobStatus.ENQUEUED)))
        .values(status=JobStatus.CANCELED, finished_at=utcnow())))


def cancel(account_id: str, request_id: str, reason: object = "",
           now: datetime | None = None) -> PrivacyRequest | None:
    """Cancel the account's deletion before its point of no return: the account is restored
    (the host's hook) and the erasure called off. None: not the account's request;
    unchanged when no longer open; ErasureBegun once erasure started or its time passed."""
    why = _clean_reason(reason)
    state = get_state()
    with state.db.transaction() as session:
        request = privacy_requests.own_for_update(session, account_id, request_id)
        if request is None:
            return None
        if request.type != RequestType.DELETION:
            raise NotConfirmable("This request is not a deletion.")
        if request.status not in OPEN_STATUSES:
            return request
        deletion = session.get(Deletion, request.id, with_for_update=True)
        now = now or utcnow()
        if deletion is not None and (deletion.started_at is not None
                                     or request.status == RequestStatus.IN_PROGRESS
                                     or now >= deletion.scheduled_for):
            raise ErasureBegun("Erasure has already begun, so the deletion can no longer be "
                               "canceled. You will get the certificate when it is done.")
        privacy_requests.add_event(session, request, RequestStatus.CANCELED,
                                   "Canceled by you" + (f": {why}" if why else ""))
        request.step = ""
        request.reason = why or None
        called_off = _cancel_jobs(session, request.id)
        if deletion is not None:
            deletion.canceled_at = now
            if state.setting("SMTP_HOST"):
                outbox.schedule(session, CANCELED_MAIL_JOB, target_type="request",
                                target_id=request.id,
                                dedupe_key=f"mail:deletion_canceled:{request.id}")
        record_audit(session, stream=account_stream(account_id), action="deletion.canceled",
                     actor_type="account", actor_id=account_id, target_type="request",
                     target_id=request.id, details={"reference": request.reference,
                                                    "confirmed": deletion is not None,
                                                    "jobs_called_off": called_off})
    if deletion is not None:
        _call_host("restore", account_id, request)
    return request


def _call_host(hook_name: str, account_id: str, request: PrivacyRequest) -> bool:
    """Run the host's lock or restore hook. A failure is logged and audited (support sees
    it) but does not undo the customer's decision: the erasure job locks again before it
    starts."""
    hook = getattr(get_state().extension.deletion, hook_name)
    if hook is None:
        return True
    try:
        hook(account_id)
        return True
    except Exception as exc:  # the host's code: anything may go wrong there
        logger.exception("deletion %s hook failed for request %s", hook_name, request.id)
        with get_state().db.transaction() as session:
            record_audit(session, stream=account_stream(account_id),
                         action=f"deletion.{hook_name}_failed", actor_type="system",
                         target_type="request", target_id=request.id,
                         details={"error": type(exc).__name__})
        return False


def deletion_of(request_id: str) -> Deletion | None:
    if not is_identifier(request_id):
        return None
    with get_state().db.read() as session:
        return session.get(Deletion, request_id)


def scheduled_for_account(account_id: str) -> tuple[PrivacyRequest, Deletion] | None:
    """The account's confirmed deletion that has not finished or been canceled: while it
    exists, the account is locked and the customer sees only the page to cancel it."""
    with get_state().db.read() as session:
        row = session.execute(
            sa.select(PrivacyRequest, Deletion)
            .join(Deletion, Deletion.request_id == PrivacyRequest.id)
            .where(Deletion.account_id == account_id,
                   Deletion.canceled_at.is_(None), Deletion.finished_at.is_(None),
                   PrivacyRequest.status.in_(OPEN_STATUSES))
            .order_by(Deletion.confirmed_at.desc()).limit(1)).first()
    return (row[0], row[1]) if row is not None else None
