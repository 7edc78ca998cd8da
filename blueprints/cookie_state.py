"""What this request knows about cookies: the visitor's decision (from the consent cookie, or
the signed-in account's newer one), what it allows now, the decisions made during the request
and the consent cookie that carries them back, the texts in the visitor's language and the
request's script nonce."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session

from selfservice import cookie_texts
from selfservice.auth import current_account_id, current_session_id
from selfservice.cookie_texts import text_hash
from selfservice.cookies import CATEGORIES, OPTIONAL
from selfservice.models import CookieConsentMethod
from selfservice.services import cookie_consent as service
from selfservice.state import get_state
from selfservice.translation import current_language

from .gpc import gpc_signal

logger = logging.getLogger(__name__)
_STATE = "selfservice_cookies"
_NONCE = "selfservice_csp_nonce"
_WRITE = "_selfservice_consent_cookie"
_CLEAR = "_selfservice_consent_cookie_clear"
#: in the session cookie of earlier versions: when the account was last looked at (dropped)
_ACCOUNT_CHECK = "_selfservice_cookie_account_check"
#: on ``g``: the session whose client was found holding the account's latest decision
_UP_TO_DATE = "_selfservice_cookie_up_to_date"
#: seconds between looks for a newer decision the account made on another device
ACCOUNT_CHECK_EVERY = 60.0
#: sign-in sessions whose last look a process remembers (past it, the oldest are forgotten)
ACCOUNT_CHECKS_KEPT = 10_000


def csp_nonce() -> str:
    """The request's script nonce (for the Content-Security-Policy and the templates)."""
    nonce = g.get(_NONCE)
    if nonce is None:
        nonce = g.selfservice_csp_nonce = secrets.token_urlsafe(16)
    return nonce  # type: ignore[no-any-return]


def known_languages() -> tuple[str, ...]:
    """The languages of the cookie texts: the shipped ones and any SELFSERVICE_COOKIE_TEXTS
    adds."""
    return cookie_texts.known_languages(get_state().setting("COOKIE_TEXTS"))


def language() -> str:
    """The language of the cookie texts: the page's, as for every other page."""
    return current_language()


def texts(lang: str | None = None) -> dict[str, str]:
    """The cookie texts in ``lang`` (default: the page's), the host's overrides winning."""
    return cookie_texts.texts(lang or language(), get_state().setting("COOKIE_TEXTS"))


# -- the visitor's decision -------------------------------------------------------------------

def loaded_state() -> service.CookieState | None:
    """The state this request has loaded so far, if any."""
    return g.get(_STATE)  # type: ignore[no-any-return]


def cookie_state() -> service.CookieState:
    state = loaded_state()
    if state is None:
        state = load_state()
    return state


def load_state() -> service.CookieState:
    """before_app_request: the visitor's decision from the consent cookie (or the signed-in
    account's, when it is newer: a choice follows the account to its other devices) and what
    it allows now. When the database cannot be read, nothing optional is allowed."""
    csp_nonce()
    try:
        state = _load_state()
    except sa.exc.SQLAlchemyError:
        logger.warning("cookie consent unavailable; only necessary cookies allowed",
                       exc_info=True)
        state = service.CookieState(decision=None, gpc=gpc_signal(),
                                    allowed={c: c == "necessary" for c in CATEGORIES})
    setattr(g, _STATE, state)
    return state


def _load_state() -> service.CookieState:
    name = get_state().setting("COOKIE_CONSENT_NAME")
    decision = service.decode(request.cookies.get(name), current_app.secret_key or "")
    account_id = current_account_id()
    sid = current_session_id() if account_id is not None else None
    if account_id is not None and _account_check_due(sid):
        latest = service.latest_for_account(account_id)
        if latest is None or (decision is not None and decision.same_as(latest)):
            # the client holds the account's latest decision (no need to write it again):
            # unless this request changes it, the next look is an interval away
            # (save_consent_cookie)
            setattr(g, _UP_TO_DATE, sid)
        elif decision is None or latest.decided_at > decision.decided_at:
            decision = latest
            g.setdefault(_WRITE, decision)
    state = service.evaluate(decision, gpc_signal())
    if (decision is not None and state.gpc and decision.accepted.get("marketing")
            and not decision.gpc_override and not state.reask):
        # Global Privacy Control withdraws an earlier marketing consent: record it once
        _record_gpc_withdrawal(decision, account_id)
        state = service.evaluate(g.get(_WRITE), True)
    return state


def _account_check_due(sid: str | None) -> bool:
    """Whether to look for a newer decision of the account made on another device: on every
    request of a client whose consent cookie is behind the account's latest decision, else
    once per ACCOUNT_CHECK_EVERY seconds, sign-in session and process.

    When the last look was is kept in this process, by the server-side session's id, not in
    the session cookie: a cookie rewritten once a minute costs a client that does not keep
    cookies (a script calling the API with a saved session) a look and a newly signed session
    cookie on every request. Forgetting a session here only brings its next look forward."""
    if sid is None:
        return True
    last = get_state().cookie_account_checks.get(sid)
    return last is None or time.monotonic() - last >= ACCOUNT_CHECK_EVERY


def _account_checked(sid: str) -> None:
    """The client's consent cookie holds the account's latest decision and this request did
    not change it: look again in ACCOUNT_CHECK_EVERY seconds."""
    checks = get_state().cookie_account_checks
    now = time.monotonic()
    if len(checks) >= ACCOUNT_CHECKS_KEPT:
        for key, at in list(checks.items()):
            if now - at >= ACCOUNT_CHECK_EVERY:
                checks.pop(key, None)
        if len(checks) >= ACCOUNT_CHECKS_KEPT:
            checks.clear()
    checks[sid] = now


def _record_gpc_withdrawal(decision: service.Decision, account_id: str | None) -> None:
    lang = language()
    categories = {c: c in decision.accepted for c in OPTIONAL} | {"marketing": False}
    _, new = service.record(consent_id=decision.consent_id, account_id=account_id,
                            categories=categories, method=CookieConsentMethod.GPC,
                            language=lang, text_hash=text_hash(texts(lang), gpc=True),
                            gpc=True,
                            user_agent=request.user_agent.string,
                            ip=request.remote_addr)
    setattr(g, _WRITE, new)


def on_login(sender: Flask, user: Any, **extra: Any) -> None:
    """user_logged_in: the visitor's anonymous consent history becomes the account's; if the
    account decided more recently elsewhere, that decision follows it to this device."""
    if "selfservice" not in sender.extensions or not sender.config.get(
            "SELFSERVICE_COOKIE_BANNER"):
        return
    account_id = str(user.get_id())
    name = get_state().setting("COOKIE_CONSENT_NAME")
    decision = service.decode(request.cookies.get(name), sender.secret_key or "")
    if decision is not None and not service.link(decision.consent_id, account_id):
        decision = None  # another account's choice on a shared browser: not this person's
        setattr(g, _CLEAR, True)
    latest = service.latest_for_account(account_id)
    if latest is not None and (decision is None or latest.decided_at > decision.decided_at):
        setattr(g, _WRITE, latest)
        setattr(g, _CLEAR, False)
    session.pop(_ACCOUNT_CHECK, None)  # what earlier versions kept in the cookie


# -- deciding ---------------------------------------------------------------------------------

def decide(categories: dict[str, bool], method: CookieConsentMethod, *, lang: str,
           confirm_gpc: bool = False, gpc: bool | None = None) -> service.CookieState:
    """Record the visitor's decision; the response then carries the new consent cookie."""
    current = cookie_state()
    gpc = current.gpc if gpc is None else gpc
    _, decision = service.record(
        consent_id=current.decision.consent_id if current.decision else None,
        account_id=current_account_id(), categories=categories, method=method,
        language=lang, text_hash=text_hash(texts(lang), gpc=gpc, changes=current.changes),
        gpc=gpc,
        gpc_override=confirm_gpc, user_agent=request.user_agent.string,
        ip=request.remote_addr)
    setattr(g, _WRITE, decision)
    state = service.evaluate(decision, gpc)
    setattr(g, _STATE, state)
    return state


def save_consent_cookie(response: Response) -> None:
    """The consent cookie on the response: deleted when it held another account's choice,
    written when the decision changed during this request."""
    name = get_state().setting("COOKIE_CONSENT_NAME")
    if g.get(_CLEAR):
        response.delete_cookie(name, path="/")
    decision: service.Decision | None = g.get(_WRITE)
    up_to_date: str | None = g.get(_UP_TO_DATE)
    if up_to_date is not None and decision is None and not g.get(_CLEAR):
        _account_checked(up_to_date)
    if decision is not None:
        response.set_cookie(
            name, service.encode(decision, current_app.secret_key or ""),
            max_age=int(decision.lifetime().total_seconds()), path="/", secure=(
                request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))),
            httponly=True, samesite="Lax")
