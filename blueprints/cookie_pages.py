"""Cookie pages: the settings (with the visitor's history), the policy, and the form post of
the banner and the settings page (it works without JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from selfservice.cookies import CATEGORIES, OPTIONAL
from selfservice.models import CookieConsentMethod
from selfservice.services import cookie_consent as service
from selfservice.translation import lazy_gettext as _l

from .cookie_state import cookie_state, decide, known_languages, language, texts
from .guards import csrf_ok, safe_next
from .rate_limits import limited
from .routing import Routes

routes = Routes()
#: what a ticked checkbox of the form sends
_TICKED = ("on", "y", "1", "true")
#: how a decision was made, in the visitor's words (the settings page's history)
METHODS = {CookieConsentMethod.BANNER: _l("In the cookie banner"),
           CookieConsentMethod.SETTINGS: _l("On this page"),
           CookieConsentMethod.GPC: _l("By your browser's privacy signal"),
           CookieConsentMethod.API: _l("By a program, through the API")}
#: whose cookie it is (the policy's table)
PARTIES = {"first": _l("First-party"), "third": _l("Third-party")}


@routes.get("/cookies")
def cookie_settings() -> Any:
    return render_template("selfservice/cookie_settings.html", **_page_context())


@routes.get("/cookie-policy")
def cookie_policy() -> Any:
    registry = service.registry()
    lang = language()
    return render_template("selfservice/cookie_policy.html", registry=registry,
                           categories=CATEGORIES, t=texts(lang), lang=lang, parties=PARTIES)


@routes.post("/cookie-consent")
@limited("RATE_LIMIT_COOKIE_CONSENT", "cookie-consent")
def submit_cookie_consent() -> Any:
    form = request.form
    target = safe_next(form.get("next") or request.referrer)
    if not csrf_ok(form.get("csrf_token")):
        return _settings_with_error("session_expired", 400)
    choice = form.get("choice", "")
    version = service.registry().version
    if form.get("policy_version") not in (None, version):
        # the page was shown before the cookie policy changed: show the new one
        return _settings_with_error("policy_changed_open", 409)
    if choice == "customise":
        return redirect(url_for(".cookie_settings", next=target), 303)
    asked = form.get("lang")
    lang = asked if asked is not None and asked in known_languages() else language()
    categories = _chosen_categories(choice, form)
    if categories is None:
        return _settings_with_error("choose_button", 400)
    method = (CookieConsentMethod.SETTINGS if form.get("source") == "settings"
              else CookieConsentMethod.BANNER)
    try:
        decide(categories, method, lang=lang, confirm_gpc=choice == "gpc_yes")
    except service.GpcConfirmationRequired:
        return render_template("selfservice/cookie_gpc_confirm.html", t=texts(lang),
                               categories=categories, next=target, lang=lang,
                               source=form.get("source", "banner"), version=version), 409
    # said once: on the settings page as its message, elsewhere where the banner was
    flash(texts(lang)["saved"], "success" if method is CookieConsentMethod.SETTINGS
          else "ss-cookies-saved")
    return redirect(target, 303)


def _chosen_categories(choice: str, form: MultiDict[str, str]) -> dict[str, bool] | None:
    """The optional categories a button of the form chooses, or None for no known button."""
    if choice == "accept_all":
        return dict.fromkeys(OPTIONAL, True)
    if choice == "reject_all":
        return dict.fromkeys(OPTIONAL, False)
    if choice not in ("save", "gpc_yes", "gpc_no"):
        return None
    categories = {c: form.get(c) in _TICKED for c in OPTIONAL}
    if choice == "gpc_no":
        categories["marketing"] = False
    return categories


def _settings_with_error(message: str, status: int) -> tuple[str, int]:
    return render_template("selfservice/cookie_settings.html", error=texts()[message],
                           **_page_context()), status


def _page_context() -> dict[str, Any]:
    state = cookie_state()
    lang = language()
    registry = service.registry()
    records = service.history(state.decision.consent_id) if state.decision else []
    return {"state": state, "t": texts(lang), "lang": lang, "registry": registry,
            "categories": CATEGORIES, "optional": OPTIONAL, "version": registry.version,
            "records": list(reversed(records)), "back": _back_link(), "methods": METHODS}


def _back_link() -> str | None:
    """Where the visitor came from, for a "go back" link (never the settings page itself)."""
    target = safe_next(request.args.get("next") or request.referrer, default="-")
    own = url_for("selfservice.cookie_settings")
    return None if target == "-" or target.split("?")[0] == own else target
