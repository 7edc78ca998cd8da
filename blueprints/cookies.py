"""Cookie consent over HTTP: the banner's state on every request, enforcement on every
response, the settings and policy pages, the form post (works without JavaScript), the JSON
API, and /.well-known/gpc.json."""

from __future__ import annotations

import logging
import secrets
import time
from email.utils import parsedate_to_datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import user_logged_in
from flask_wtf.csrf import CSRFError, validate_csrf
from markupsafe import Markup
from wtforms import ValidationError

from selfservice.auth import current_account_id
from selfservice.cookies import CATEGORIES, OPTIONAL
from selfservice.i18n import DEFAULT_LANGUAGE, catalog, text_hash
from selfservice.models import CookieConsentMethod
from selfservice.services import consent_receipts
from selfservice.services import cookie_consent as service
from selfservice.state import get_state

from .guards import safe_next
from .problems import problem
from .validation import Invalid, accepts

logger = logging.getLogger(__name__)
_STATE = "selfservice_cookies"
_WRITE = "_selfservice_consent_cookie"
_CLEAR = "_selfservice_consent_cookie_clear"
_ACCOUNT_CHECK = "_selfservice_cookie_account_check"
#: seconds between looks for a newer decision the account made on another device
ACCOUNT_CHECK_EVERY = 60.0
_WARNED: set[str] = set()
GPC_DECLARED = "2026-11-27"


# -- per request ------------------------------------------------------------------------------

def gpc_signal() -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def language() -> str:
    texts = catalog(get_state().setting("COOKIE_TEXTS"))
    return request.accept_languages.best_match(list(texts)) or DEFAULT_LANGUAGE


def texts(lang: str | None = None) -> dict[str, str]:
    messages = catalog(get_state().setting("COOKIE_TEXTS"))
    return messages.get(lang or language(), messages[DEFAULT_LANGUAGE])


def cookie_state() -> service.CookieState:
    state = g.get(_STATE)
    if state is None:
        state = load_state()
    return state  # type: ignore[no-any-return]


def load_state() -> service.CookieState:
    """before_app_request: the visitor's decision from the consent cookie (or the signed-in
    account's, when it is newer: a choice follows the account to its other devices) and what
    it allows now. When the database cannot be read, nothing optional is allowed."""
    g.setdefault("selfservice_csp_nonce", secrets.token_urlsafe(16))
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


def enforce(response: Response) -> Response:
    """after_app_request: no cookie of a category the visitor has not accepted leaves the
    server (HttpOnly ones included); cookies of refused categories are deleted; the consent
    cookie is written when the decision changed; the CSP header is added if configured."""
    settings = get_state()
    state: service.CookieState | None = g.get(_STATE)
    if state is None and settings.setting("COOKIE_BANNER") and not _is_static():
        state = load_state()  # a host hook answered before ours ran: still enforce
    if state is not None:
        registry = service.registry()
        unknown_allowed = settings.setting("COOKIE_UNKNOWN") == "allow"
        kept = []
        for header in response.headers.getlist("Set-Cookie"):
            name = header.split("=", 1)[0].strip()
            category = registry.category_of(name)
            if (category is None and not unknown_allowed and name not in _WARNED
                    and len(_WARNED) < 1000):
                _WARNED.add(name)
                logger.warning("dropped cookie %r: not in SELFSERVICE_COOKIES", name)
            if _is_deletion(header) or (state.allowed[category] if category is not None
                                        else unknown_allowed):
                kept.append(header)
        response.headers.remove("Set-Cookie")
        for header in kept:
            response.headers.add("Set-Cookie", header)
        for name in request.cookies:
            spec = registry.lookup(name)
            if spec is not None and spec.party == "first" and not state.allowed[spec.category]:
                response.delete_cookie(name, path="/", secure=name.startswith(
                    ("__Host-", "__Secure-")) or request.is_secure)
        if g.get(_CLEAR):
            response.delete_cookie(settings.setting("COOKIE_CONSENT_NAME"), path="/")
        decision: service.Decision | None = g.get(_WRITE)
        if decision is not None:
            response.set_cookie(
                settings.setting("COOKIE_CONSENT_NAME"),
                service.encode(decision, current_app.secret_key or ""),
                max_age=int(decision.lifetime().total_seconds()), path="/", secure=(
                    request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))),
                httponly=True, samesite="Lax")
        response.vary.add("Cookie")
        response.vary.add("Sec-GPC")
    policy = settings.setting("CONTENT_SECURITY_POLICY")
    if policy and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = policy.replace("{nonce}", csp_nonce())
    return response


def csp_nonce() -> str:
    nonce = g.get("selfservice_csp_nonce")
    if nonce is None:
        nonce = g.selfservice_csp_nonce = secrets.token_urlsafe(16)
    return nonce  # type: ignore[no-any-return]


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


def _on_login(sender: Flask, user: Any, **extra: Any) -> None:
    """At sign-in, the visitor's anonymous consent history becomes the account's; if the
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


def _csrf_ok(token: str | None) -> bool:
    try:
        validate_csrf(token)
    except (ValidationError, CSRFError):
        return False
    return True


def register_pages(bp: Blueprint) -> None:
    bp.before_app_request(_before)
    # the filter runs after every other after_request function of the app, whenever those
    # were registered (Flask runs them last-registered first)
    bp.record_once(lambda setup: setup.app.after_request_funcs.setdefault(None, []).insert(
        0, _after))
    bp.app_context_processor(_context)
    user_logged_in.connect(_on_login)

    @bp.get("/cookies")
    def cookie_settings() -> Any:
        return render_template("selfservice/cookie_settings.html", **_page_context())

    @bp.get("/cookie-policy")
    def cookie_policy() -> Any:
        registry = service.registry()
        lang = language()
        return render_template("selfservice/cookie_policy.html", registry=registry,
                               categories=CATEGORIES, t=texts(lang), lang=lang)

    @bp.post("/cookie-consent")
    def submit_cookie_consent() -> Any:
        form = request.form
        target = safe_next(form.get("next") or request.referrer)
        if not _csrf_ok(form.get("csrf_token")):
            return render_template("selfservice/cookie_settings.html",
                                   error=texts()["session_expired"], **_page_context()), 400
        choice = form.get("choice", "")
        version = service.registry().version
        if form.get("policy_version") not in (None, version):
            # the page was shown before the cookie policy changed: show the new one
            return render_template("selfservice/cookie_settings.html",
                                   error=texts()["policy_changed_open"],
                                   **_page_context()), 409
        if choice == "customise":
            return redirect(url_for(".cookie_settings", next=target), 303)
        lang = form.get("lang") if form.get("lang") in catalog(
            get_state().setting("COOKIE_TEXTS")) else language()
        if choice == "accept_all":
            categories = dict.fromkeys(OPTIONAL, True)
        elif choice == "reject_all":
            categories = dict.fromkeys(OPTIONAL, False)
        elif choice in ("save", "gpc_yes", "gpc_no"):
            categories = {c: form.get(c) in ("on", "y", "1", "true") for c in OPTIONAL}
        else:
            return render_template("selfservice/cookie_settings.html",
                                   error=texts()["choose_button"], **_page_context()), 400
        if choice == "gpc_no":
            categories["marketing"] = False
        method = (CookieConsentMethod.SETTINGS if form.get("source") == "settings"
                  else CookieConsentMethod.BANNER)
        try:
            decide(categories, method, lang=lang, confirm_gpc=choice == "gpc_yes")
            if method is CookieConsentMethod.SETTINGS:
                flash(texts(lang)["saved"], "success")
        except service.GpcConfirmationRequired:
            return render_template("selfservice/cookie_gpc_confirm.html", t=texts(lang),
                                   categories=categories, next=target, lang=lang,
                                   source=form.get("source", "banner"), version=version), 409
        return redirect(target, 303)


def _is_static() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def _before() -> None:
    if get_state().setting("COOKIE_BANNER") and not _is_static():
        load_state()


def _after(response: Response) -> Response:
    return enforce(response)


def _context() -> dict[str, Any]:
    return {"csp_nonce": csp_nonce, "cookie_allowed": cookie_allowed,
            "gated_script": gated_script, "selfservice_cookie_banner": _banner_context}


def _banner_context() -> dict[str, Any] | None:
    """What the banner template needs, or None when no banner is due on this page."""
    if not get_state().setting("COOKIE_BANNER") or g.get(_STATE) is None:
        return None
    state = cookie_state()
    if not state.needs_banner or request.blueprint == "selfservice" and request.endpoint in (
            "selfservice.cookie_settings", "selfservice.cookie_policy"):
        return None
    lang = language()
    return {"state": state, "t": texts(lang), "lang": lang,
            "version": service.registry().version, "optional": OPTIONAL,
            "next": request.full_path.rstrip("?") if request.query_string else request.path}


def _page_context() -> dict[str, Any]:
    state = cookie_state()
    lang = language()
    registry = service.registry()
    records = service.history(state.decision.consent_id) if state.decision else []
    return {"state": state, "t": texts(lang), "lang": lang, "registry": registry,
            "categories": CATEGORIES, "optional": OPTIONAL, "version": registry.version,
            "records": list(reversed(records)), "back": _back_link()}


def _back_link() -> str | None:
    """Where the visitor came from, for a "go back" link (never the settings page itself)."""
    target = safe_next(request.args.get("next") or request.referrer, default="-")
    own = url_for("selfservice.cookie_settings")
    return None if target == "-" or target.split("?")[0] == own else target


# -- JSON API ---------------------------------------------------------------------------------

def register_api(bp: Blueprint) -> None:
    @bp.get("/cookie-policy")
    def cookie_policy_json() -> Response:
        registry = service.registry()
        t = texts()
        response = jsonify({"version": registry.version, "categories": {
            category: {"description": t[f"cat_{category}_text"],
                       "cookies": [c.as_json() for c in registry.in_category(category)]}
            for category in CATEGORIES}})
        response.headers["Cache-Control"] = "public, max-age=300"
        response.vary.add("Accept-Language")
        return response

    @bp.get("/cookie-consent")
    def cookie_consent_get() -> Response:
        return jsonify(cookie_state().as_json(service.registry().version))

    @bp.put("/cookie-consent")
    def cookie_consent_put() -> Response:
        # anonymous visitors too: a forged request must not consent for them
        header = get_state().setting("CSRF_HEADER")
        if not _csrf_ok(request.headers.get(header)):
            return problem(403, "csrf-failed", "CSRF token missing or invalid")
        return _record_decision()

    @accepts("CookieDecision")
    def _record_decision(body: dict[str, Any]) -> Response:
        version = service.registry().version
        errors: dict[str, str] = {}
        if body.get("policy_version") != version:
            errors["policy_version"] = (f"the cookie policy is now version {version}: show "
                                        "it to the visitor and send that version")
        categories = body.get("categories")
        if not isinstance(categories, dict) or set(categories) - set(CATEGORIES) or not all(
                isinstance(v, bool) for v in categories.values()):
            errors["categories"] = f"must map {', '.join(CATEGORIES)} to true or false"
        elif categories.get("necessary") is False:
            errors["categories"] = "necessary cookies cannot be refused"
        method = body.get("method", "api")
        if method not in ("banner", "settings", "api"):
            errors["method"] = "must be banner, settings or api"
        for flag in ("confirm_gpc_override", "gpc"):
            if flag in body and not isinstance(body[flag], bool):
                errors[flag] = "must be true or false"
        lang = body.get("language", language())
        if not isinstance(lang, str) or lang not in catalog(get_state().setting("COOKIE_TEXTS")):
            errors["language"] = "unknown language"
        if errors:
            raise Invalid(errors)
        try:
            state = decide({c: bool(categories.get(c, False)) for c in OPTIONAL},
                           CookieConsentMethod(method), lang=lang,
                           confirm_gpc=bool(body.get("confirm_gpc_override")),
                           gpc=gpc_signal() or bool(body.get("gpc")))
        except service.GpcConfirmationRequired:
            return problem(409, "gpc-confirmation-required", "Confirm overriding Global "
                           "Privacy Control", texts(lang)["gpc_confirm"])
        return jsonify(state.as_json(version))

    @bp.get("/cookie-consent/receipt")
    def cookie_consent_receipt() -> Response:
        state = cookie_state()
        records = service.history(state.decision.consent_id) if state.decision else []
        if not records:
            return problem(404, "not-found", "No cookie decision recorded for this browser")
        if not service.verify(records[0].consent_id).valid:
            return problem(409, "ledger-invalid", "This record failed its integrity check")
        document = consent_receipts.signed_cookie_receipt(
            records[-1], jwks_url=url_for("selfservice_api.receipt_keys", _external=True))
        response = jsonify(document)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="cookie-consent-receipt-{records[-1].id}.json"')
        response.headers["Cache-Control"] = "private, no-store"
        return response


def create_well_known_blueprint() -> Blueprint:
    bp = Blueprint("selfservice_well_known", __name__)

    @bp.get("/.well-known/gpc.json")
    def gpc_json() -> Response:
        response = jsonify({"gpc": True, "lastUpdate": GPC_DECLARED})
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    return bp

