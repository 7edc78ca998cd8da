"""Privacy requests (access/export, deletion and the other rights of section 11): the one
service that owns their lifecycle, timeline and deadlines."""

from __future__ import annotations

import calendar
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import utcnow
from ..identity import Identity
from ..ledger import lock_stream, record_audit
from ..models import (
    OPEN_STATUSES,
    BackgroundJob,
    Jurisdiction,
    PrivacyRequest,
    PrivacyRequestEvent,
    RequestStatus,
    RequestType,
)
from ..state import get_state
from ..text import is_identifier
from ..translation import N_
from . import outbox, request_details
from .audit import account_stream
from .request_details import DPA_ANSWER_DAYS as DPA_ANSWER_DAYS
from .request_details import InvalidRequest as InvalidRequest
from .request_details import RequestError as RequestError

EXPORT_JOB = "export.build"
ACK_JOB = "mail.request_received"
READY_JOB = "mail.export_ready"

JURISDICTIONS: dict[str, str] = {
    Jurisdiction.GDPR: N_("GDPR (EU and EEA)"),
    Jurisdiction.UK_GDPR: N_("UK GDPR"),
    Jurisdiction.CCPA: N_("CCPA/CPRA (California)"),
    Jurisdiction.US_STATE: N_("Other US state privacy laws"),
}
#: the rights a customer asks for here, and what the console calls them
TYPES: dict[str, str] = {
    RequestType.EXPORT: N_("Export my data (access and portability)"),
    RequestType.DELETION: N_("Delete my account and data"),
    RequestType.CORRECTION: N_("Correct my data"),
    RequestType.RESTRICTION: N_("Restrict processing"),
    RequestType.OBJECTION: N_("Object to processing"),
    RequestType.AUTOMATED_DECISION_REVIEW: N_("Human review of an automated decision"),
    RequestType.LIMIT_SENSITIVE_DATA: N_("Limit the use of my sensitive personal information"),
    RequestType.APPEAL: N_("Appeal a decision on an earlier request"),
    RequestType.DPA: N_("Changes to our Data Processing Addendum (DPA)"),
}
#: types that need a fresh login to ask for
FRESH_LOGIN = frozenset({RequestType.EXPORT, RequestType.DELETION})
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


class OpenRequestExists(RequestError):
    def __init__(self, existing: PrivacyRequest) -> None:
        super().__init__(f"request {existing.reference} of this type is still open")
        self.existing = existing


class NotRetryable(RequestError):
    """Only a failed export can be tried again: the caller answers 409 with ``message``."""

    #: what a request's status means for a retry, in the customer's words
    _WHY = {RequestStatus.RECEIVED: "it was just received",
            RequestStatus.VERIFIED: "it is waiting for its turn",
            RequestStatus.IN_PROGRESS: "it is being built",
            RequestStatus.SCHEDULED: "it is scheduled",
            RequestStatus.COMPLETED: "this one is completed",
            RequestStatus.DENIED: "this one was denied",
            RequestStatus.CANCELED: "this one was canceled",
            RequestStatus.FAILED: "it is already being tried again"}

    def __init__(self, request: PrivacyRequest) -> None:
        why = (self._WHY.get(RequestStatus(request.status), "not now")
               if request.type == RequestType.EXPORT else "this request is not an export")
        super().__init__(f"Only an export that failed can be tried again, and {why}.")
        self.message = str(self)


class RateLimited(RequestError):
    def __init__(self, next_at: datetime) -> None:
        super().__init__("too many exports")
        self.next_at = next_at

    @property
    def retry_after(self) -> int:
        return max(1, int((self.next_at - utcnow()).total_seconds()) + 1)


def default_jurisdiction(country: str | None) -> str:
    """From the account's country: UK GDPR for the UK, CCPA for the US (the state is not
    known; the other state laws have the same 45 days), and GDPR, the strictest, otherwise."""
    code = (country or "").upper()
    if code == "GB":
        return "uk_gdpr"
    if code == "US":
        return "ccpa"
    return "gdpr"


def due_date(jurisdiction: str, received: datetime) -> datetime:
    """When the answer is due: one calendar month under GDPR and UK GDPR (the same day next
    month, or its last day), 45 days under CCPA and the other US state laws."""
    if jurisdiction in ("ccpa", "us_state"):
        return received + timedelta(days=45)
    month = received.month % 12 + 1
    year = received.year + (received.month == 12)
    day = min(received.day, calendar.monthrange(year, month)[1])
    return received.replace(year=year, month=month, day=day)


def appeal_due(received: datetime, state: str | None) -> datetime:
    """When an appeal under a US state law is due: 45 days, 60 in Colorado."""
    return received + timedelta(days=60 if state == "CO" else 45)


def new_reference() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"DR-{chars[:4]}-{chars[4:]}"


def add_event(session: Session, request: PrivacyRequest, status: str, note: str = "") -> None:
    request.status = status
    request.updated_at = utcnow()
    session.add(PrivacyRequestEvent(request_id=request.id, at=request.updated_at,
                                    status=status, note=note[:300]))


def validate(type_: Any, jurisdiction: Any, details: Any) -> dict[str, Any]:
    """The request's details, cleaned; InvalidRequest names every bad field."""
    errors: dict[str, str] = {}
    if not isinstance(type_, str) or type_ not in TYPES:
        errors["type"] = f"must be one of {', '.join(TYPES)}"
    if jurisdiction is not None and (not isinstance(jurisdiction, str)
                                     or jurisdiction not in JURISDICTIONS):
        errors["jurisdiction"] = f"must be one of {', '.join(JURISDICTIONS)}"
    clean: dict[str, Any] = {}
    if details is not None and not isinstance(details, Mapping):
        errors["details"] = "must be an object"
    elif "type" not in errors:
        try:
            clean = request_details.checked(type_, details)
        except InvalidRequest as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidRequest(errors)
    return clean


def next_export_at(account_id: str, session: Session | None = None) -> datetime | None:
    """When the account may ask for its next export (None: now). Failed and canceled exports
    do not count."""
    hours = get_state().setting("EXPORT_INTERVAL_HOURS")
    since = utcnow() - timedelta(hours=hours)
    query = (sa.select(sa.func.max(PrivacyRequest.created_at))
             .where(PrivacyRequest.account_id == account_id,
                    PrivacyRequest.type == RequestType.EXPORT,
                    PrivacyRequest.status.not_in([RequestStatus.FAILED, RequestStatus.CANCELED,
                                                  RequestStatus.DENIED]),
                    PrivacyRequest.created_at > since))
    if session is None:
        with get_state().db.read() as own:
            last = own.scalar(query)
    else:
        last = session.scalar(query)
    return last + timedelta(hours=hours) if last is not None else None


def _already_asked(session: Session, account_id: str, type_: str,
                   idempotency_key: str | None, org_id: str | None = None
                   ) -> PrivacyRequest | None:
    """The request a retried call made already; refuses a second open request of a type (of
    the account, or for a ``dpa`` request of its organisation) and an export within the
    interval."""
    if idempotency_key:
        same = session.scalar(sa.select(PrivacyRequest).where(
            PrivacyRequest.account_id == account_id,
            PrivacyRequest.idempotency_key == idempotency_key))
        if same is not None:
            return same
    whose = (PrivacyRequest.org_id == org_id if org_id is not None
             else PrivacyRequest.account_id == account_id)
    existing = session.scalar(sa.select(PrivacyRequest).where(
        whose, PrivacyRequest.type == type_,
        PrivacyRequest.status.in_(OPEN_STATUSES)).order_by(PrivacyRequest.created_at))
    if existing is not None:
        session.expunge(existing)  # keeps its loaded state through the rollback
        raise OpenRequestExists(existing)
    if type_ == RequestType.EXPORT:
        next_at = next_export_at(account_id, session)
        if next_at is not None:
            raise RateLimited(next_at)
    return None


def _insert(session: Session, request: PrivacyRequest) -> None:
    """Add the request under a new reference (another one if the first is taken)."""
    for _ in range(5):
        request.reference = new_reference()
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
            return
        except IntegrityError:
            session.expunge(request)
    raise RuntimeError("no free request reference after five tries")


def _schedule_work(session: Session, request: PrivacyRequest) -> None:
    if request.type == RequestType.EXPORT:
        job = outbox.schedule(session, EXPORT_JOB, target_type="request",
                              target_id=request.id, dedupe_key=f"export:{request.id}:1",
                              actor_type="account", actor_id=request.account_id)
        request.job_id = job.id
        request.step = "Waiting for a worker"
    if get_state().setting("SMTP_HOST"):
        outbox.schedule(session, ACK_JOB, target_type="request", target_id=request.id,
                        dedupe_key=f"mail:received:{request.id}")


def _due(type_: str, jurisdiction: str, clean: Mapping[str, Any], now: datetime) -> datetime:
    if type_ == RequestType.DPA:
        return now + timedelta(days=DPA_ANSWER_DAYS)
    if type_ == RequestType.APPEAL and jurisdiction == Jurisdiction.US_STATE:
        return appeal_due(now, clean.get("state"))
    return due_date(jurisdiction, now)


def create(identity: Identity, type_: str, *, jurisdiction: str | None = None,
           details: Mapping[str, Any] | None = None, idempotency_key: str | None = None,
           verified: bool = False, appeal_of: str | None = None
           ) -> tuple[PrivacyRequest, bool]:
    """Open a request (an appeal may name the request it appeals). Returns (request,
    created): a retried call with the same idempotency key gets the first request back. A
    second open request of the same type is refused (OpenRequestExists), as is an export
    within the interval (RateLimited). A ``dpa`` request is its organisation's: only an
    owner or admin asks (NoOrganisation, NotOrgAdmin), one open request per organisation."""
    org = request_details.organisation_of(identity, type_)
    clean = validate(type_, jurisdiction, details)
    org_id = org[0] if org else None
    if org is not None:
        clean["organisation"] = org[1]
    jurisdiction = jurisdiction or default_jurisdiction(identity.country)
    account_id = identity.account_id
    with get_state().db.transaction() as session:
        # one writer per account (and organisation) at a time: a double click, or two admins
        # at once, cannot open two requests
        lock_stream(session, f"requests:{account_id}")
        if org_id is not None:
            lock_stream(session, f"requests:org:{org_id}")
        same = _already_asked(session, account_id, type_, idempotency_key, org_id)
        if same is not None:
            return same, False
        now = utcnow()
        request = PrivacyRequest(
            account_id=account_id, type=type_, status=RequestStatus.RECEIVED,
            jurisdiction=jurisdiction, details=clean, idempotency_key=idempotency_key,
            created_at=now, due_at=_due(type_, jurisdiction, clean, now), updated_at=now,
            progress=0, step="", downloads=0, appeal_of=appeal_of, org_id=org_id)
        _insert(session, request)
        add_event(session, request, RequestStatus.RECEIVED)
        if verified:
            add_event(session, request, RequestStatus.VERIFIED,
                   "Identity confirmed by a fresh sign-in")
        record_audit(session, stream=account_stream(account_id), action="request.created",
                     actor_type="account", actor_id=account_id, target_type="request",
                     target_id=request.id, details={"type": type_,
                                                    "reference": request.reference})
        _schedule_work(session, request)
        return request, True


def get(account_id: str, request_id: str) -> PrivacyRequest | None:
    """The account's own request; None for anyone else's (the caller answers 404)."""
    if not is_identifier(request_id):
        return None  # no id of ours; and PostgreSQL refuses a NUL byte even to look it up
    with get_state().db.read() as session:
        request = session.get(PrivacyRequest, request_id)
    return request if request is not None and request.account_id == account_id else None


def timeline(request_id: str) -> list[PrivacyRequestEvent]:
    with get_state().db.read() as session:
        return list(session.scalars(sa.select(PrivacyRequestEvent)
                                    .where(PrivacyRequestEvent.request_id == request_id)
                                    .order_by(PrivacyRequestEvent.id)))


def list_for(account_id: str) -> list[PrivacyRequest]:
    with get_state().db.read() as session:
        return list(session.scalars(sa.select(PrivacyRequest)
                                    .where(PrivacyRequest.account_id == account_id)
                                    .order_by(PrivacyRequest.created_at.desc())))


def own_for_update(session: Session, account_id: str,
                    request_id: str) -> PrivacyRequest | None:
    """The account's own request, locked for a change; None for anyone else's or no id of
    ours."""
    if not is_identifier(request_id):
        return None
    request = session.get(PrivacyRequest, request_id, with_for_update=True)
    return request if request is not None and request.account_id == account_id else None


def cancel(account_id: str, request_id: str) -> PrivacyRequest | None:
    """Cancel an open request (an export being built is abandoned). None: not the
    account's; unchanged when it is no longer open."""
    with get_state().db.transaction() as session:
        request = own_for_update(session, account_id, request_id)
        if request is None:
            return None
        if request.type == RequestType.DELETION:
            raise TypeError("a deletion is canceled through services.deletion.cancel, which "
                            "also restores the account")
        if request.status in OPEN_STATUSES:
            add_event(session, request, RequestStatus.CANCELED, "Canceled by you")
            request.step = ""
            record_audit(session, stream=account_stream(account_id),
                         action="request.canceled", actor_type="account",
                         actor_id=account_id, target_type="request", target_id=request.id)
        return request


def retry(account_id: str, request_id: str, *, actor_type: str = "account",
          actor_id: str | None = None,
          note: str = "Tried again at your request") -> PrivacyRequest | None:
    """A failed export is tried again at once, with a fresh set of attempts (by the customer,
    or by staff: ``actor_type``, ``actor_id`` and the timeline's ``note`` say so). None: not
    the account's; NotRetryable (nothing changed): any other request, or a retry already under
    way."""
    with get_state().db.transaction() as session:
        request = own_for_update(session, account_id, request_id)
        if request is None:
            return None
        if (request.status != RequestStatus.FAILED or request.type != RequestType.EXPORT
                or not request.job_id
                or not outbox.retry(session, request.job_id, actor_type=actor_type,
                                    actor_id=actor_id or account_id)):
            raise NotRetryable(request)
        request.reason = None
        request.progress = 0
        request.step = "Waiting for a worker"
        add_event(session, request, RequestStatus.VERIFIED, note)
        return request


def job_failed(session: Session, job: BackgroundJob) -> None:
    """A request's job gave up after its last attempt: the request says so, with why."""
    if job.target_type != "request" or job.target_id is None:
        return
    request = session.get(PrivacyRequest, job.target_id, with_for_update=True)
    if request is None or request.status not in OPEN_STATUSES:
        return
    request.reason = (f"The export could not be built ({job.error or 'unknown error'}). "
                      "You can try again now; if it keeps failing, support has the details.")
    request.step = ""
    add_event(session, request, RequestStatus.FAILED, f"Failed after {job.attempts} attempts")
