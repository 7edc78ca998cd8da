"""The size limit of request bodies to the plugin's pages and API (SELFSERVICE_MAX_BODY_BYTES).

The host's own routes are not touched: the limit is set per request, for the plugin's
blueprints only, through Flask's ``request.max_content_length``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from selfservice.state import get_state

F = TypeVar("F", bound=Callable[..., Any])

#: the attribute ``allow_larger_body`` leaves on a view: a function giving its extra bytes
BODY_ALLOWANCE = "body_allowance"


def allow_larger_body(extra: Callable[[], int]) -> Callable[[F], F]:
    """The view's body may be ``extra()`` bytes longer than SELFSERVICE_MAX_BODY_BYTES (read
    when a request comes, so it follows the settings)."""

    def decorator(view: F) -> F:
        setattr(view, BODY_ALLOWANCE, extra)
        return view

    return decorator


def body_limit() -> int:
    """The most bytes this request's body may have."""
    limit = int(get_state().setting("MAX_BODY_BYTES"))
    view = current_app.view_functions.get(request.endpoint or "")
    extra: Callable[[], int] | None = getattr(view, BODY_ALLOWANCE, None)
    return limit + extra() if extra is not None else limit


def limit_body(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Applies the limit to this request: a body announced longer is refused at once, unread;
    one sent without a length (chunked) is read up to the limit and refused past it.

    It is a URL value preprocessor because those run before every ``before_request``
    function, the host's included, so no other code reads the body first."""
    limit = body_limit()
    request.max_content_length = limit
    length = request.content_length
    if length is None and "wsgi.input_terminated" in request.environ:
        length = _buffer_unannounced_body(limit)
    if length is not None and length > limit:
        raise RequestEntityTooLarge(f"The request body is longer than {limit} bytes, the "
                                    "most this URL accepts.")


def _buffer_unannounced_body(limit: int) -> int:
    """Reads a body the server ends itself (chunked, no Content-Length) up to one byte past
    the limit, and keeps it for the view: its length, limit + 1 when it is longer.

    (Reading through ``request.max_content_length`` alone would stop at the limit and hand
    the view the truncated body, without an error.)"""
    environ = request.environ
    data = LimitedStream(environ["wsgi.input"], limit + 1, is_max=True).read()
    environ["wsgi.input"] = io.BytesIO(data)
    return len(data)


def register(bp: Blueprint) -> None:
    """The limit on every request ``bp`` answers."""
    bp.url_value_preprocessor(limit_body)
