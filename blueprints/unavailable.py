"""A database that cannot be reached is a 503 that says so, on every page of the app.

While PostgreSQL restarts (or fails over, or every pooled connection is busy) each request that
needs it fails with SQLAlchemy's ``OperationalError``; Flask would answer a bare 500. The plugin
answers ``503 Service Unavailable`` with ``Retry-After`` instead: a ``unavailable`` problem for
the API (and for a client that asks for JSON), a plain page in the host's layout for everyone
else, on the plugin's routes and the host's alike (the plugin's session check runs before
every view of the app, so the outage reaches the host's pages through it too). The transaction
of that request has rolled back; the engine's ``pool_pre_ping`` replaces the dead connections
once the database answers again.

An error that is not about reaching the database (a wrong statement, a missing table) stays
the 500 it was. A host that registered its own handler for ``OperationalError`` (or one of
its bases in ``sqlalchemy.exc``) keeps it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, cast

import sqlalchemy as sa
from flask import Blueprint, Flask, make_response, render_template, request
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from selfservice.auth import database_unreachable
from selfservice.db import is_unavailable
from selfservice.translation import gettext as _

from . import openapi
from .guards import home_url
from .problems import problem

logger = logging.getLogger(__name__)

#: seconds a client is asked to wait: a restart or a fail-over usually takes a few
RETRY_AFTER = 5
#: seconds between two log lines about the same outage
LOG_EVERY = 10
#: the exceptions the handler looks at (it answers only those ``is_unavailable`` names)
HANDLED = (sa.exc.OperationalError, sa.exc.TimeoutError)


def register(bp: Blueprint) -> None:
    """Answer an unreachable database with a 503 on every route of the app ``bp`` is mounted
    on (once per app, whichever of the plugin's blueprints comes first)."""
    bp.record_once(_mounted)


def _mounted(setup: BlueprintSetupState) -> None:
    install(cast(Flask, setup.app))


def install(app: Flask) -> None:
    """Register the handler on ``app``, unless the host handles these exceptions itself."""
    # read, not setdefault: Flask's spec is a defaultdict of defaultdicts, a plain dict
    # put in would break its lookups by status code
    handlers = app.error_handler_spec.get(None, {}).get(None, {})
    for exc_class in HANDLED:
        hosts = [c for c in exc_class.__mro__
                 if c in handlers and c.__module__.startswith("sqlalchemy")]
        if not hosts:
            app.register_error_handler(exc_class, database_unavailable)


def database_unavailable(exc: Exception) -> Response:
    """The app's error handler for the exceptions of ``HANDLED``."""
    if not is_unavailable(exc):
        raise exc  # a real error: Flask answers it as the 500 it is
    database_unreachable()
    _log(exc)
    if _wants_problem():
        return problem(503, "unavailable", "Temporarily unavailable",
                       "Our database is not answering right now. Please try again in a few "
                       "seconds.", headers={"Retry-After": str(RETRY_AFTER)})
    response = make_response(_page(), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


class _Throttle:
    """One log line per LOG_EVERY seconds and process, however many requests meet the outage,
    with the number answered since."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = -float(LOG_EVERY)
        self.since = 0

    def due(self) -> int | None:
        with self.lock:
            self.since += 1
            now = time.monotonic()
            if now - self.last < LOG_EVERY:
                return None
            count, self.last, self.since = self.since, now, 0
            return count


_throttle = _Throttle()


def _log(exc: Exception) -> None:
    count = _throttle.due()
    if count is None:
        return
    # the driver's first line names the reason; SQLAlchemy's own text would quote the
    # statement and its parameters
    orig: Any = getattr(exc, "orig", None) or exc
    reason = (str(orig).strip().splitlines() or [""])[0]
    logger.warning("database unavailable: %d requests answered 503 since the last such line "
                   "(%s: %s)", count, type(orig).__name__, reason)


def _wants_problem() -> bool:
    if request.blueprint is not None and request.blueprint.split(".")[-1] == (
            openapi.API_BLUEPRINT):
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", "application/problem+json"])
    return best is not None and best != "text/html"


def _page() -> str:
    """The page in the host's layout; a page of its own when that layout cannot be drawn
    without the database (a host's navigation that reads it); plain text as a last resort."""
    again = request.full_path.rstrip("?") if request.method == "GET" else None
    for template in ("selfservice/unavailable.html", "selfservice/unavailable_plain.html"):
        try:
            return render_template(template, again=again, home=home_url())
        except Exception:  # whatever the layout raised: the next, plainer page still answers
            logger.warning("%s failed while the database was unavailable", template,
                           exc_info=True)
    return _("Temporarily unavailable. Please try again in a few seconds.")
