"""Who is logged in, and how recently they proved it (freshness for dangerous actions).

The session keeps when the user last fully authenticated, at the identity provider, and as
whom (``iss``/``sub``), and the id of the server-side session opened at sign-in
(:mod:`selfservice.services.sessions`). A signed-in user counts as signed in only while that
session is open: once it is ended (logout, "sign out of all other sessions", an account lock),
unknown, or missing, the user is logged out at the next request. Export downloads, deletion
and signing demand an authentication younger than ``SELFSERVICE_REAUTH_MAX_AGE``; a
re-authentication only counts if it is by the same user.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Response, current_app, g, request, session
from flask_login import LoginManager, current_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from . import translation
from .identity import Identity
from .services import languages, sessions
from .state import get_state

logger = logging.getLogger(__name__)

_SESSION_KEY = "_selfservice_auth"
#: on ``g``: ((account id, session id), whether that session is open), checked once a request
_CHECKED = "_selfservice_session_checked"
#: on ``g``: the database could not be reached during this request
_UNREACHABLE = "_selfservice_database_unreachable"


def _logged_in_id() -> str | None:
    """The account Flask-Login has loaded for this request, before the session check."""
    user = current_user._get_current_object()  # the proxy resolved once, not three times
    if not user or not user.is_authenticated:
        return None
    return str(user.get_id())


def current_account_id() -> str | None:
    """The signed-in account, if its server-side session is open."""
    if g.get(_UNREACHABLE):
        return None
    account_id = _logged_in_id()
    if account_id is None or not _session_is_open(account_id):
        return None
    return account_id


def database_unreachable() -> None:
    """For the rest of this request nobody counts as signed in: the database that says who is
    could not be reached, and the page that says so must render without asking it again."""
    setattr(g, _UNREACHABLE, True)
    manager: LoginManager | None = getattr(current_app, "login_manager", None)
    if manager is not None:
        # Flask-Login's current_user (templates get it too) is the anonymous user from now on:
        # loading the real one would ask the host's database, unreachable as well
        manager._update_request_context_with_user()


def current_session_id() -> str | None:
    """The id of the signed-in user's open session."""
    if current_account_id() is None:
        return None
    return str(session[_SESSION_KEY]["sid"])


def _session_is_open(account_id: str) -> bool:
    """Whether the cookie names an open session of ``account_id``. If not, the user is logged
    out (Flask-Login's user too, so the host's own views see a visitor), once per request.

    A signed-in cookie without a session id (one from before server-side sessions, or from a
    host login that never called :func:`record_authentication`) is not adopted: nothing could
    end it, so a copy taken before an old logout, or a cookie signed with a leaked key, would
    stay valid. Its user signs in once more."""
    data = session.get(_SESSION_KEY) or {}
    session_id = data.get("sid") if data.get("account") == account_id else None
    checked = g.get(_CHECKED)
    if checked is not None and checked[0] == (account_id, session_id):
        return bool(checked[1])
    is_open = isinstance(session_id, str) and sessions.is_open(session_id, account_id)
    setattr(g, _CHECKED, ((account_id, session_id), is_open))
    if not is_open:
        session.pop(_SESSION_KEY, None)
        logout_user()
    return is_open


def is_static_request() -> bool:
    """Whether this request is for a static file (the app's or a blueprint's)."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def check_session() -> None:
    """before_request: log out a user whose session was ended, before any view runs (the
    host's own views included). Static files are left alone."""
    if not is_static_request():
        current_account_id()


def record_authentication(account_id: str, auth_time: float | None = None, *,
                          issuer: str | None = None, subject: str | None = None) -> None:
    """Note a full authentication of ``account_id``. Hosts with their own login call this
    right after logging the user in, and after each re-authentication: at a sign-in it opens
    the server-side session the cookie names from then on (a session of another account that
    the cookie named is ended); a re-authentication of the signed-in account keeps its
    session."""
    account_id = str(account_id)
    data = session.get(_SESSION_KEY) or {}
    session_id = data.get("sid")
    if not (data.get("account") == account_id and isinstance(session_id, str)
            and sessions.is_open(session_id, account_id)):
        if isinstance(session_id, str):
            sessions.end(session_id, "signed_in_again")
        session_id = sessions.start(account_id, request.headers.get("User-Agent", ""))
    session[_SESSION_KEY] = {
        "account": account_id,
        "at": float(auth_time if auth_time is not None else time.time()),
        "iss": issuer,
        "sub": subject,
        "sid": session_id,
    }
    setattr(g, _CHECKED, ((account_id, session_id), True))
    languages.remember(account_id, translation.current_language())


#: methods of a request that changes something
_ACTIONS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def note_language(response: Response) -> Response:
    """after_request: a change the signed-in customer made through the plugin's pages (or its
    API from the console) records the language it was made in, when that is another one than
    recorded: their e-mails are written in it (services/languages.py)."""
    if (request.method in _ACTIONS and response.status_code < 400
            and request.blueprint in get_state().http_blueprints):
        account_id = current_account_id()
        if account_id is not None:
            try:
                languages.remember(account_id, translation.current_language())
            except SQLAlchemyError as exc:  # the change is made; this can wait for the next
                logger.warning("could not record the language of %s: %s", account_id,
                               type(exc).__name__)
    return response


def sign_out(reason: str = "logout") -> None:
    """Log the current user out and end their session on the server, so no copy of the cookie
    works any more; everything else in the cookie goes too."""
    session_id = (session.pop(_SESSION_KEY, None) or {}).get("sid")
    if isinstance(session_id, str):
        sessions.end(session_id, reason)
    logout_user()
    session.clear()


def end_on_logout(sender: Any, **extra: Any) -> None:
    """Flask-Login's ``user_logged_out`` signal: a host's own logout (``logout_user()``) ends
    the server-side session too. The plugin's own logouts have already ended it."""
    session_id = (session.pop(_SESSION_KEY, None) or {}).get("sid")
    if isinstance(session_id, str):
        sessions.end(session_id, "logout")


def current_identity() -> Identity | None:
    """The logged-in user's identity, loaded once per request from the host."""
    account_id = current_account_id()
    if account_id is None:
        return None
    cached = g.get("_selfservice_identity")
    if cached is not None and cached.account_id == account_id:
        return cached  # type: ignore[no-any-return]
    identity = getattr(current_user, "identity", None)
    if not isinstance(identity, Identity) or identity.account_id != account_id:
        identity = get_state().extension.load_identity(account_id)
    g._selfservice_identity = identity
    return identity


def authentication() -> dict[str, Any] | None:
    """The recorded authentication of the current user, if it is theirs and their session is
    open (an ended session is never fresh)."""
    data = session.get(_SESSION_KEY)
    account_id = current_account_id()
    if not data or account_id is None or data.get("account") != account_id:
        return None
    return data  # type: ignore[no-any-return]


def auth_time() -> float | None:
    data = authentication()
    return data["at"] if data else None


def is_fresh(max_age: float | None = None) -> bool:
    """Whether the current user authenticated within ``max_age`` seconds."""
    at = auth_time()
    if at is None:
        return False
    limit = max_age if max_age is not None else get_state().setting("REAUTH_MAX_AGE")
    return time.time() - at <= limit
