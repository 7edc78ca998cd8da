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
from selfservice.auth import current_account_id
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
_ACCOUNT_CHECK = "_selfservice_cookie_account_check"
#: seconds between looks for a newer decision the account made on another device
ACCOUNT_CHECK_EVERY = 60.0


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
    if account_id is not None and _account_check_due(account_id):
        latest = service.latest_for_account(account_id)
        if latest is not None and (decision is None or latest.decided_at > decision.decided_at):
            decision = latest
            g.setdefault(_WRITE, decision)
    state = service.evaluate(decision, gpc_signal())
    if (decision is not None and state.gpc and decision.accepted.get("marketing")
            and not decision.gpc_override and not state.reask):
        # Global Privacy Control withdraws an earlier marketing consent: record it once
        _record_gpc_withdrawal(decision, account_id)
        state = service.evaluate(g.get(_WRITE), True)
    return state


def _account_check_due(account_id: str) -> bool:
    """Whether to look for a newer decision of the account made on another device: once per
    ACCOUNT_CHECK_EVERY seconds and session, not on every request."""
    now = time.time()
    last = session.get(_ACCOUNT_CHECK)
    if (isinstance(last, list) and last[0] == account_id
            and now - float(last[1]) < ACCOUNT_CHECK_EVERY):
        return False
    session[_ACCOUNT_CHECK] = [account_id, now]
    return True


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
    session.pop(_ACCOUNT_CHECK, None)


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
    if decision is not None:
        response.set_cookie(
            name, service.encode(decision, current_app.secret_key or ""),
            max_age=int(decision.lifetime().total_seconds()), path="/", secure=(
                request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))),
            httponly=True, samesite="Lax")
