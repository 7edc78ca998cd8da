"""Strict parsing of JSON bodies and parameters: unknown keys, wrong types and bad values are
all reported at once, one entry per field (a 422 problem), and nothing is changed.

Bodies are checked against the schema components the OpenAPI document publishes
(:mod:`selfservice.schemas`), through :func:`accepts`, with the values this application
accepts (:func:`accepted_values`) filled in the same way for both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from flask import Response, request

from selfservice.schemas import Accepted, InvalidInput, validate
from selfservice.services import consent_types, cookie_consent
from selfservice.state import get_state

from .cookie_state import known_languages
from .problems import problem

P = ParamSpec("P")
R = TypeVar("R")

#: the attribute ``accepts`` leaves on a view: the name of its request body's schema component
REQUEST_SCHEMA = "request_schema"

# views raise Invalid; it is the core's InvalidInput, so services can raise it too
Invalid = InvalidInput


def invalid_response(errors: Mapping[str, str]) -> Response:
    return problem(422, "validation-error", "Invalid input",
                   "; ".join(f"{field}: {message}" for field, message in errors.items()),
                   errors=[{"field": field, "message": message}
                           for field, message in errors.items()])


def accepted_values() -> Accepted:
    """What this application accepts where a shape depends on its settings."""
    return Accepted(policy_version=consent_types.policy_version(),
                    cookie_policy_version=cookie_consent.registry().version,
                    languages=tuple(known_languages()),
                    max_ids=int(get_state().setting("ELIGIBILITY_MAX_IDS")))


def json_body() -> Any:
    """The request's JSON document, or Invalid when there is none."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        body = None
    if body is None:
        raise Invalid({"body": "must be a JSON object (Content-Type: application/json)"})
    return body


def accepts(component: str) -> Callable[[Callable[Concatenate[Any, P], R]],
                                        Callable[Concatenate[Any, P], R]]:
    """The view's JSON body must have the shape of schema ``component``; the view gets it as
    the keyword argument ``body``. The OpenAPI document names the same component as the
    operation's request body."""

    def decorator(view: Callable[..., R]) -> Callable[..., R]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            body = json_body()
            if not isinstance(body, dict):
                raise Invalid({"body": "must be a JSON object (Content-Type: "
                                       "application/json)"})
            kwargs["body"] = validate(component, body, accepted_values())
            return view(*args, **kwargs)

        setattr(wrapper, REQUEST_SCHEMA, component)
        return wrapper

    return decorator


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 time with an offset, as UTC."""
    if not isinstance(value, str):
        raise Invalid({field: "must be an ISO 8601 time with an offset, e.g. "
                              "2026-03-01T00:00:00Z"})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid({field: f"{value[:40]!r} is not an ISO 8601 time"}) from None
    if moment.tzinfo is None:
        raise Invalid({field: "needs a UTC offset (Z or +hh:mm)"})
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise Invalid({field: "is out of range"}) from None

