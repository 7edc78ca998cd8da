"""Error pages inside the host's layout (SELFSERVICE_BASE_TEMPLATE), each with a way back.

The plugin's own pages answer their errors (400, 403, 404, 405, 410, 413, 429, 500, 503) with
``selfservice/error.html``. The handlers are registered by exception class, so a handler the
host registered for a status code still wins (Flask prefers a handler for the code). The host's
own routes keep their error handling, unless the host opts in with
``SELFSERVICE_ERROR_PAGES = "app"``: then the page answers there too. The JSON API keeps its
problem+json answers either way (its handlers are registered by code).

A staff route hidden from the caller (:class:`unrouted.Unrouted`) answers as a URL that no
route serves does: with the app's own handler for that, or Werkzeug's page when there is none.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .guards import home_url, safe_next
from .unrouted import Unrouted

logger = logging.getLogger(__name__)

#: the statuses the page has words for (selfservice/_words.html); others keep Werkzeug's page
STATUSES = frozenset({400, 403, 404, 405, 410, 413, 429, 500, 503})


def register(bp: Blueprint) -> None:
    """The error page for the errors of ``bp``'s routes."""
    bp.register_error_handler(HTTPException, plugin_error)


def register_app_wide(app: Flask) -> None:
    """The error page for the host's routes too (``SELFSERVICE_ERROR_PAGES = "app"``)."""
    app.register_error_handler(HTTPException, error_page)


def plugin_error(exc: HTTPException) -> Response | HTTPException:
    """The error handler of the plugin's page blueprints."""
    if isinstance(exc, Unrouted):
        # what the app answers for a URL no route serves: its own handler, or Werkzeug's page
        handler = current_app._find_error_handler(exc, [])  # noqa: SLF001 (Flask's lookup)
        return handler(exc) if handler is not None else exc  # type: ignore[return-value]
    return error_page(exc)


def error_page(exc: HTTPException) -> Response | HTTPException:
    """The page for ``exc`` inside the host's layout; Werkzeug's own page for a status the page
    has no words for, or when the layout itself cannot be shown (the database is down)."""
    status = exc.code or 500
    if status not in STATUSES:
        return exc
    try:
        body = render_error("selfservice/error.html", status, detail=_detail(exc),
                            expired=isinstance(exc, CSRFError))
    except Exception:  # the layout needs what failed: the plain page still says it
        logger.exception("the error page for %s could not be shown", status)
        return exc
    response = make_response(body, status)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":  # Allow with a 405, Retry-After with a 429
            response.headers[name] = value
    return response


def render_error(template: str, status: int, **context: Any) -> str:
    """An error template (``selfservice/error.html`` or one that extends it) with its ways
    back."""
    return render_template(template, status=status, back=_back(), home=home_url(), **context)


def _detail(exc: HTTPException) -> str | None:
    """What the code that refused said, in its own words (a page's view writes them in the
    reader's language); None for Werkzeug's defaults, written for developers, for server
    errors, whose detail is ours to keep, and for a body too long, whose detail is the API's
    (in bytes, in English)."""
    described = exc.description
    if (exc.code or 500) >= 500 or not described or described == type(exc).description:
        return None
    return described if not isinstance(exc, CSRFError | RequestEntityTooLarge) else None


def _back() -> str | None:
    """The page the visitor came from, if it is one of ours and not this one."""
    target = safe_next(request.referrer, default="-")
    return None if target == "-" or target.split("?")[0] == request.path else target
