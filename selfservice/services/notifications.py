"""E-mails to customers about their privacy choices, sent by jobs (ids in, no personal data in
the job's arguments), each in the customer's language (languages.py, mail_text.py)."""

from __future__ import annotations

from .. import mail
from ..job_registry import JobRefused
from ..models import ConsentEvent, PrivacyRequest
from ..state import get_state
from ..translation import gettext as _
from . import mail_text
from .languages import writing_to


def public_url(path: str) -> str | None:
    """An absolute link for e-mails (``SELFSERVICE_PUBLIC_URL``), or None when unset."""
    base = get_state().setting("PUBLIC_URL")
    return base.rstrip("/") + path if base else None


def _training_subject(event: ConsentEvent) -> str:
    if event.method == "org_policy":
        return (_("Your organisation's policy: your content may be used for model training")
                if event.granted else
                _("Your organisation's policy: your content is not used for model training"))
    return (_("You opted in to model training") if event.granted
            else _("Your content will not be used for model training"))


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
    with writing_to(identity.account_id):
        text = mail_text.render(
            "training_confirmation", identity=identity, event=event,
            preferences_url=public_url(f"{prefix}/preferences"),
            receipt_url=public_url(f"{api_prefix}/consent-events/{event.id}/receipt"),
            policy_url=state.setting("POLICY_URL"))
        subject = _training_subject(event)
    message = mail.compose(to=identity.email, subject=subject, text=text,
                           message_id=f"<consent-{event.id}@selfservice>")
    mail.send(message)
    return {"sent": "training_confirmation"}


def _request_mail(request_id: str, name: str, message_key: str) -> dict[str, str]:
    state = get_state()
    with state.db.read() as session:
        request = session.get(PrivacyRequest, request_id)
    if request is None:
        raise JobRefused("the request no longer exists")
    identity = state.extension.load_identity(request.account_id)
    if identity is None:
        raise JobRefused("the account no longer exists")
    prefix = state.setting("URL_PREFIX")
    with writing_to(identity.account_id):
        text = mail_text.render(name, identity=identity, request=request,
                                request_url=public_url(f"{prefix}/requests/{request.id}"))
        subject = (_("We received your privacy request %(reference)s",
                     reference=request.reference) if name == "request_received" else
                   _("Your copy of your data is ready (%(reference)s)",
                     reference=request.reference))
    mail.send(mail.compose(to=identity.email, subject=subject, text=text,
                           message_id=f"<{message_key}-{request.id}@selfservice>"))
    return {"sent": name}


def send_request_received(request_id: str) -> dict[str, str]:
    return _request_mail(request_id, "request_received", "request_received.txt")


def send_export_ready(request_id: str) -> dict[str, str]:
    return _request_mail(request_id, "export_ready", "export_ready.txt")
