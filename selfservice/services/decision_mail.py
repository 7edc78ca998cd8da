"""E-mails about a privacy officer's work on a request: the decision (with the reason and
where to turn), an extended deadline, a message. Sent by jobs: ids in, no personal data in
the job's arguments."""

from __future__ import annotations

from typing import Any

from flask import render_template

from .. import mail
from ..job_registry import JobRefused
from ..models import PrivacyRequest, RequestNote
from ..state import get_state
from .appeals import recourse
from .decisions import REASON_CODES
from .notifications import public_url
from .privacy_requests import JURISDICTIONS, TYPES


def _send(request: PrivacyRequest, template: str, subject: str, message_id: str,
          **context: Any) -> dict[str, str]:
    state = get_state()
    identity = state.extension.load_identity(request.account_id)
    if identity is None:
        raise JobRefused("the account no longer exists")
    prefix = state.setting("URL_PREFIX")
    text = render_template(f"selfservice/email/{template}.txt", identity=identity,
                           request=request, type_name=TYPES[request.type],
                           jurisdiction=JURISDICTIONS[request.jurisdiction],
                           request_url=public_url(f"{prefix}/requests/{request.id}"),
                           **context)
    mail.send(mail.compose(to=identity.email, subject=subject, text=text,
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
    subject = (f"Your privacy request {request.reference} was denied"
               if request.decision == "denied" else
               f"Your privacy request {request.reference} was completed")
    return _send(request, "request_decided", subject, f"decided-{request.id}",
                 reason=REASON_CODES.get(request.decision_code or ""),
                 recourse=recourse(request))


def send_extended(request_id: str) -> dict[str, str]:
    request = _request(request_id)
    if request.extended_due_at is None:
        raise JobRefused("the request's deadline was not extended")
    return _send(request, "request_extended",
                 f"We need more time for your privacy request {request.reference}",
                 f"extended-{request.id}")


def send_message(note_id: str) -> dict[str, str]:
    with get_state().db.read() as session:
        note = session.get(RequestNote, int(note_id)) if note_id.isdigit() else None
    if note is None or note.kind != "message":
        raise JobRefused("the message no longer exists")
    request = _request(note.request_id)
    return _send(request, "request_message",
                 f"A message about your privacy request {request.reference}",
                 f"message-{note.id}", message=note)
