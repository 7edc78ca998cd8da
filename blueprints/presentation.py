"""What the plugin's templates use to say dates and texts plainly: ``selfservice_local_time()``,
the script that rewrites the UTC dates the server wrote in the reader's time zone and language,
loaded once per page by the first date that needs it (``selfservice/_words.html``).
(``ss_text``, a text the templates do not hold, a host's or words the plugin recorded, in the
page's language, is ``selfservice.translation``'s.)

The words themselves live in the templates (``selfservice/_words.html``) and the catalogues,
not here; numbers, sizes and dates are ``selfservice.formatting``'s filters."""

from __future__ import annotations

from flask import Blueprint, g, url_for
from markupsafe import Markup

from selfservice import translation

from .cookie_state import csp_nonce

_LOADED = "_selfservice_local_time"


def local_time_script() -> Markup:
    """The local-time script, the first time a page asks; nothing after that."""
    if g.get(_LOADED):
        return Markup("")
    setattr(g, _LOADED, True)
    return Markup('<script src="{}" nonce="{}" defer></script>').format(
        url_for("selfservice.static", filename="local-time.js"), csp_nonce())


def register(bp: Blueprint) -> None:
    """The global and the filter, in every template of the app (a host's too). (``ss_size``
    and the other formats, which e-mails use too, are registered by the extension itself.)"""
    bp.add_app_template_global(local_time_script, "selfservice_local_time")
    # the page's language where the context's selfservice_language is not seen (a macro of a
    # template imported without context)
    bp.add_app_template_global(translation.current_language, "selfservice_current_language")
