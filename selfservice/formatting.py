"""Numbers, sizes and dates in the reader's language: "1,234" and "1.2 MB" in English, "1.234"
and "1,2 MB" in German; "5 December 2026" and "5. Dezember 2026".

Each function writes in the language of the page or e-mail being written
(:func:`translation.locale_object`: the request's, or the one :func:`translation.language`
chose). Dates are written in UTC, as the server stores them; a page's script rewrites the ones
marked for it in the reader's own time zone (``selfservice/static/local-time.js``).

English keeps the forms its pages always had: ISO dates where a date is short ("2026-12-05"),
"5 December 2026" where it is long. Every other language uses Babel's (CLDR's) forms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context

from .text import scaled_size
from .translation import SOURCE_LANGUAGE, locale_object, ngettext

#: English dates as its pages write them: (short, long)
_ENGLISH_DAY = {"short": "yyyy-MM-dd", "long": "d MMMM y"}
#: English moments: the date, then the time (24-hour) and the zone
_ENGLISH_MOMENT = {"short": "{date} {time}", "long": "{date} at {time}"}
#: Babel's date formats for the styles
_BABEL_STYLE = {"short": "medium", "long": "long"}


def _english(locale: Locale) -> bool:
    return str(locale.language) == SOURCE_LANGUAGE


def number(value: int | float) -> str:
    """``value`` with the language's digit grouping and decimal sign ("1.234" in German)."""
    return format_decimal(value, locale=locale_object())


def size(num_bytes: int | None) -> str:
    """A number of bytes as a person reads it: "812 bytes", "9.5 KB", "56 KB", "1.2 MB"
    ("812 Byte", "9,5 KB", "1,2 MB" in German); nothing for None."""
    if num_bytes is None:
        return ""
    if num_bytes < 1024:
        return ngettext("%(size)s byte", "%(size)s bytes", num_bytes, size=number(num_bytes))
    value, unit = scaled_size(num_bytes)
    pattern = "0.#" if value < 10 else "#,##0"
    return f"{format_decimal(value, format=pattern, locale=locale_object())} {unit}"


def _in_utc(value: date | datetime | str) -> date:
    """A day, or a moment in UTC (an ISO 8601 string from a JSON body too; naive = UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def day(value: date | datetime | str | None, style: str = "long") -> str:
    """The day of ``value`` (UTC): "5 December 2026" / "5. Dezember 2026" (``long``), or
    "2026-12-05" / "05.12.2026" (``short``); a dash for None."""
    if value is None or value == "":
        return "—"
    when = _in_utc(value)
    locale = locale_object()
    if _english(locale):
        return format_date(when, _ENGLISH_DAY[style], locale=locale)
    return format_date(when, _BABEL_STYLE[style], locale=locale)


def moment(value: datetime | str | None, style: str = "long") -> str:
    """A moment in UTC, naming the zone: "5 December 2026 at 14:03 UTC" / "5. Dezember 2026
    um 14:03 UTC" (``long``), "2026-12-05 14:03 UTC" / "05.12.2026, 14:03 UTC" (``short``)."""
    if value is None or value == "":
        return "—"
    when = _in_utc(value)
    if not isinstance(when, datetime):  # a day without its time: the day alone
        return day(when, style)
    locale = locale_object()
    time = format_time(when, "HH:mm", locale=locale)
    if _english(locale):
        pattern = _ENGLISH_MOMENT[style]
    else:  # the language's own joint ("{1} 'um' {0}"), as format_datetime applies it
        pattern = str(locale.datetime_formats[_BABEL_STYLE[style]]).replace("'", "")
        pattern = pattern.replace("{1}", "{date}").replace("{0}", "{time}")
    return pattern.format(date=day(when, style), time=time) + " UTC"


def _each_render(function: Callable[..., str]) -> Callable[..., str]:
    """``function`` as a filter applied at each rendering. Jinja works out a filter of a
    constant (``2000|ss_number``) once, when it compiles the template, in the language of the
    page that happened to compile it; a filter that takes the context never is."""

    @pass_context
    def per_render(_context: Context, value: Any, *args: Any) -> str:
        return function(value, *args)

    per_render.__doc__ = function.__doc__
    return per_render


def init_app(app: Flask) -> None:
    """The filters, in every template of ``app`` (pages, and e-mails the worker renders):
    ``ss_size``, ``ss_number``, ``ss_day`` and ``ss_moment`` (a host's own filters of the same
    names win)."""
    for name, function in (("ss_size", size), ("ss_number", number), ("ss_day", day),
                           ("ss_moment", moment)):
        app.jinja_env.filters.setdefault(name, _each_render(function))
