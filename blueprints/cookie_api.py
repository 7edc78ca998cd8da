"""JSON API of cookie consent: the policy, this browser's decision (read and record; anonymous
visitors too) and a signed receipt of it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Response, jsonify, request, url_for

from selfservice.cookies import CATEGORIES, OPTIONAL
from selfservice.models import CookieConsentMethod
from selfservice.services import consent_receipts
from selfservice.services import cookie_consent as service
from selfservice.state import get_state

from .cookie_state import cookie_state, decide, language, texts
from .gpc import gpc_signal
from .guards import csrf_ok
from .problems import problem
from .rate_limits import limited
from .routing import Routes
from .validation import accepts

routes = Routes()
P = ParamSpec("P")
R = TypeVar("R")


@routes.get("/cookie-policy")
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


@routes.get("/cookie-consent")
def cookie_consent_get() -> Response:
    return jsonify(cookie_state().as_json(service.registry().version))


def csrf_header_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """The CSRF header on every call, anonymous visitors' too (a forged request must not
    decide for them either), checked before the body is read: 403 comes before any 422."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not csrf_ok(request.headers.get(get_state().setting("CSRF_HEADER"))):
            return problem(403, "csrf-failed", "CSRF token missing or invalid")
        return view(*args, **kwargs)

    return wrapper


@routes.put("/cookie-consent")
@limited("RATE_LIMIT_COOKIE_CONSENT", "cookie-consent")
@csrf_header_required
@accepts("CookieDecision")
def cookie_consent_put(body: dict[str, Any]) -> Response:
    # the schema holds the body to the policy version in force, the necessary cookies kept
    # and a language of the cookie texts
    version = service.registry().version
    lang = body.get("language", language())
    categories = body["categories"]
    try:
        state = decide({c: bool(categories.get(c, False)) for c in OPTIONAL},
                       CookieConsentMethod(body.get("method", "api")), lang=lang,
                       confirm_gpc=bool(body.get("confirm_gpc_override")),
                       gpc=gpc_signal() or bool(body.get("gpc")))
    except service.GpcConfirmationRequired:
        return problem(409, "gpc-confirmation-required", "Confirm overriding Global "
                       "Privacy Control", texts(lang)["gpc_confirm"])
    return jsonify(state.as_json(version))


@routes.get("/cookie-consent/receipt")
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
