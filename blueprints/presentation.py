"""What the plugin's templates use to say dates plainly: ``selfservice_local_time()``, the
script that rewrites the UTC dates the server wrote in the reader's time zone, loaded once per
page by the first date that needs it (``selfservice/_words.html``).

The words themselves live in the templates (``selfservice/_words.html``), not here."""

from __future__ import annotations

from flask import Blueprint, g, url_for
from markupsafe import Markup

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
    """The global, in every template of the app (a host's too). (``ss_size``, which e-mails
    use too, is registered by the extension itself.)"""
    bp.add_app_template_global(local_time_script, "selfservice_local_time")
