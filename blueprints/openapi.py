"""The OpenAPI 3.1 document of the JSON API, served at <API prefix>/openapi.json.

Shapes and operations come from :mod:`selfservice.schemas`; each request body is the schema
component the view itself validates against (its ``@accepts``), read from the URL map.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, url_for

from selfservice.schemas import components, paths, ref
from selfservice.schemas.base import problem_response, unavailable_response
from selfservice.state import get_state
from selfservice.version import __version__

from .validation import REQUEST_SCHEMA, accepted_values

API_BLUEPRINT = "selfservice_api"


def _api_prefix() -> str:
    return url_for(f"{API_BLUEPRINT}.me").rsplit("/me", 1)[0]


def request_bodies() -> dict[tuple[str, str], str]:
    """(path, method) -> the schema component its view validates the body against."""
    prefix = _api_prefix()
    found: dict[tuple[str, str], str] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{API_BLUEPRINT}."):
            continue
        component = getattr(current_app.view_functions[rule.endpoint], REQUEST_SCHEMA, None)
        if component is None:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(prefix):])
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found[(path, method.lower())] = component
    return found


def _common_problems(operation: dict[str, Any]) -> None:
    """The problems any operation of its kind can answer: 403 for a wrong CSRF header, 413
    and 422 for a body too long or of the wrong shape; and any operation, 503 while the
    database does not answer."""
    responses = operation["responses"]
    responses.setdefault("503", unavailable_response(
        "the database is not answering; try again after Retry-After"))
    if any("csrf" in requirement for requirement in operation.get("security", [])):
        responses.setdefault("403", problem_response("CSRF token missing or invalid"))
    if "requestBody" in operation:
        responses.setdefault("413", problem_response("the body is longer than "
                                                     "SELFSERVICE_MAX_BODY_BYTES"))
        responses.setdefault("422", problem_response("invalid input; nothing changed"))


def document() -> dict[str, Any]:
    csrf_header = get_state().setting("CSRF_HEADER")
    operations = paths()
    for (path, method), component in request_bodies().items():
        operations[path][method]["requestBody"] = {
            "required": True, "content": {"application/json": {"schema": ref(component)}}}
    for path_operations in operations.values():
        for operation in path_operations.values():
            _common_problems(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Privacy self-service API",
            "version": __version__,
            "description": (
                "Session-cookie calls that change state need the header "
                f"`{csrf_header}` with `csrf_token` from GET /me. Machine-to-machine calls use "
                "`Authorization: Bearer <service token>`. Errors are RFC 9457 problem details."
            ),
        },
        "servers": [{"url": _api_prefix()}],
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": csrf_header},
                "serviceToken": {"type": "http", "scheme": "bearer"},
            },
            "schemas": components(accepted_values()),
        },
        "security": [{"session": []}],
        "paths": operations,
    }
