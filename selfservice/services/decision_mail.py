"""E-mails about a privacy officer's work on a request: the decision (with the reason and
where to turn), an extended deadline, a message. Sent by jobs: ids in, no personal data in
the job's arguments; each in the customer's language (languages.py, mail_text.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import mail
from ..job_registry import JobRefused
from ..models import PrivacyRequest, RequestNote
from ..state import get_state
from ..translation import gettext as _
from . import mail_text
from .appeals import recourse
from .decisions import REASON_CODES
from .languages import writing_to
from .notifications import public_url


def _send(request: PrivacyRequest, template: str, subject: Callable[[], str], message_id: str,
          **context: Any) -> dict[str, str]:
    """``subject`` is called, and ``context``'s callables too, in the customer's language."""
    state = get_state()
    identity = state.extension.load_identity(request.account_id)
    if identity is None:
        raise JobRefused("the account no longer exists")
    prefix = state.setting("URL_PREFIX")
    with writing_to(identity.account_id):
        words = {key: value() if callable(value) else value for key, value in context.items()}
        text = mail_text.render(template, identity=identity, request=request,
                                request_url=public_url(f"{prefix}/requests/{request.id}"),
                                **words)
        title = subject()
    mail.send(mail.compose(to=identity.email, subject=title, text=text,
                           message_id=f"<{message_id}@selfservice>"))
    return {"sent": template}


def _request(request_id: str) -> PrivacyRequest:
    with get_state().db.read() as session:
        request = session.get(PrivacyRequest, request_id)
    if request is None:
        raise JobRefused("the request no longer exists")
    return request


def send_decided(request_id: str) -> dict[str, str]:
    request = _request(request_id)
    if request.decision is None:
        raise JobRefused("the request has no decision")
    reference = request.reference

    def subject() -> str:
        return (_("Your privacy request %(reference)s was declined", reference=reference)
                if request.decision == "denied" else
                _("Your privacy request %(reference)s was completed", reference=reference))

    reason = REASON_CODES.get(request.decision_code or "")
    return _send(request, "request_decided", subject, f"decided-{request.id}",
                 reason=lambda: _(reason) if reason else None,
                 recourse=lambda: recourse(request))


def send_extended(request_id: str) -> dict[str, str]:
    request = _request(request_id)
    if request.extended_due_at is None:
        raise JobRefused("the request's deadline was not extended")
    return _send(request, "request_extended",
                 lambda: _("We need more time for your privacy request %(reference)s",
                           reference=request.reference),
                 f"extended-{request.id}")


def send_message(note_id: str) -> dict[str, str]:
    with get_state().db.read() as session:
        note = session.get(RequestNote, int(note_id)) if note_id.isdigit() else None
    if note is None or note.kind != "message":
        raise JobRefused("the message no longer exists")
    request = _request(note.request_id)
    return _send(request, "request_message",
                 lambda: _("A message about your privacy request %(reference)s",
                           reference=request.reference),
                 f"message-{note.id}", message=note)
