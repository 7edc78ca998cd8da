"""Rate limits on the plugin's own routes: sending privacy requests, starting a sign-in, the
identity provider's callback, and cookie decisions (``SELFSERVICE_RATE_LIMIT_*``).

Flask-Limiter counts in Redis (``SELFSERVICE_REDIS_URL``, under the plugin's own key prefix),
so every web process shares one count. When Redis is down it counts in memory, per process,
until Redis answers again: the request is always served, never a 500. A signed-in visitor is
counted per account, anyone else per client address (``request.remote_addr``; behind a proxy,
the host's ``ProxyFix`` makes it the client's; IPv6 per /64, which one client usually holds).

The plugin's Limiter is its own, so that a host's Flask-Limiter stays the host's: it reads none
of the host's ``RATELIMIT_*`` settings (no default, application or meta limits, no storage of
theirs), it is not added to ``app.extensions["limiter"]`` (where Flask-Limiter 3 and 4 keep the
host's instances, one set of hooks each), and it limits only the views marked with
:func:`limited`. Over a limit, the API answers a ``rate-limited`` problem and pages a plain page,
both with ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Blueprint, Config, Flask, current_app, make_response, request
from flask.blueprints import BlueprintSetupState
from flask.wrappers import Response
from flask_limiter import Limiter, RateLimitExceeded

from selfservice.auth import current_account_id
from selfservice.state import SelfServiceState, get_state
from selfservice.translation import gettext as _
from selfservice.translation import ngettext

from . import error_pages
from .problems import problem

F = TypeVar("F", bound=Callable[..., Any])

#: the attribute :func:`limited` leaves on a view
RATE_LIMIT = "selfservice_rate_limit"


@dataclass(frozen=True)
class Limited:
    """A view's limit: the setting that holds the rate, the count it shares with other views,
    and the methods that count (None: all)."""

    setting: str
    scope: str
    methods: tuple[str, ...] | None = None


def limited(setting: str, scope: str, methods: tuple[str, ...] | None = None
            ) -> Callable[[F], F]:
    """Limit a view by ``SELFSERVICE_<setting>``; views naming the same ``scope`` share one
    count. The limit applies where the blueprint is mounted (:func:`register`)."""

    def decorator(view: F) -> F:
        setattr(view, RATE_LIMIT, Limited(setting, scope, methods))
        return view

    return decorator


def client_key() -> str:
    """Who is counted: the signed-in account, or else the client address (IPv6: its /64)."""
    account_id = current_account_id()
    if account_id is not None:
        return f"account:{account_id}"
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"address:{address}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"address:{ip.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"address:{ip}"


class _OwnSettings:
    """What the plugin's Limiter sees of the app in ``init_app``: the app's request hooks, but a
    configuration and an extensions registry of its own, so that no ``RATELIMIT_*`` setting of
    the host reaches it and the host's ``app.extensions["limiter"]`` stays the host's."""

    def __init__(self, app: Flask) -> None:
        self.config = Config(app.root_path)
        self.extensions: dict[str, Any] = {}
        self.after_request = app.after_request
        self.teardown_request = app.teardown_request
        self._app = app

    def before_request(self, hook: Callable[[], Any]) -> Callable[[], Any]:
        """The Limiter's check runs on the plugin's limited views only: on any other request
        its request filter (:func:`_not_limited_here`) would have it count nothing, after
        some work on every request of the app."""

        @functools.wraps(hook)
        def on_limited_views() -> Any:
            return None if _not_limited_here() else hook()

        self._app.before_request(on_limited_views)
        return hook


def storage_uri(redis_url: str) -> str:
    """The ``limits`` storage URI of the Redis RQ uses (``unix://`` is ``redis+unix://`` there)."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith(
        "unix://") else redis_url


def create_limiter(app: Flask, redis_url: str, key_prefix: str,
                   socket_timeout: float) -> Limiter:
    """The plugin's Limiter for ``app``: Redis, falling back to memory while Redis is down."""
    options: dict[str, Any] = {"socket_timeout": socket_timeout,
                               "socket_connect_timeout": socket_timeout}
    limiter = Limiter(
        client_key, storage_uri=storage_uri(redis_url),
        storage_options=options,
        strategy="moving-window", key_prefix=key_prefix, in_memory_fallback_enabled=True,
        headers_enabled=False, swallow_errors=True)
    # only the plugin's limited views: the hooks never touch Redis for the host's routes
    limiter.request_filter(_not_limited_here)
    limiter.init_app(cast(Flask, _OwnSettings(app)))
    return limiter


def _not_limited_here() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, RATE_LIMIT, None) is None


def register(bp: Blueprint, *, api: bool) -> None:
    """Apply the limits of ``bp``'s marked views where it is mounted, and answer a request
    over a limit with a problem (``api``) or a plain page, with ``Retry-After``."""
    bp.record(_limit_views)
    bp.register_error_handler(RateLimitExceeded, too_many_problem if api else too_many_page)


def _limit_views(setup: BlueprintSetupState) -> None:
    state: SelfServiceState = setup.app.extensions["selfservice"]
    limiter: Limiter = state.limiter
    prefix = f"{setup.name_prefix}.{setup.name}".lstrip(".") + "."
    views = setup.app.view_functions
    for endpoint, view in list(views.items()):
        spec: Limited | None = getattr(view, RATE_LIMIT, None)
        if spec is None or not endpoint.startswith(prefix):
            continue
        views[endpoint] = cast(Any, limiter.shared_limit(
            _rate(spec.setting), scope=spec.scope, exempt_when=_switched_off(spec.setting),
            methods=[m.lower() for m in spec.methods] if spec.methods else None)(view))


def _rate(setting: str) -> Callable[[], str]:
    # read at every request (a test or an admin may change it); None is exempt, see below
    return lambda: get_state().setting(setting) or "1/second"


def _switched_off(setting: str) -> Callable[[], bool]:
    return lambda: get_state().setting(setting) is None


# -- over the limit ---------------------------------------------------------------------------

def retry_after(exc: RateLimitExceeded) -> int:
    """Seconds until the limit lets the client in again (the whole window if that cannot be
    read, e.g. a host's limit or Redis gone this very moment)."""
    window = max(1, int(exc.limit.limit.get_expiry()))
    limiter: Limiter = get_state().limiter
    current = limiter.current_limit
    with contextlib.suppress(Exception):  # the storage's own error, whatever it is
        if current is not None and current.breached:
            return min(window, max(1, math.ceil(current.reset_at - time.time())))
    return window


def in_words(seconds: int) -> str:
    if seconds < 60:
        return "a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"about {round(minutes / 60)} hours"


def wait_words(seconds: int) -> str:
    """:func:`in_words` in the reader's language, for the page (the API's problem keeps
    English)."""
    if seconds < 60:
        return _("a minute")
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("%(num)s minute", "%(num)s minutes", minutes)
    hours = round(minutes / 60)
    return ngettext("about %(num)s hour", "about %(num)s hours", hours)


def too_many_problem(exc: RateLimitExceeded) -> Response:
    if exc.response is not None:
        return cast(Response, exc.response)  # the host's own Flask-Limiter answered
    seconds = retry_after(exc)
    return problem(429, "rate-limited", "Too many requests",
                   f"Please wait {in_words(seconds)}, then try again.",
                   headers={"Retry-After": str(seconds)})


def too_many_page(exc: RateLimitExceeded) -> Response:
    if exc.response is not None:
        return cast(Response, exc.response)
    seconds = retry_after(exc)
    response = make_response(error_pages.render_error("selfservice/too_many.html", 429,
                                                      wait=wait_words(seconds)), 429)
    response.headers["Retry-After"] = str(seconds)
    return response
