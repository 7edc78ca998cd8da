"""The e-mail of a sub-processor change notice, to one owner or admin of a subscribed
organisation: what changes, when, why, how to object and by when, in that person's language.
Sent by a job that carries ids only (the notice's and the account's)."""

from __future__ import annotations

import hashlib

from .. import mail, subprocessors
from ..job_registry import JobRefused
from ..models import SubprocessorNotice
from ..state import get_state
from ..translation import gettext as _
from . import mail_text
from .languages import writing_to
from .notifications import public_url


def subject(change: subprocessors.Change) -> str:
    """The notice's subject in the current language: what happens to whom, from when."""
    words = {"name": change.name, "date": mail_text.day(change.effective_at)}
    if change.action == "add":
        return _("We are adding a sub-processor: %(name)s, from %(date)s", **words)
    if change.action == "remove":
        return _("We are no longer using a sub-processor: %(name)s, from %(date)s", **words)
    return _("A sub-processor's details are changing: %(name)s, from %(date)s", **words)


def objection_path(change_id: str) -> str:
    """Where an owner or admin objects to a change (under SELFSERVICE_URL_PREFIX)."""
    return f"/subprocessors/changes/{change_id}/objection"


def send_notice(notice_id: str, account_id: str) -> dict[str, str]:
    state = get_state()
    with state.db.read() as session:
        notice = session.get(SubprocessorNotice, notice_id)
    if notice is None:
        raise JobRefused("the notice no longer exists")
    change = next((c for c in subprocessors.changes(state.config) if c.id == notice.change_id),
                  None)
    if change is None:
        raise JobRefused("the change is no longer in the configuration")
    identity = state.extension.load_identity(account_id)
    org = identity.org if identity is not None else None
    if identity is None or org is None or org.id != notice.org_id or not org.is_admin:
        return {"skipped": "no longer an owner or admin of the organisation"}
    prefix = state.setting("URL_PREFIX")
    with writing_to(account_id):
        text = mail_text.render(
            "subprocessor_change", identity=identity, org=org,
            change=change, words=subprocessors.FIELD_WORDS,
            short_notice=subprocessors.short_notice(state.config, change),
            usual_days=state.setting("SUBPROCESSOR_NOTICE_DAYS"),
            list_url=public_url(f"{prefix}/subprocessors"),
            objection_url=public_url(prefix + objection_path(change.id)))
        title = subject(change)
    recipient = hashlib.sha256(account_id.encode()).hexdigest()[:16]
    mail.send(mail.compose(to=identity.email, subject=title, text=text,
                           message_id=f"<subprocessor-notice-{notice.id}-{recipient}"
                                      "@selfservice>"))
    return {"sent": "subprocessor_change"}
