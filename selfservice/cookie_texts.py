"""The cookie banner's words, and the cookie pages': English message ids of the plugin's
catalogue (``selfservice.po``), each under a key, so German comes from the catalogue like every
other page's words and in the language every other page is written in
(:func:`translation.current_language`).

A host overrides any of them per language with ``SELFSERVICE_COOKIE_TEXTS``
(``{language: {key: text}}``): the host's text for a language wins over the catalogue's; a
language only the host names gets its texts there and the rest from the catalogues (English
unless the host's own catalogue translates them). The SHA-256 of the texts shown is recorded
with every decision (:func:`text_hash`), so what the visitor read is provable: it is computed
from the same words the banner shows, in the same language.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping

from babel import Locale, UnknownLocaleError
from flask import current_app
from flask_babel import force_locale, get_locale

from .translation import SOURCE_LANGUAGE, current_language, languages
from .translation import lazy_gettext as _l

#: every key a host may override, with its English words (the message id)
MESSAGES = {
    "title": _l("Cookies on this console"),
    "body": _l("We use cookies that are needed to run the console. With your consent we "
               "also use cookies to remember your settings, to measure use, and for "
               "marketing. Nothing optional is set until you choose; you can change your "
               "mind at any time under “Cookie settings” at the bottom of every page."),
    "accept_all": _l("Accept all"),
    "reject_all": _l("Reject all"),
    "customise": _l("Customise"),
    "save": _l("Save my choices"),
    "close_customise": _l("Back"),
    "choices": _l("Choose which cookies we may use"),
    "always_on": _l("Always on"),
    "policy_link": _l("Cookie policy"),
    "settings_link": _l("Cookie settings"),
    "gpc_notice": _l("Your browser sent a Global Privacy Control signal: marketing cookies "
                     "and any sale or sharing of your data are off."),
    "gpc_confirm": _l("Your browser asks sites not to sell or share your data. Turn marketing "
                      "cookies on anyway?"),
    "gpc_confirm_yes": _l("Yes, turn marketing on"),
    "gpc_confirm_no": _l("No, keep it off"),
    "changed": _l("Our cookies changed since you chose. Please choose again for:"),
    "saved": _l("Your cookie choices are saved."),
    "cat_necessary": _l("Necessary"),
    "cat_necessary_text": _l("Sign-in, security and your cookie choice itself. The console "
                             "cannot work without them."),
    "cat_functional": _l("Functional"),
    "cat_functional_text": _l("Remember your preferences, such as language and layout."),
    "cat_analytics": _l("Analytics"),
    "cat_analytics_text": _l("Count visits and measure how the console is used, so we can "
                             "improve it."),
    "cat_marketing": _l("Marketing"),
    "cat_marketing_text": _l("Measure campaigns and show relevant offers, including on "
                             "other sites."),
    "added": _l("added"), "removed": _l("removed"), "changed_word": _l("changed"),
    "decided": _l("Your choice is saved."), "consent_id": _l("Consent id"),
    "undecided": _l("You have not chosen yet: only necessary cookies are set."),
    "history": _l("Your recorded choices"), "when": _l("When"), "choice": _l("Choice"),
    "how": _l("How"), "yes": _l("yes"), "no": _l("no"),
    "receipt": _l("Download the signed receipt of your current choice"),
    "back": _l("Go back to the page you were looking at"),
    "session_expired": _l("Your session expired before you chose. Nothing was saved; please "
                          "choose again."),
    "choose_button": _l("Choose one of the buttons."),
    "policy_changed_open": _l("Our cookies changed while this page was open. Nothing was "
                              "saved; please review and choose again."),
    "policy_intro": _l("These are the cookies of this console, by category. When one is "
                       "added, removed or changed in a way that affects what you accepted, "
                       "we ask you again."),
    "machine_readable": _l("machine-readable"), "none_now": _l("None at present."),
    "version": _l("Version"), "verify": _l("Verify"), "cookie": _l("Cookie"),
    "provider": _l("Provider"), "purpose": _l("Purpose"), "duration": _l("Duration"),
    "party": _l("Party"),
}

#: app.extensions key of the words per locale (the catalogues do not change while the app runs)
_CACHE = "selfservice_cookie_texts"

#: what the banner shows (the settings page shows the same words and the category texts)
SHOWN = ("title", "body", "accept_all", "reject_all", "customise", "save", "choices",
         "always_on", "cat_necessary", "cat_necessary_text", "cat_functional",
         "cat_functional_text", "cat_analytics", "cat_analytics_text", "cat_marketing",
         "cat_marketing_text")


def known_languages(overrides: Mapping[str, Mapping[str, str]] | None = None
                    ) -> tuple[str, ...]:
    """The languages the texts exist in: the shipped ones and those the host adds."""
    return tuple(dict.fromkeys([*languages(), *(overrides or {})]))


@contextlib.contextmanager
def _written_in(lang: str) -> Iterator[None]:
    if lang == current_language():
        yield
        return
    try:
        Locale.parse(lang.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        lang = SOURCE_LANGUAGE  # a host's own name for a language: its words, ours in English
    with force_locale(lang.replace("-", "_")):
        yield


def texts(lang: str, overrides: Mapping[str, Mapping[str, str]] | None = None
          ) -> dict[str, str]:
    """Every key's words in ``lang``: the host's override for that language where it has one,
    the catalogue's otherwise."""
    with _written_in(lang):
        cache: dict[str, dict[str, str]] = current_app.extensions.setdefault(_CACHE, {})
        locale = str(get_locale())
        shipped = cache.get(locale)
        if shipped is None:  # some fifty lookups: once per locale, not on every page
            shipped = cache[locale] = {key: str(message) for key, message in MESSAGES.items()}
    words = dict(shipped)
    words.update((overrides or {}).get(lang, {}))
    return words


def text_hash(texts: Mapping[str, str], *, gpc: bool = False,
              changes: Mapping[str, object] | None = None) -> str:
    """SHA-256 of what the visitor was shown when deciding: the banner's words in their
    language, the Global Privacy Control notice if it showed, and the list of changes if they
    were asked again (recorded with their decision)."""
    shown: dict[str, object] = {key: texts.get(key, "") for key in SHOWN}
    if gpc:
        shown["gpc_notice"] = texts.get("gpc_notice", "")
    if changes:
        shown["changed"] = texts.get("changed", "")
        shown["changes"] = changes
    data = json.dumps(shown, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()
