"""How the plugin's e-mails are written: in plain words, in the recipient's language, with
dates and numbers as that language writes them.

A sender renders its template (``templates/selfservice/email/<name>.txt``) and its subject
inside ``languages.writing_to(account_id)``, so every ``_()`` of the template and of the
subject is looked up in the recipient's language. The templates get the helpers below: ``day``
and ``moment`` for dates, ``number``, ``kind`` (what a request asks for), ``under``, and
``translated`` for words kept in English (marked with N_) or written by the host. The proof
(fingerprints, signatures) stays on the pages' "Verify" sections; an e-mail links to them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import render_template

from ..models import Jurisdiction, RequestType
from ..translation import gettext as _
from ..translation import locale_object


def _utc(value: datetime | str) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def day(value: date | datetime | str | None) -> str:
    """A day as the reader's language writes it: "December 12, 2026", "12. Dezember 2026"
    (a time's day in UTC; a time may be given as its ISO 8601 text)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and len(value) == 10:
        value = date.fromisoformat(value)
    if isinstance(value, datetime | str):
        value = _utc(value).date()
    return format_date(value, "long", locale=locale_object())


def moment(value: datetime | str) -> str:
    """A day and a time of day in UTC: "December 12, 2026 at 2:00 PM UTC"."""
    at = _utc(value)
    return _("%(date)s at %(time)s UTC", date=day(at),
             time=format_time(at, "short", tzinfo=UTC, locale=locale_object()))


def number(value: int | float | None) -> str:
    """1,234 or 1.234."""
    return format_decimal(value or 0, locale=locale_object())


def kind(request_type: str) -> str:
    """What a request asks for, as the e-mails name it ("copy of your data")."""
    kinds: dict[str, str] = {
        RequestType.EXPORT: _("copy of your data"),
        RequestType.DELETION: _("deletion of your account"),
        RequestType.CORRECTION: _("correction of your data"),
        RequestType.RESTRICTION: _("restriction of processing"),
        RequestType.OBJECTION: _("objection to processing"),
        RequestType.AUTOMATED_DECISION_REVIEW: _("human review of an automated decision"),
        RequestType.LIMIT_SENSITIVE_DATA: _("limiting the use of your sensitive data"),
        RequestType.APPEAL: _("appeal against a decision"),
        RequestType.DPA: _("changes to our Data Processing Addendum (DPA)"),
    }
    return kinds.get(request_type, request_type)


def under(jurisdiction: str) -> str:
    """The privacy law a request is made under, as a sentence says it ("under the GDPR"; the
    words of the rights' pages)."""
    laws: dict[str, str] = {
        Jurisdiction.GDPR: _("under the GDPR"),
        Jurisdiction.UK_GDPR: _("under the UK GDPR"),
        Jurisdiction.CCPA: _("under the CCPA"),
        Jurisdiction.US_STATE: _("under your state's privacy law"),
    }
    return laws.get(jurisdiction, jurisdiction)


def translated(text: str | None) -> str:
    """Words kept in English and marked for the catalogue (a source's description, a legal
    basis), or written by the host (a DPA version's changes, a sub-processor's purpose): in the
    reader's language when the plugin's catalogue or the host's has them, else as written."""
    return _(text) if text else ""


def render(name: str, **context: Any) -> str:
    """The text of the e-mail ``name`` in the current language (``languages.writing_to``)."""
    return render_template(f"selfservice/email/{name}.txt", day=day, moment=moment,
                           number=number, kind=kind, under=under, translated=translated,
                           **context)
