"""OpenID Connect login (authorization code + PKCE), step-up re-authentication and logout.

Login and re-authentication share one callback; the session remembers, per ``state``, which
flow started it. A re-authentication asks the provider for a new login (``prompt=login``,
``max_age=0``) and counts only if the ID token's ``auth_time`` is not older than the moment the
step-up began and its ``iss``/``sub`` are the logged-in user's.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_user
from flask_wtf import FlaskForm
from requests import RequestException
from werkzeug.wrappers import Response

from selfservice.auth import (
    authentication,
    current_account_id,
    record_authentication,
    sign_out,
)
from selfservice.identity import PrivacyUser
from selfservice.paths import TEMPLATE_FOLDER
from selfservice.services import audit
from selfservice.state import get_state
from selfservice.translation import gettext as _

from . import error_pages, hardening
from .guards import home_url, safe_next
from .rate_limits import limited
from .routing import Routes

logger = logging.getLogger(__name__)

_FLOWS = "_selfservice_sso_flows"
_MAX_FLOWS = 5


class LogoutForm(FlaskForm):
    """Only a CSRF token: logging out is a POST so another site cannot do it for the user."""


def oidc_client() -> FlaskOAuth2App:
    state = get_state()
    client = getattr(state, "oidc_client", None)
    if client is None:
        issuer = state.setting("OIDC_ISSUER").rstrip("/")
        client = FlaskOAuth2App(
            FlaskIntegration("selfservice"), "selfservice",
            client_id=state.setting("OIDC_CLIENT_ID"),
            client_secret=state.setting("OIDC_CLIENT_SECRET"),
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": state.setting("OIDC_SCOPE"), "code_challenge_method": "S256",
                           "default_timeout": state.setting("OIDC_TIMEOUT")},
        )
        state.oidc_client = client
    return client


def _redirect_uri() -> str:
    configured = get_state().setting("OIDC_REDIRECT_URI")
    return configured or url_for("selfservice_auth.callback", _external=True)


def _keep_newest_flows() -> dict[str, Any]:
    """The pending sign-ins, the oldest dropped so a new one fits under ``_MAX_FLOWS``, with
    Authlib's own entry for each dropped one (``_state_<client>_<state>``, holding the PKCE
    verifier and nonce): abandoned tabs must not grow the cookie past what browsers keep."""
    flows = dict(session.get(_FLOWS, {}))
    excess = max(0, len(flows) - _MAX_FLOWS + 1)
    for old in sorted(flows, key=lambda k: flows[k]["started"])[:excess]:
        flows.pop(old)
    prefix = f"_state_{oidc_client().name}_"
    for key in [k for k in session if k.startswith(prefix)]:
        if key[len(prefix):] not in flows:
            session.pop(key)
    return flows


def _start(kind: str, next_url: str, **provider_args: Any) -> Response:
    flow_state = secrets.token_urlsafe(24)
    flows = _keep_newest_flows()
    flows[flow_state] = {"kind": kind, "next": next_url, "started": time.time(),
                         "account": current_account_id()}
    session[_FLOWS] = flows
    client = oidc_client()
    try:
        # the discovery document afresh, not the copy from an earlier sign-in: a browser sent
        # to a provider that does not answer would only show its own connection error
        client.server_metadata.pop("_loaded_at", None)
        client.load_server_metadata()
        return client.authorize_redirect(_redirect_uri(), state=flow_state, **provider_args)
    except (RequestException, OAuthError) as exc:
        logger.error("identity provider unavailable: %s", exc)
        return _unavailable(kind, request.full_path)


#: seconds a visitor is asked to wait while the identity provider does not answer
RETRY_AFTER = 60


def _unavailable(kind: str, again: str) -> Response:
    """The identity provider does not answer: no sign-in, and no step-up (nothing that needs a
    fresh login happens), until it does."""
    message = (_("We cannot confirm it is you right now: our sign-in service is not "
                 "answering, so what needed the confirmation was not done. Please try again in "
                 "a few minutes.") if kind == "reauth" else
               _("We cannot sign you in right now: our sign-in service is not answering. "
                 "Please try again in a few minutes."))
    response = _failure(message, 503, again=again, title=_("Sign-in unavailable"))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _failure(message: str, status: int, again: str | None = None,
             title: str | None = None) -> Response:
    return make_response(render_template("selfservice/auth_error.html", message=message,
                                         again=again, home=home_url(), title=title), status)


routes = Routes()


@routes.get("/login")
@limited("RATE_LIMIT_SIGN_IN", "sign-in")
def login() -> Response:
    next_url = safe_next(request.args.get("next"))
    return _start("login", next_url)


@routes.get("/reauth")
@limited("RATE_LIMIT_SIGN_IN", "sign-in")
def reauth() -> Response:
    next_url = safe_next(request.args.get("next"))
    if current_account_id() is None or authentication() is None:
        return _start("login", next_url)
    # max_age=0 and prompt=login: the provider must show its login form again
    return _start("reauth", next_url, prompt="login", max_age=0)


def _take_flow(flow_state: str) -> dict[str, Any] | None:
    """The pending sign-in this callback answers; each one is used once."""
    flows = dict(session.get(_FLOWS, {}))
    flow: dict[str, Any] | None = flows.pop(flow_state, None)
    session[_FLOWS] = flows
    return flow


def _exchange_code() -> dict[str, Any] | Response | None:
    """The provider's token response for this callback, the page that says what failed, or
    None when the provider did not answer."""
    try:
        return dict(oidc_client().authorize_access_token())
    except OAuthError as exc:
        logger.info("sign-in refused by the provider: %s", exc.error)
        return _failure(_("The sign-in did not complete. Please try again."), 400)
    except RequestException as exc:
        logger.error("identity provider unavailable: %s", exc)
        return None


@routes.get("/callback")
@limited("RATE_LIMIT_CALLBACK", "sign-in-callback")
def callback() -> Response:
    flow = _take_flow(request.args.get("state", ""))
    if flow is None:
        return _failure(_("This sign-in link has expired or was already used. Please sign in "
                          "again."), 400)
    token = _exchange_code()
    if token is None:
        return _unavailable(flow["kind"], url_for(f".{flow['kind']}", next=flow["next"]))
    if isinstance(token, Response):
        return token
    claims = token.get("userinfo") or {}
    issuer, subject, auth_time = claims.get("iss"), claims.get("sub"), claims.get("auth_time")
    if not issuer or not subject:
        return _failure(_("The sign-in service did not say who you are. Please try again."),
                        400)
    if flow["kind"] == "reauth":
        return _finish_reauth(flow, issuer, subject, auth_time)
    return _finish_login(flow, claims, issuer, subject, auth_time)


@routes.route("/logout", ("GET", "POST"))
def logout() -> Any:
    form = LogoutForm()
    if request.method == "GET":
        return render_template("selfservice/logout.html", form=form)
    if not form.validate_on_submit():
        abort(400, _("The sign-out form had expired, so you are still signed in. Please try "
                     "again."))
    sign_out("logout")  # on the server too: a copy of the cookie is worth nothing now
    return _provider_logout() or redirect(home_url())


def create_blueprint() -> Blueprint:
    bp = Blueprint("selfservice_auth", __name__, template_folder=TEMPLATE_FOLDER)
    error_pages.register(bp)
    routes.register(bp)
    hardening.protect(bp, api=False)
    return bp


def _finish_login(flow: dict[str, Any], claims: dict[str, Any], issuer: str, subject: str,
                  auth_time: Any) -> Response:
    ext = get_state().extension
    account_id = ext.resolve_account(claims)
    identity = ext.load_identity(account_id) if account_id else None
    if identity is None:
        return _failure(_("No account of this console matches the identity you signed in "
                          "with."), 403)
    # rotate the session: nothing from before the login survives it, and a session this
    # browser had is ended on the server (record_authentication opens a new one)
    sign_out("signed_in_again")
    login_user(PrivacyUser(identity), fresh=True)
    record_authentication(identity.account_id, _auth_time(auth_time), issuer=issuer,
                          subject=subject)
    return redirect(safe_next(flow["next"]))


def _finish_reauth(flow: dict[str, Any], issuer: str, subject: str, auth_time: Any) -> Response:
    account_id = current_account_id()
    known = authentication()
    if account_id is None or known is None or flow.get("account") != account_id:
        return _failure(_("Your session ended while we were confirming it is you. Please sign "
                          "in again."), 400)
    if (issuer, subject) != (known.get("iss"), known.get("sub")):
        audit.record_account_event(account_id, "auth.reauth_refused", actor_type="account",
                                   actor_id=account_id, details={"reason": "other identity"})
        return _failure(_("You signed in as a different user. To confirm it is you, sign in "
                          "with the account you are using here."), 403)
    if not isinstance(auth_time, int | float) or auth_time < int(flow["started"]):
        audit.record_account_event(account_id, "auth.reauth_refused", actor_type="account",
                                   actor_id=account_id, details={"reason": "no new login"})
        return _failure(_("The sign-in service did not confirm a new sign-in. Please try "
                          "again."), 403)
    # auth_time has one-second resolution; the login happened after the step-up began
    record_authentication(account_id, max(float(auth_time), flow["started"]), issuer=issuer,
                          subject=subject)
    audit.record_account_event(account_id, "auth.reauthenticated", actor_type="account",
                               actor_id=account_id)
    return redirect(safe_next(flow["next"]))


def _auth_time(value: Any) -> float:
    # without auth_time nothing proves when the user last typed a password: never fresh
    return float(value) if isinstance(value, int | float) else 0.0


def _provider_logout() -> Response | None:
    target = get_state().setting("OIDC_POST_LOGOUT_REDIRECT_URI")
    if not target:
        return None
    try:
        endpoint = oidc_client().load_server_metadata().get("end_session_endpoint")
    except (RequestException, OAuthError):
        return None
    if not endpoint:
        return None
    query = urlencode({"client_id": get_state().setting("OIDC_CLIENT_ID"),
                       "post_logout_redirect_uri": target})
    return redirect(f"{endpoint}?{query}")
