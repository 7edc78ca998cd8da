"""E-mails about a deletion during its grace period, sent by jobs (the request id in): the
confirmation with the date erasure starts, the reminder before it, and the cancel. Each names
the point of no return, how to cancel and the reference, in the customer's language. (The
completion e-mail, with the certificate, is sent by the erasure: certificates.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .. import mail
from ..job_registry import JobRefused
from ..models import Deletion, PrivacyRequest, RequestStatus
from ..state import get_state
from ..translation import gettext as _
from . import mail_text
from .languages import writing_to
from .notifications import public_url


def _load(request_id: str) -> tuple[PrivacyRequest, Deletion]:
    with get_state().db.read() as session:
        request = session.get(PrivacyRequest, request_id)
        deletion = session.get(Deletion, request_id)
    if request is None or deletion is None:
        raise JobRefused("the deletion no longer exists")
    return request, deletion


def reminder_at(deletion: Deletion) -> datetime | None:
    """When the reminder goes out (SELFSERVICE_DELETION_REMINDER_DAYS before erasure), or None
    when that would be within a day of the confirmation (then there is none)."""
    remind = deletion.scheduled_for - timedelta(
        days=get_state().setting("DELETION_REMINDER_DAYS"))
    return remind if remind > deletion.confirmed_at + timedelta(days=1) else None


def _send(request: PrivacyRequest, deletion: Deletion, kind: str,
          subject: Callable[[], str]) -> dict[str, str]:
    """``subject`` is called in the customer's language."""
    state = get_state()
    identity = state.extension.load_identity(request.account_id)
    if identity is None:
        raise JobRefused("the account no longer exists")
    prefix = state.setting("URL_PREFIX")
    with writing_to(identity.account_id):
        text = mail_text.render(f"deletion_{kind}", identity=identity, request=request,
                                deletion=deletion, reminder_at=reminder_at(deletion),
                                cancel_url=public_url(f"{prefix}/delete/scheduled"),
                                request_url=public_url(f"{prefix}/requests/{request.id}"))
        title = subject()
    mail.send(mail.compose(to=identity.email, subject=title, text=text,
                           message_id=f"<deletion-{kind}-{request.id}@selfservice>"))
    return {"sent": f"deletion_{kind}"}


def send_scheduled(request_id: str) -> dict[str, str]:
    """Right after the confirmation: when erasure starts, and how to cancel before."""
    request, deletion = _load(request_id)
    reference = request.reference
    if deletion.grace_days == 0:
        return _send(request, deletion, "scheduled", lambda: _(
            "Your account is being deleted (%(reference)s)", reference=reference))
    return _send(request, deletion, "scheduled", lambda: _(
        "Your account will be deleted on %(date)s (%(reference)s)",
        date=mail_text.day(deletion.scheduled_for), reference=reference))


def send_reminder(request_id: str) -> dict[str, str]:
    """Some days before erasure starts, unless the deletion was canceled meanwhile."""
    request, deletion = _load(request_id)
    if request.status != RequestStatus.SCHEDULED or deletion.canceled_at is not None:
        return {"sent": "none", "why": f"the request is {request.status}"}
    return _send(request, deletion, "reminder", lambda: _(
        "Reminder: your account will be deleted on %(date)s (%(reference)s)",
        date=mail_text.day(deletion.scheduled_for), reference=request.reference))


def send_canceled(request_id: str) -> dict[str, str]:
    """The customer canceled in time: the account is back."""
    request, deletion = _load(request_id)
    return _send(request, deletion, "canceled", lambda: _(
        "Your account will not be deleted (%(reference)s)", reference=request.reference))
