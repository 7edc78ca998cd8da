"""Sending the plugin's e-mails over SMTP (``SELFSERVICE_SMTP_*``).

Mail is sent by jobs, never inside a web request: a slow or absent SMTP server delays a
message, and the job's retries resend it, but no customer waits for it. While the server cannot
be reached, or answers with a temporary (4xx) error, the job keeps being retried for
``SELFSERVICE_MAIL_RETRY_HOURS``, however many attempts that takes: an outage delays e-mails,
it loses none. The retries follow failures before the server took the message; one it took is
not sent again (only a connection lost while the server answered the message itself leaves that
unknown: the message is then sent again, with the same Message-ID, rather than lost).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from .job_registry import JobPostponed
from .state import get_state


class MailDisabled(RuntimeError):
    """SELFSERVICE_SMTP_HOST is not set."""


class MailUnavailable(JobPostponed):
    """The SMTP server cannot be reached, or refused the message for now (a 4xx answer)."""


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
    """Hand ``message`` to the SMTP server; MailUnavailable when that must wait."""
    try:
        _send(message)
    except (OSError, smtplib.SMTPException) as exc:
        if not is_temporary(exc):
            raise
        raise MailUnavailable("The e-mail server is not answering for now; the message is "
                              "sent when it is back.",
                              keep_trying=get_state().setting("MAIL_RETRY_HOURS") * 3600
                              ) from exc


def is_temporary(exc: BaseException) -> bool:
    """Whether a failed delivery may succeed later unchanged: no connection (refused, reset,
    timed out, name not resolved), or a 4xx answer. A 5xx answer, a failed login or a TLS
    certificate that does not verify wait for a person instead."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException | ssl.SSLError):
        return False
    return isinstance(exc, OSError)


def _send(message: EmailMessage) -> None:
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
    try:
        if security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if state.setting("SMTP_USERNAME"):
            client.login(state.setting("SMTP_USERNAME"), state.setting("SMTP_PASSWORD") or "")
        client.send_message(message)
    finally:
        # not ``with client``: its QUIT raises on an answer other than 221, which after an
        # accepted message would have the job send it again
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()
        client.close()
