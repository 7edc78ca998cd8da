"""Who is logged in, and how recently they proved it (freshness for dangerous actions).

The session keeps when the user last fully authenticated, at the identity provider, and as
whom (``iss``/``sub``). Export downloads, deletion and signing demand an authentication younger
than ``SELFSERVICE_REAUTH_MAX_AGE``; a re-authentication only counts if it is by the same user.
"""

from __future__ import annotations

import time
from typing import Any

from flask import g, session
from flask_login import current_user

from .identity import Identity
from .state import get_state

_SESSION_KEY = "_selfservice_auth"


def current_account_id() -> str | None:
    if not current_user or not current_user.is_authenticated:
        return None
    return str(current_user.get_id())


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


def record_authentication(account_id: str, auth_time: float | None = None, *,
                          issuer: str | None = None, subject: str | None = None) -> None:
    """Note a full authentication of ``account_id`` (hosts with their own login call this)."""
    session[_SESSION_KEY] = {
        "account": str(account_id),
        "at": float(auth_time if auth_time is not None else time.time()),
        "iss": issuer,
        "sub": subject,
    }


def authentication() -> dict[str, Any] | None:
    """The recorded authentication of the current user, if it is theirs."""
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
