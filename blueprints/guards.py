"""Decorators and checks the plugin's views (and the host's) use: login, freshness, CSRF,
service tokens, roles."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.wrappers import Response
from wtforms import ValidationError

from selfservice.auth import current_account_id, current_identity, is_fresh
from selfservice.identity import Identity
from selfservice.state import get_state

from .problems import problem

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")
#: a view that is handed the signed-in identity as its first argument
IdentityView = Callable[Concatenate[Identity, P], R]
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def safe_next(target: str | None, default: str | None = None) -> str:
    """A local path to return to, or the default: never another site (no open redirect)."""
    fallback = default or home_url()
    if not target or not isinstance(target, str):
        return fallback
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        # our own absolute URL (a Referer): keep only its path and query
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def home_url() -> str:
    endpoint = get_state().setting("HOME_ENDPOINT")
    return url_for(endpoint or "selfservice.index")


def reauth_url(next_url: str | None = None) -> str:
    state = get_state()
    endpoint = ("selfservice_auth.reauth" if state.setting("SSO_ENABLED")
                else state.setting("REAUTH_ENDPOINT"))
    if not endpoint:
        raise RuntimeError("SELFSERVICE_REAUTH_ENDPOINT must name the host's re-authentication "
                           "view when SELFSERVICE_SSO_ENABLED is False.")
    return url_for(endpoint, next=safe_next(next_url))


def login_url(next_url: str | None = None) -> str:
    manager: LoginManager | None = getattr(current_app, "login_manager", None)
    endpoint = (manager.login_view if manager else None) or "selfservice_auth.login"
    return url_for(endpoint, next=safe_next(next_url))


def _current_page() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


# -- pages ------------------------------------------------------------------------------------

def _page_identity(fresh: bool, within: float | None) -> Identity | Response:
    """The signed-in identity, or the redirect through login (or re-authentication) and back."""
    identity = current_identity()
    if identity is None:
        return redirect(login_url(_current_page()))
    if fresh and not is_fresh(within):
        # a GET or HEAD comes back to itself; a POST cannot be replayed after the round
        # trip, so it comes back to the page it was sent from
        target = _current_page() if request.method in ("GET", "HEAD") else request.referrer
        return redirect(reauth_url(target))
    return identity


def page_identity(*, fresh: bool = False, within: float | None = None
                  ) -> Callable[[IdentityView[P, Any]], Callable[P, Any]]:
    """For the plugin's pages: sign-in (and with ``fresh``, a login younger than ``within``
    seconds, default SELFSERVICE_REAUTH_MAX_AGE) or through the login and back. The view gets
    the signed-in identity as its first argument."""

    def decorator(view: IdentityView[P, Any]) -> Callable[P, Any]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            found = _page_identity(fresh, within)
            if not isinstance(found, Identity):
                return found
            return view(found, *args, **kwargs)

        return wrapper

    return decorator


def login_required_page(view: Callable[P, R]) -> Callable[P, R | Response]:
    """For a host's pages: send a visitor who is not signed in to the login, and back."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        found = _page_identity(False, None)
        return view(*args, **kwargs) if isinstance(found, Identity) else found

    return wrapper


def fresh_login_required(within: float | None = None
                         ) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """For a host's pages: demand a login younger than ``within`` seconds (default
    SELFSERVICE_REAUTH_MAX_AGE); otherwise send the user through the re-authentication and back.
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            found = _page_identity(True, within)
            return view(*args, **kwargs) if isinstance(found, Identity) else found

        return wrapper

    return decorator


# -- JSON API ---------------------------------------------------------------------------------

def service_token_name() -> str | None:
    """The name of the service whose bearer token the request carries, if it is valid."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    presented = header[7:].strip().encode()
    for name, token in get_state().setting("SERVICE_TOKENS").items():
        if hmac.compare_digest(presented, token.encode()):
            return str(name)
    return None


def has_bearer() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def csrf_ok(token: str | None) -> bool:
    """Is ``token`` this session's valid CSRF token?"""
    try:
        validate_csrf(token)
    except (ValidationError, CSRFError):
        return False
    return True


def check_csrf() -> Any:
    """before_request of the API: unsafe calls with the session cookie need the CSRF header."""
    if request.method not in UNSAFE_METHODS or service_token_name() is not None:
        return None
    if current_account_id() is None:
        return None  # no session to ride on; the view's own guard answers 401
    token = request.headers.get(get_state().setting("CSRF_HEADER"))
    try:
        validate_csrf(token)
    except (ValidationError, CSRFError) as exc:
        return problem(403, "csrf-failed", "CSRF token missing or invalid", str(exc))
    return None


def _api_identity(fresh: bool, within: float | None,
                  roles: tuple[str, ...]) -> Identity | Response:
    """The signed-in identity, or the problem that says why not."""
    if has_bearer():
        # a bearer call is never also a cookie call (it skipped the CSRF check)
        return problem(401, "invalid-token", "This endpoint takes a session, not a bearer token")
    identity = current_identity()
    if identity is None:
        return problem(401, "not-authenticated", "Login required",
                       login_url=login_url(request.referrer))
    if fresh and not is_fresh(within):
        return problem(401, "reauth-required", "Fresh login required",
                       "Sign in again to confirm it is you.",
                       reauth_url=reauth_url(request.referrer))
    if roles and not any(identity.has_role(r) for r in roles):
        return problem(403, "forbidden", "Not allowed")
    return identity


def api_identity(*, fresh: bool = False, within: float | None = None,
                 roles: tuple[str, ...] = ()
                 ) -> Callable[[IdentityView[P, Any]], Callable[P, Any]]:
    """For the plugin's JSON views: as :func:`api_auth`, and the view gets the signed-in
    identity as its first argument."""

    def decorator(view: IdentityView[P, Any]) -> Callable[P, Any]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            found = _api_identity(fresh, within, roles)
            if not isinstance(found, Identity):
                return found
            return view(found, *args, **kwargs)

        return wrapper

    return decorator


def api_auth(*, fresh: bool = False, within: float | None = None, roles: tuple[str, ...] = ()
             ) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """For JSON views: 401 problem when not logged in; 401 ``reauth-required`` with a
    ``reauth_url`` when ``fresh`` and the login is stale; 403 without one of ``roles``."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            found = _api_identity(fresh, within, roles)
            return view(*args, **kwargs) if isinstance(found, Identity) else found

        return wrapper

    return decorator


def service_auth(view: Callable[P, R]) -> Callable[P, R | Response]:
    """For machine-to-machine JSON views: a valid bearer service token or 401."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if service_token_name() is None:
            return problem(401, "invalid-token", "Service token required",
                           headers={"WWW-Authenticate": 'Bearer realm="selfservice"'})
        return view(*args, **kwargs)

    return wrapper
