"""The plugin's words in the reader's language: Flask-Babel and Babel's catalogues.

Every customer-facing string of the plugin (pages, forms, flashed messages, e-mails, the cookie
banner) is an English message id looked up in the ``selfservice`` catalogue of
``selfservice/translations/<lang>/LC_MESSAGES/``. The ``.po`` files are the source; the ``.mo``
files are compiled when the package is built (``setup.py``) and by ``make install``, and the
wheel ships both.

Which language: Flask-Babel's ``get_locale()``. A host that runs Flask-Babel keeps its own
locale selector, and the plugin follows it; otherwise the plugin sets Flask-Babel up with one that
picks the best of the shipped languages from ``Accept-Language``. E-mails, written by workers
outside any request, are rendered inside :func:`language` with the recipient's language.

Templates call ``_("...")``, ``gettext``, ``ngettext`` and ``{% trans %}`` as Jinja's i18n
extension defines them (new style: ``_("Hello %(name)s", name=...)``, escaped when the
template autoescapes). The plugin supplies these names to every template through a context
processor: a message id its catalogue lacks is looked up in the host's catalogue, so a host's
own templates keep their translations.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request
from flask_babel import Babel, force_locale, get_locale
from flask_babel import get_translations as host_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup, escape

#: the folder of the plugin's catalogues, one ``<lang>/LC_MESSAGES/selfservice.po`` each
TRANSLATIONS = Path(__file__).with_name("translations")
DOMAIN = "selfservice"
#: the language the message ids are written in
SOURCE_LANGUAGE = "en"


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages the plugin speaks: English, then every catalogue shipped."""
    shipped = sorted(p.name for p in TRANSLATIONS.iterdir()
                     if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()) \
        if TRANSLATIONS.is_dir() else []
    return (SOURCE_LANGUAGE, *[lang for lang in shipped if lang != SOURCE_LANGUAGE])


@functools.cache
def _catalogue(locale: str) -> NullTranslations:
    """The plugin's catalogue for ``locale`` ("de_DE" finds "de", as gettext looks)."""
    return Translations.load(str(TRANSLATIONS), [locale], DOMAIN)


def current_language() -> str:
    """The language of the page or e-mail being written (``en`` outside any context)."""
    locale = get_locale()
    return str(locale.language) if locale is not None else SOURCE_LANGUAGE


def _lookup(message: str) -> str:
    locale = get_locale()
    if locale is None:
        return message
    translated = _catalogue(str(locale)).ugettext(message)
    if translated == message:  # not ours: the host may translate it
        translated = host_translations().ugettext(message)
    return translated


def _nlookup(singular: str, plural: str, n: int) -> str:
    locale = get_locale()
    if locale is None:
        return singular if n == 1 else plural
    return _catalogue(str(locale)).ungettext(singular, plural, n)


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the current language, ``%(name)s`` filled from ``variables``."""
    translated = _lookup(message)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural form for ``num``; ``%(num)s`` is always available."""
    variables.setdefault("num", num)
    return _nlookup(singular, plural, num) % variables


class _LazyText(LazyString):  # type: ignore[misc]
    """A lazy string escaped like the plain string it stands for (Flask-Babel's is shown
    unescaped in a template): an apostrophe in a form's message reads ``&#39;`` as it did."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(message: str, **variables: Any) -> LazyString:
    """``gettext`` when the string is used, for labels defined at import time (forms)."""
    return _LazyText(gettext, message, **variables)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """``message`` itself, marked for the catalogue: words kept, stored or signed in English
    (a data source's description, a legal basis) and translated where someone reads them, with
    ``gettext(message)``."""
    return message


#: a duration as hosts write it: "30 minutes", "12 months", "1 year"
DURATION = re.compile(r"(\d+) (minute|hour|day|week|month|year)s?")
_DURATIONS = {
    "minute": lambda n: ngettext("%(num)s minute", "%(num)s minutes", n),
    "hour": lambda n: ngettext("%(num)s hour", "%(num)s hours", n),
    "day": lambda n: ngettext("%(num)s day", "%(num)s days", n),
    "week": lambda n: ngettext("%(num)s week", "%(num)s weeks", n),
    "month": lambda n: ngettext("%(num)s month", "%(num)s months", n),
    "year": lambda n: ngettext("%(num)s year", "%(num)s years", n),
}


def host_text(value: object) -> str:
    """A text of the host's configuration (or one of the plugin's marked with :func:`N_`) in
    the reader's language: the plugin's catalogue, then the host's; anything else as given.
    ``None`` and "" stay empty."""
    if value is None:
        return ""
    text = str(value)
    if not text.strip() or get_locale() is None:
        return text
    return _lookup(text)


@pass_eval_context
def _host_text_filter(eval_context: EvalContext, value: object) -> str:
    """``ss_text``: :func:`host_text`; in a page in another language, a text no catalogue
    translates is marked as the English it is (``lang="en" translate="no"``), so a screen
    reader reads it as English and a translation check knows it is not ours."""
    text = host_text(value)
    if (not eval_context.autoescape or text != str(value) or not text.strip()
            or current_language() == SOURCE_LANGUAGE):
        return text
    return Markup('<span lang="{}" translate="no">{}</span>').format(SOURCE_LANGUAGE, text)


def duration(value: object) -> str:
    """A duration as a host writes it ("30 minutes", "12 months") in the reader's language:
    the catalogues' words for it, else the plugin's ("12 Monate"), else as given."""
    text = host_text(value)
    found = DURATION.fullmatch(text.strip())
    if text != str(value) or found is None or get_locale() is None:
        return text
    return _DURATIONS[found[2]](int(found[1]))


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[None]:
    """Write in ``lang`` (a shipped language; anything else means the source language)."""
    chosen = lang if lang in languages() else SOURCE_LANGUAGE
    with force_locale(chosen):
        yield


def best_language(header_languages: Any) -> str:
    """The shipped language the reader prefers most, from an ``Accept-Language`` header
    (werkzeug's object, best first): ``en-GB`` counts as ``en``, ``*`` as the source language."""
    for value, quality in header_languages:
        primary = str(value).replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in languages():
            return primary
        if quality > 0 and primary == "*":
            return SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


def _select_locale() -> str | None:
    if not has_request_context():
        return None
    return best_language(request.accept_languages)


# -- templates ------------------------------------------------------------------------------------

def _filled(context: Context, translated: str, variables: dict[str, Any]) -> str:
    """Jinja's new-style rule: the translation trusted where the template escapes, the
    variables escaped into it; always %-formatted."""
    if context.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 (our catalogue, as Jinja does)
    return translated % variables


@pass_context
def _template_gettext(__context: Context, __string: str, **variables: Any) -> str:
    return _filled(__context, _lookup(__string), variables)


@pass_context
def _template_ngettext(__context: Context, __singular: str, __plural: str, __num: int,
                       **variables: Any) -> str:
    variables.setdefault("num", __num)
    return _filled(__context, _nlookup(__singular, __plural, __num), variables)


_TEMPLATE_NAMES = {"_": _template_gettext, "gettext": _template_gettext,
                   "ngettext": _template_ngettext}


def init_app(app: Flask) -> None:
    """Flask-Babel on ``app`` (the host's, when it has one) and the template names."""
    if "babel" not in app.extensions:
        Babel(app, locale_selector=_select_locale)
    if "jinja2.ext.InternationalizationExtension" not in app.jinja_env.extensions:
        app.jinja_env.add_extension("jinja2.ext.i18n")  # a host's Babel without Jinja set-up
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]
    # a template imported without context ({% from "selfservice/_words.html" import ... %})
    # sees the environment's globals, which Flask-Babel set to the host's catalogue alone: the
    # same names there (a host's own ids still reach its catalogue through them)
    app.jinja_env.globals.update(_TEMPLATE_NAMES)
    # words a template defines once, at its top, and says later: a template imported without
    # context is kept with them, so they are looked up each time they are shown
    app.jinja_env.globals.setdefault("_l", lazy_gettext)
    app.jinja_env.filters["ss_text"] = _host_text_filter
    app.jinja_env.filters.setdefault("ss_duration", duration)
    app.context_processor(lambda: {**_TEMPLATE_NAMES,
                                   "selfservice_language": current_language()})


def locale_object() -> Locale:
    """The current Babel locale (the source language outside any context)."""
    return get_locale() or Locale.parse(SOURCE_LANGUAGE)
