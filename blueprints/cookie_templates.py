"""What the app's templates get for cookie consent: ``csp_nonce()``, ``cookie_allowed()``,
``gated_script()`` and what the banner needs (``selfservice_cookie_banner()``)."""

from __future__ import annotations

from typing import Any

from flask import request
from markupsafe import Markup

from selfservice.cookies import CATEGORIES, OPTIONAL
from selfservice.services import cookie_consent as service
from selfservice.state import get_state

from .cookie_state import cookie_state, csp_nonce, language, loaded_state, texts

#: the plugin's own pages that show the choices themselves: no banner on top of them
_CHOICE_PAGES = ("selfservice.cookie_settings", "selfservice.cookie_policy")


def context() -> dict[str, Any]:
    """app_context_processor: the helpers, in every template of the app."""
    return {"csp_nonce": csp_nonce, "cookie_allowed": cookie_allowed,
            "gated_script": gated_script, "selfservice_cookie_banner": banner_context}


def cookie_allowed(category: str) -> bool:
    return bool(cookie_state().allowed.get(category, False))


def gated_script(category: str, src: str) -> Markup:
    """A non-essential script: a real one once ``category`` is accepted, otherwise an inert
    one (``type="text/plain"``) that the banner activates in place when consent is given."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown cookie category {category!r}")
    if cookie_allowed(category):
        return Markup('<script nonce="{}" src="{}"></script>').format(csp_nonce(), src)
    return Markup('<script type="text/plain" data-ss-category="{}" nonce="{}" data-src="{}">'
                  "</script>").format(category, csp_nonce(), src)


def banner_context() -> dict[str, Any] | None:
    """What the banner template needs, or None when no banner is due on this page."""
    settings = get_state()
    if not settings.setting("COOKIE_BANNER") or loaded_state() is None:
        return None
    state = cookie_state()
    if not state.needs_banner or request.blueprint == "selfservice" and (
            request.endpoint in _CHOICE_PAGES):
        return None
    lang = language()
    return {"state": state, "t": texts(lang), "lang": lang,
            "version": service.registry().version, "optional": OPTIONAL,
            "csrf_header": settings.setting("CSRF_HEADER"),
            "next": request.full_path.rstrip("?") if request.query_string else request.path}
