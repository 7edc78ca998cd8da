"""The OpenAPI 3.1 document of the JSON API, served at <API prefix>/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import url_for

import selfservice
from selfservice.state import get_state

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": _PROBLEM}}}


def document() -> dict[str, Any]:
    state = get_state()
    csrf_header = state.setting("CSRF_HEADER")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Privacy self-service API",
            "version": selfservice.__version__,
            "description": (
                "Session-cookie calls that change state need the header "
                f"`{csrf_header}` with `csrf_token` from GET /me. Machine-to-machine calls use "
                "`Authorization: Bearer <service token>`. Errors are RFC 9457 problem details."
            ),
        },
        "servers": [{"url": url_for("selfservice_api.me").rsplit("/me", 1)[0]}],
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": csrf_header},
                "serviceToken": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status"],
                    "properties": {
                        "type": {"type": "string", "format": "uri"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "reauth_url": {"type": "string",
                                       "description": "with type .../reauth-required"},
                        "errors": {"type": "object",
                                   "additionalProperties": {"type": "array",
                                                            "items": {"type": "string"}}},
                    },
                },
                "Me": {
                    "type": "object",
                    "required": ["account_id", "email", "name", "org", "roles", "auth_time",
                                 "csrf_token"],
                    "properties": {
                        "account_id": {"type": "string"},
                        "email": {"type": "string", "format": "email"},
                        "name": {"type": "string"},
                        "org": {"oneOf": [{"type": "null"}, {
                            "type": "object", "required": ["id", "name", "role"],
                            "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                           "role": {"enum": ["owner", "admin", "member"]}}}]},
                        "roles": {"type": "array", "items": {"type": "string"}},
                        "auth_time": {"type": ["string", "null"], "format": "date-time"},
                        "csrf_token": {"type": "string"},
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"enum": ["ok", "degraded"]},
                                   "database": {"type": "object"}, "redis": {"type": "object"},
                                   "workers": {"type": "object"}, "jobs": {"type": "object"}},
                },
            },
        },
        "security": [{"session": []}],
        "paths": {
            "/me": {"get": {
                "summary": "The logged-in user, organisation, roles and CSRF token",
                "responses": {
                    "200": {"description": "who you are",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Me"}}}},
                    "401": _problem_response("not logged in"),
                }}},
            "/session": {"delete": {
                "summary": "Log out",
                "security": [{"session": [], "csrf": []}],
                "responses": {"204": {"description": "logged out"},
                              "401": _problem_response("not logged in"),
                              "403": _problem_response("CSRF token missing or wrong")}}},
            "/health": {"get": {
                "summary": "Database, Redis, worker heartbeat and job backlog; details only "
                           "for support staff and service tokens",
                "security": [{}, {"session": []}, {"serviceToken": []}],
                "responses": {
                    "200": {"description": "healthy", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Health"}}}},
                    "503": {"description": "degraded", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Health"}}}},
                }}},
            "/openapi.json": {"get": {"summary": "This document", "security": [{}],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }
