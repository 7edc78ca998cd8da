"""Cookie consent on every request of the app: the visitor's state loaded before the view,
every response filtered after it (no cookie of a category the visitor has not accepted leaves
the server), and the sign-in that brings an account's decision along."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from flask_login import user_logged_in

from selfservice.auth import is_static_request
from selfservice.cookies import CookieRegistry
from selfservice.services import cookie_consent as service
from selfservice.state import get_state

from .cookie_state import csp_nonce, load_state, loaded_state, on_login, save_consent_cookie

logger = logging.getLogger(__name__)
_WARNED: set[str] = set()


def register_hooks(bp: Blueprint) -> None:
    """Load the state before every request of the app, enforce it on every response, and
    follow the account at sign-in."""
    bp.before_app_request(_before)
    bp.record_once(_run_last)
    user_logged_in.connect(on_login)


def _run_last(setup: BlueprintSetupState) -> None:
    # the filter runs after every other after_request function of the app, whenever those
    # were registered (Flask runs them last-registered first)
    setup.app.after_request_funcs.setdefault(None, []).insert(0, enforce)


def _before() -> None:
    if get_state().setting("COOKIE_BANNER") and not is_static_request():
        load_state()


def enforce(response: Response) -> Response:
    """after_app_request: no cookie of a category the visitor has not accepted leaves the
    server (HttpOnly ones included); cookies of refused categories are deleted; the consent
    cookie is written when the decision changed; the CSP header is added if configured."""
    settings = get_state()
    state = loaded_state()
    if state is None and settings.setting("COOKIE_BANNER") and not is_static_request():
        state = load_state()  # a host hook answered before ours ran: still enforce
    if state is not None:
        registry = service.registry()
        _filter_set_cookies(response, state, registry,
                            unknown_allowed=settings.setting("COOKIE_UNKNOWN") == "allow")
        _delete_refused_cookies(response, state, registry)
        save_consent_cookie(response)
        response.vary.update(("Cookie", "Sec-GPC"))
    policy = settings.setting("CONTENT_SECURITY_POLICY")
    if policy and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = policy.replace("{nonce}", csp_nonce())
    return response


def _filter_set_cookies(response: Response, state: service.CookieState,
                        registry: CookieRegistry, *, unknown_allowed: bool) -> None:
    """Keep the Set-Cookie headers the visitor's choice allows, and every deletion."""
    headers = response.headers.getlist("Set-Cookie")
    if not headers:
        return
    kept = []
    for header in headers:
        name = header.split("=", 1)[0].strip()
        category = registry.category_of(name)
        if category is None and not unknown_allowed:
            _warn_dropped(name)
        if _is_deletion(header) or (state.allowed[category] if category is not None
                                    else unknown_allowed):
            kept.append(header)
    response.headers.remove("Set-Cookie")
    for header in kept:
        response.headers.add("Set-Cookie", header)


def _warn_dropped(name: str) -> None:
    """Log a dropped cookie that is not in the registry, once per name (up to 1000 names)."""
    if name not in _WARNED and len(_WARNED) < 1000:
        _WARNED.add(name)
        logger.warning("dropped cookie %r: not in SELFSERVICE_COOKIES", name)


def _delete_refused_cookies(response: Response, state: service.CookieState,
                            registry: CookieRegistry) -> None:
    """Delete the first-party cookies the browser still has of categories not allowed now."""
    for name in request.cookies:
        spec = registry.lookup(name)
        if spec is not None and spec.party == "first" and not state.allowed[spec.category]:
            response.delete_cookie(name, path="/", secure=name.startswith(
                ("__Host-", "__Secure-")) or request.is_secure)


def _is_deletion(header: str) -> bool:
    """A Set-Cookie that removes the cookie: its last Max-Age is zero or less or, without
    one, its Expires lies in the past (attributes parsed, not searched for)."""
    max_age: str | None = None
    expires: str | None = None
    for part in header.split(";")[1:]:
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key == "max-age":
            max_age = value.strip()
        elif key == "expires":
            expires = value.strip()
    if max_age is not None:
        try:
            return int(max_age) <= 0
        except ValueError:
            return False
    if expires is not None:
        try:
            return parsedate_to_datetime(expires).timestamp() < time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False
