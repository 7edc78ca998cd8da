"""Shapes shared by the whole API: problems, who you are, health."""

from __future__ import annotations

from typing import Any

from .base import OPTIONAL_TIME, Schema, json_response, problem_response, ref

COMPONENTS: dict[str, Schema] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "reauth_url": {"type": "string", "description": "with type .../reauth-required"},
            "blockers": {"type": "array", "items": ref("DeletionBlocker"),
                         "description": "with type .../deletion-blocked: what must be done "
                                        "first, each with what to do"},
            "cancel_url": {"type": "string",
                           "description": "with type .../deletion-scheduled: where the "
                                          "scheduled deletion is canceled"},
            "signature": {**ref("DpaSignature"),
                          "description": "with status 409 from POST /dpa/signatures: the "
                                         "organisation's signature of that version, made "
                                         "first"},
            "errors": {"type": "array",
                       "description": "with status 422: one entry per bad field",
                       "items": {"type": "object", "required": ["field", "message"],
                                 "properties": {"field": {"type": "string"},
                                                "message": {"type": "string"}}}},
        },
    },
    "Me": {
        "type": "object",
        "required": ["account_id", "email", "name", "org", "roles", "auth_time", "csrf_token"],
        "properties": {
            "account_id": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string"},
            "org": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["id", "name", "role"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                               "role": {"enum": ["owner", "admin", "member"]}}}]},
            "roles": {"type": "array", "items": {"type": "string"}},
            "auth_time": OPTIONAL_TIME,
            "csrf_token": {"type": "string"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"enum": ["ok", "degraded"]},
                       "database": {"type": "object"}, "redis": {"type": "object"},
                       "workers": {"type": "object"}, "jobs": {"type": "object"},
                       "storage": {"type": "object", "description": "the archive store: "
                                   "kind (local or s3), ok, and on failure its error "
                                   "(unreachable, full or refused)"}},
    },
}


def paths() -> dict[str, Any]:
    return {
        "/me": {"get": {
            "summary": "The logged-in user, organisation, roles and CSRF token",
            "responses": {"200": json_response(ref("Me"), "who you are"),
                          "401": problem_response("not logged in")}}},
        "/session": {"delete": {
            "summary": "Log out",
            "security": [{"session": [], "csrf": []}],
            "responses": {"204": {"description": "logged out"},
                          "401": problem_response("not logged in"),
                          "403": problem_response("CSRF token missing or wrong")}}},
        "/health": {"get": {
            "summary": "Database, Redis, worker heartbeat, job backlog and archive store; "
                       "details only for support staff and service tokens",
            "security": [{}, {"session": []}, {"serviceToken": []}],
            "responses": {"200": json_response(ref("Health"), "healthy"),
                          "503": json_response(ref("Health"), "degraded")}}},
        "/health/live": {"get": {
            "summary": "Liveness for a load balancer or a supervisor: the process answers "
                       "(no database, no Redis)",
            "security": [{}],
            "responses": {"200": json_response(ref("Health"), "alive")}}},
        "/health/ready": {"get": {
            "summary": "Readiness for a load balancer: the database answers (Redis and the "
                       "workers are left to /health: pages work without them)",
            "security": [{}],
            "responses": {"200": json_response(ref("Health"), "ready"),
                          "503": json_response(ref("Health"), "the database does not answer")}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [{}],
                                  "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    }
