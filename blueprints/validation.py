"""Small, strict parsing of JSON bodies: unknown keys, wrong types and bad values are all
reported at once, one entry per field (a 422 problem), and nothing is changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, request

from .problems import problem


class Invalid(Exception):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("invalid input")
        self.errors = dict(errors)


def invalid_response(errors: Mapping[str, str]) -> Response:
    return problem(422, "validation-error", "Invalid input",
                   "; ".join(f"{field}: {message}" for field, message in errors.items()),
                   errors=[{"field": field, "message": message}
                           for field, message in errors.items()])


def json_object(allowed: Iterable[str]) -> dict[str, Any]:
    """The request's JSON object; unknown keys are errors."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid({"body": "must be a JSON object (Content-Type: application/json)"})
    allowed = set(allowed)
    unknown = {key: "unknown field" for key in body if key not in allowed}
    if unknown:
        raise Invalid(unknown)
    return body


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


def is_identifier(value: Any, max_length: int = 64) -> bool:
    """A printable string of 1 to ``max_length`` characters (no control characters or lone
    surrogates, which no database stores faithfully)."""
    return (isinstance(value, str) and 0 < len(value) <= max_length
            and value.isprintable() and not any("\ud800" <= c <= "\udfff" for c in value))
