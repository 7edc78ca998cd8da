"""Headers on every response of the plugin's blueprints (pages, API, SSO, .well-known).

- ``Cache-Control: no-store``: these responses carry personal data (the CSRF token of ``/me``,
  preferences, consent events, requests, the pages showing them), so no browser or proxy keeps
  them. A view that chose its own (the public cookie policy, the JWKS, the GPC declaration, the
  archive download) keeps it.
- ``X-Content-Type-Options: nosniff``: a download or a JSON answer is never run as a script or
  shown as a page.
- ``Referrer-Policy: same-origin``: links to other sites (the identity provider, the privacy
  policy) learn nothing of the page they came from, whose URL may name a request; the
  console's own pages still get the full Referer, which the return-after-sign-in paths
  (``safe_next(request.referrer)``) and Flask-WTF's HTTPS referrer check rely on.
  ``strict-origin-when-cross-origin`` would still tell other sites the console's origin.

The hook runs after every other ``after_request`` function of the app and only fills in what is
missing, so a value the host set (in its own hook or error handler) stays. Requests the host's
own routes serve are left alone.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from selfservice.state import SelfServiceState, get_state

from . import body_size, rate_limits

logger = logging.getLogger(__name__)

#: what every response of the plugin's blueprints gets, unless it already has one
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}


def register(bp: Blueprint) -> None:
    """Give every response of ``bp`` the headers, wherever the host mounts it."""
    bp.record(_mounted)


def protect(bp: Blueprint, *, api: bool) -> None:
    """Everything a blueprint that takes input gets: the body limit, the headers and the rate
    limits of its marked views (answered as problems when ``api``). Call it after the routes
    are registered: the rate limits wrap the views the blueprint has by then."""
    body_size.register(bp)
    register(bp)
    rate_limits.register(bp, api=api)


def _mounted(setup: BlueprintSetupState) -> None:
    state: SelfServiceState = setup.app.extensions["selfservice"]
    if not state.http_blueprints:
        # the last after_request function of the app (Flask runs them last-registered first)
        setup.app.after_request_funcs.setdefault(None, []).insert(0, add_headers)
    state.http_blueprints.add(f"{setup.name_prefix}.{setup.name}".lstrip("."))


def add_headers(response: Response) -> Response:
    """after_request of the app, run last: the headers on the plugin's responses."""
    state = get_state()
    if request.blueprint not in state.http_blueprints:
        return response
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if (request.is_secure and not current_app.config.get("SESSION_COOKIE_SECURE")
            and not state.warned_insecure_session):
        state.warned_insecure_session = True
        logger.warning("This request came over HTTPS but SESSION_COOKIE_SECURE is False: "
                       "browsers would also send the session cookie over plain HTTP. Set "
                       "SESSION_COOKIE_SECURE = True.")
    return response
