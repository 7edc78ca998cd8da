"""Sending the plugin's e-mails over SMTP (``SELFSERVICE_SMTP_*``).

Mail is sent by jobs, never inside a web request: a slow or absent SMTP server delays a
message, and the job's retries resend it, but no customer waits for it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from .state import get_state


class MailDisabled(RuntimeError):
    """SELFSERVICE_SMTP_HOST is not set."""


def enabled() -> bool:
    return bool(get_state().setting("SMTP_HOST"))


def compose(*, to: str, subject: str, text: str, message_id: str | None = None,
            attachments: Sequence[tuple[str, str, bytes]] = ()) -> EmailMessage:
    """A plain-text message; ``attachments`` are (file name, media type, content)."""
    state = get_state()
    message = EmailMessage()
    message["From"] = state.setting("MAIL_FROM")
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # a deterministic id for one logical message, so a resend after a crash is recognisable
    message["Message-ID"] = message_id or make_msgid(domain="selfservice")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    for filename, media_type, content in attachments:
        maintype, _, subtype = media_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=filename)
    return message


def send(message: EmailMessage) -> None:
    state = get_state()
    host = state.setting("SMTP_HOST")
    if not host:
        raise MailDisabled("SELFSERVICE_SMTP_HOST is not set")
    port = int(state.setting("SMTP_PORT"))
    timeout = float(state.setting("SMTP_TIMEOUT"))
    security = state.setting("SMTP_SECURITY")
    client: Any
    if security == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if state.setting("SMTP_USERNAME"):
            client.login(state.setting("SMTP_USERNAME"), state.setting("SMTP_PASSWORD") or "")
        client.send_message(message)
