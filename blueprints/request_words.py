"""A request's timeline and progress in the reader's language: the services write each event's
note and an export's step in English, once, for every reader (the support console's staff
included); the request's page says them again in the customer's words. What is not the
plugin's (a staff member's reason, a source's error) is shown as it was written."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

from selfservice.schemas.decisions import REASON_CODES
from selfservice.translation import gettext as _
from selfservice.translation import locale_object, ngettext

Words = Callable[[re.Match[str]], str]


def number(value: int) -> str:
    """A count with the reader's digits ("1,234", "1.234")."""
    return format_decimal(value, locale=locale_object())


def _number(text: str) -> str:
    return number(int(text.replace(",", "")))


def _day(text: str) -> str:
    return format_date(date.fromisoformat(text), format="long", locale=locale_object())


_SIZE = re.compile(r"([\d,.]+) (bytes?|KB|MB|GB|TB)\Z")


def _size(text: str) -> str:
    """A size human_size wrote ("1.2 MB", "812 bytes") with the reader's digits."""
    found = _SIZE.match(text)
    if found is None:
        return text
    value = float(found[1].replace(",", ""))
    shown = format_decimal(value, format="#,##0.#", locale=locale_object())
    if found[2].startswith("byte"):
        return _("%(num)s bytes", num=shown) if value != 1 else _("1 byte")
    return f"{shown} {found[2]}"


def _reason(words: str) -> str:
    """A decision's reason, by the words REASON_CODES gave it; other words as written."""
    return _(words) if words in _REASON_TEXTS else words


def said_reason(words: str) -> str:
    """A decision's reason as the records keep it (REASON_CODES' English words, in the
    access log too), in the reader's words; any other text as it was written."""
    return _reason(words)


#: the reason codes' words as the records keep them (English, in the catalogue)
_REASON_TEXTS = frozenset(REASON_CODES.values())


#: (pattern of the English note, the customer's words); the first that matches is said
NOTES: tuple[tuple[re.Pattern[str], Words], ...] = tuple(
    (re.compile(pattern + r"\Z", re.DOTALL), words) for pattern, words in (
        (r"Identity confirmed by a fresh sign-in",
         lambda m: _("You confirmed it is you by signing in again")),
        (r"Canceled by you", lambda m: _("Cancelled by you")),
        (r"Canceled by you: (.+)", lambda m: _("Cancelled by you: %(why)s", why=m[1])),
        (r"Tried again at your request", lambda m: _("Tried again at your request")),
        (r"Tried again by our support team", lambda m: _("Tried again by our support team")),
        (r"Failed after (\d+) attempts",
         lambda m: _("Stopped after %(num)s attempts", num=m[1])),
        (r"Building your archive \(attempt 1\)", lambda m: _("Building your archive")),
        (r"Building your archive \(attempt (\d+)\)",
         lambda m: _("Building your archive (attempt %(num)s)", num=m[1])),
        (r"([\d,]+) records?, (.+)",
         lambda m: ngettext("%(records)s record, %(size)s", "%(records)s records, %(size)s",
                            int(m[1].replace(",", "")), records=_number(m[1]),
                            size=_size(m[2]))),
        (r"Stopped: some records are not in the promised format",
         lambda m: _("Stopped: some records are not in the promised format")),
        (r"Erasure started", lambda m: _("Erasure started")),
        (r"Erasure resumed \(attempt (\d+)\)",
         lambda m: _("Erasure resumed (attempt %(num)s)", num=m[1])),
        (r"Erasure resumed by our privacy team", lambda m: _("Erasure resumed by our privacy "
                                                             "team")),
        (r"Erasure stopped after (\d+) attempts",
         lambda m: _("Erasure stopped after %(num)s attempts", num=m[1])),
        (r"Erasure completed", lambda m: _("Erasure completed")),
        (r"Confirmed: erasure starts now", lambda m: _("Confirmed: erasure starts now")),
        (r"Confirmed: erasure starts on (\d{4}-\d\d-\d\d) unless you cancel before then",
         lambda m: _("Confirmed: erasure starts on %(date)s unless you cancel before then",
                     date=_day(m[1]))),
        (r"Deadline extended to (\d{4}-\d\d-\d\d): (.*)",
         lambda m: _("Deadline extended to %(date)s: %(why)s", date=_day(m[1]), why=m[2])),
        (r"In part\. (.+)", lambda m: _("Done in part. %(why)s", why=_reason(m[1]))),
        (r"Details added by you", lambda m: _("You added details")),
        (r"(.+)", lambda m: _reason(m[1])),
    ))

#: an export's step while it runs
STEPS: tuple[tuple[re.Pattern[str], Words], ...] = tuple(
    (re.compile(pattern + r"\Z", re.DOTALL), words) for pattern, words in (
        (r"Exporting (.+): ([\d,]+) records",
         lambda m: _("Copying %(what)s: %(num)s records", what=_(m[1]), num=_number(m[2]))),
        (r"Exporting (.+)", lambda m: _("Copying %(what)s", what=_(m[1]))),
        (r"Archive complete", lambda m: _("Putting the archive together")),
        (r"(Starting|Waiting for a worker)?", lambda m: _("Starting")),
    ))


def _said(table: tuple[tuple[re.Pattern[str], Words], ...], text: str) -> str | None:
    for pattern, words in table:
        found = pattern.match(text)
        if found is not None:
            return words(found)
    return None


def note(text: str | None) -> str:
    """A timeline note in the reader's words ("" for none; as written when not ours)."""
    if not text:
        return ""
    return _said(NOTES, text) or text


def step(text: str | None) -> str:
    """What a running export is doing now, in the reader's words."""
    return _said(STEPS, text or "") or _("Working on it")


_APPEAL = re.compile(r"Appeal of the decision on (DR-[0-9A-Z]{4}-[0-9A-Z]{4})")


def description(text: str) -> str:
    """What the customer told us; an appeal's first line, which the service writes, in the
    reader's words."""
    found = _APPEAL.match(text)
    if found is None:
        return text
    return _("Appeal of the decision on %(reference)s", reference=found[1]) + text[found.end():]


def reason(code: str | None) -> str:
    """A decision's reason code in the reader's words."""
    return _(REASON_CODES[code]) if code in REASON_CODES else ""
