"""The grace-period lock: a customer whose deletion is scheduled sees only the page that says
when erasure starts, with the button to cancel it.

Every other page (the plugin's and the host console's) redirects there, and the JSON API
answers 403 ``deletion-scheduled`` except ``GET /me``, that deletion request (its status and
plan) and its cancel. Static files, the sign-in routes and logout are left alone, and so are the
cookie choices (the banner shows on the grace page too, and must be answerable).

Whether the account has a scheduled deletion is read once per sign-in session, not on every
request: the answer is kept in the session cookie next to the id of the server-side session it
was read for. That is enough because a deletion becomes scheduled only by its confirmation,
which ends every session of the account, so a browser can only come back through a new
sign-in (a new session id, read again). Only while an account is locked is the database read
on each request, so a cancel (in this browser or another) or the end of the erasure lets it
go at once.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, request, session, url_for

from selfservice.auth import current_account_id, current_session_id, is_static_request
from selfservice.services import deletion

from .problems import problem

#: in the session cookie: {"sid": server-side session id, "request": scheduled request id|None}
SESSION_KEY = "_selfservice_deletion"
API_BLUEPRINT = "selfservice_api"
GRACE_PAGE = "selfservice.deletion_scheduled"
#: pages a locked customer may still reach: the grace page (and its cancel POST), signing out,
#: and the cookie pages (the banner's form posts to one of them)
OPEN_PAGES = frozenset({GRACE_PAGE, "selfservice.deletion_sign_out",
                        "selfservice.submit_cookie_consent", "selfservice.cookie_settings",
                        "selfservice.cookie_policy"})
#: API views open to a locked customer: who they are, signing out, the cookie choice (the
#: banner's), and the public documents (the OpenAPI document, the problem types this answer
#: links to)
OPEN_API = frozenset({f"{API_BLUEPRINT}.{view}" for view in (
    "me", "end_session", "openapi_document", "problem_type", "cookie_consent_get",
    "cookie_consent_put", "cookie_consent_receipt", "cookie_policy_json")})
#: API views open for the scheduled deletion request itself
OPEN_FOR_REQUEST = frozenset({f"{API_BLUEPRINT}.get_request",
                              f"{API_BLUEPRINT}.deletion_plan",
                              f"{API_BLUEPRINT}.cancel_request"})
#: the sign-in blueprint (login, callback, re-authentication, logout)
AUTH_BLUEPRINT = "selfservice_auth"


def scheduled_request_id() -> str | None:
    """The id of the signed-in account's scheduled deletion request, if it has one: read from
    the database once per server-side session, then from the cookie."""
    account_id = current_account_id()
    sid = current_session_id() if account_id is not None else None
    if account_id is None or sid is None:
        return None
    known = session.get(SESSION_KEY)
    if isinstance(known, dict) and known.get("sid") == sid and known.get("request") is None:
        return None  # the common case, without a query: nothing was scheduled at sign-in
    # a new session, or a locked one: read again (it may have been canceled elsewhere)
    return refresh(account_id, sid)


def refresh(account_id: str, sid: str | None = None) -> str | None:
    """Read the account's scheduled deletion from the database and remember it."""
    sid = sid or current_session_id()
    scheduled = deletion.scheduled_for_account(account_id)
    request_id = scheduled[0].id if scheduled is not None else None
    session[SESSION_KEY] = {"sid": sid, "request": request_id}
    return request_id


def forget() -> None:
    """After a cancel: this browser is no longer locked."""
    session[SESSION_KEY] = {"sid": current_session_id(), "request": None}


def _exempt() -> bool:
    endpoint = request.endpoint or ""
    return (is_static_request() or endpoint in OPEN_PAGES
            or endpoint.startswith(f"{AUTH_BLUEPRINT}."))


def _api_allowed(request_id: str) -> bool:
    endpoint = request.endpoint or ""
    if endpoint in OPEN_API:
        return True
    return (endpoint in OPEN_FOR_REQUEST
            and (request.view_args or {}).get("request_id") == request_id)


def enforce() -> Any:
    """before_app_request: send a customer in the grace period to the grace page (the API: a
    403 problem)."""
    if _exempt():
        return None
    request_id = scheduled_request_id()
    if request_id is None:
        return None
    if request.blueprint == API_BLUEPRINT:
        if _api_allowed(request_id):
            return None
        return problem(403, "deletion-scheduled", "Your account is scheduled for deletion",
                       "Until you cancel the deletion, only your deletion request answers.",
                       cancel_url=url_for(f"{API_BLUEPRINT}.cancel_request",
                                          request_id=request_id))
    return redirect(url_for(GRACE_PAGE), 303)
