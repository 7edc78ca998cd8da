"""Every path and method under the API prefix that no view answers gets a problem, like the
rest of the API: 404, or 405 with the methods the path does take in ``Allow``.

A catch-all rule under the API prefix (any method) routes such requests to the API blueprint,
whose error handler answers them; the host's own error handlers, for its other routes, stay as
they are. A rule with a fixed path always wins over the catch-all, so it takes nothing from the
plugin's views or from a host route mounted under the same prefix.

A view may also be hidden from some callers (the staff routes, from everyone but staff): its
``route_hidden`` attribute (:data:`HIDDEN`) says so per request, and such a caller gets exactly
what a path that does not exist answers, with any method, before anything else runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from flask import Blueprint, current_app, request
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

ENDPOINT = "unrouted"
#: the attribute of a view hidden from some callers: a function, true when this request's
#: caller must not learn that the route exists
HIDDEN = "route_hidden"
#: the methods an ``Allow`` header may name
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Unrouted(NotFound):
    """A route hidden from this caller: it is answered as a URL that no route serves (the
    pages' error handler, ``error_pages.plugin_error``, tells the two apart)."""


def _refusal() -> HTTPException:
    """404, or 405 naming the methods other rules take for this path."""
    adapter = current_app.create_url_adapter(request)
    if adapter is None:  # only outside a request
        return NotFound()
    allowed: list[str] = []
    for method in _METHODS:
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:  # no rule for this method (or a redirect)
            continue
        if endpoint.rpartition(".")[2] != ENDPOINT and not hidden(endpoint):
            allowed.append(method)
    return MethodNotAllowed(valid_methods=allowed) if allowed else NotFound()


def unrouted(**_: Any) -> NoReturn:
    """The catch-all's view (``refuse_early`` answers before it is reached)."""
    raise _refusal()


def hidden(endpoint: str | None) -> bool:
    """Whether this request's caller must not learn that ``endpoint``'s route exists."""
    view = current_app.view_functions.get(endpoint or "")
    check: Callable[[], bool] | None = getattr(view, HIDDEN, None)
    return check is not None and check()


def refuse_early(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """URL value preprocessor: the answer comes before any ``before_request`` function (the
    CSRF check, the body limit, the host's), since there is nothing there to protect."""
    if endpoint is not None and (endpoint.rpartition(".")[2] == ENDPOINT or hidden(endpoint)):
        raise _refusal()


def refuse_hidden(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """URL value preprocessor of a blueprint without the catch-all (the pages): a hidden
    route is not found, before anything else runs."""
    if hidden(endpoint):
        raise Unrouted()


def _mount(state: BlueprintSetupState) -> None:
    prefix = (state.url_prefix or "").rstrip("/")
    if not prefix:
        return  # at the root it would answer for every unknown URL of the host
    endpoint = f"{state.name_prefix}.{state.name}.{ENDPOINT}".lstrip(".")
    state.app.view_functions[endpoint] = unrouted
    for rule in (prefix, f"{prefix}/", f"{prefix}/<path:rest>"):
        # no methods: the rule takes them all (Flask's add_url_rule would default to GET)
        state.app.url_map.add(state.app.url_rule_class(rule, endpoint=endpoint))


def hide_routes(bp: Blueprint) -> None:
    """``bp``'s hidden routes are not found by those they are hidden from. Register it before
    anything else that looks at a request (the body limit)."""
    bp.url_value_preprocessor(refuse_hidden)


def register(bp: Blueprint) -> None:
    """The catch-all under ``bp``'s prefix, answered by ``bp``'s error handlers; hidden routes
    answer as the catch-all does."""
    bp.url_value_preprocessor(refuse_early)
    bp.record(_mount)
