"""E-mails to customers about their privacy choices, sent by jobs (ids in, no personal data in
the job's arguments)."""

from __future__ import annotations

from flask import render_template

from .. import mail
from ..job_registry import JobRefused
from ..models import ConsentEvent, PrivacyRequest
from ..purposes import METHODS, PURPOSES
from ..state import get_state
from .privacy_requests import JURISDICTIONS, TYPES


def public_url(path: str) -> str | None:
    """An absolute link for e-mails (``SELFSERVICE_PUBLIC_URL``), or None when unset."""
    base = get_state().setting("PUBLIC_URL")
    return base.rstrip("/") + path if base else None


def send_training_confirmation(event_id: str) -> dict[str, str]:
    """Confirm a change of the account's training choice to the account's e-mail address."""
    state = get_state()
    with state.db.transaction() as session:
        event = session.get(ConsentEvent, event_id)
    if event is None or event.subject_type != "account":
        raise JobRefused("the consent event no longer exists")
    identity = state.extension.load_identity(event.subject_id)
    if identity is None:
        raise JobRefused("the account no longer exists")
    prefix = state.setting("URL_PREFIX")
    api_prefix = state.setting("API_URL_PREFIX")
    text = render_template(
        "selfservice/email/training_confirmation.txt", identity=identity, event=event,
        purpose=PURPOSES[event.purpose], method=METHODS.get(event.method, event.method),
        preferences_url=public_url(f"{prefix}/preferences"),
        receipt_url=public_url(f"{api_prefix}/consent-events/{event.id}/receipt"),
        policy_url=state.setting("POLICY_URL"),
    )
    if event.method == "org_policy":
        subject = ("Your organisation's policy: your content may be used for model training"
                   if event.granted else
                   "Your organisation's policy: your content is not used for model training")
    else:
        subject = ("You opted in to model training" if event.granted
                   else "Your content will not be used for model training")
    message = mail.compose(to=identity.email, subject=subject, text=text,
                           message_id=f"<consent-{event.id}@selfservice>")
    mail.send(message)
    return {"sent": "training_confirmation"}


def _request_mail(request_id: str, template: str, subject: str) -> dict[str, str]:
    state = get_state()
    with state.db.read() as session:
        request = session.get(PrivacyRequest, request_id)
    if request is None:
        raise JobRefused("the request no longer exists")
    identity = state.extension.load_identity(request.account_id)
    if identity is None:
        raise JobRefused("the account no longer exists")
    prefix = state.setting("URL_PREFIX")
    text = render_template(template, identity=identity, request=request,
                           type_name=TYPES[request.type],
                           jurisdiction=JURISDICTIONS[request.jurisdiction],
                           request_url=public_url(f"{prefix}/requests/{request.id}"))
    mail.send(mail.compose(to=identity.email, subject=subject.format(request.reference),
                           text=text, message_id=f"<{template.rsplit('/', 1)[-1]}-"
                                                 f"{request.id}@selfservice>"))
    return {"sent": template.rsplit("/", 1)[-1]}


def send_request_received(request_id: str) -> dict[str, str]:
    return _request_mail(request_id, "selfservice/email/request_received.txt",
                         "We received your privacy request {}")


def send_export_ready(request_id: str) -> dict[str, str]:
    return _request_mail(request_id, "selfservice/email/export_ready.txt",
                         "Your data export {} is ready")
