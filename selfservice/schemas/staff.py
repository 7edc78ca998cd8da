"""Shapes of staff access: revealing a customer's masked data (support and privacy officers
only), and the customer's log of staff who looked at or acted on their data."""

from __future__ import annotations

from typing import Any

from ..text import FREE_TEXT_PATTERN
from .base import TIME, Schema, json_response, problem_response, ref

#: the longest reason a staff member may give for looking
REASON_MAX = 300

COMPONENTS: dict[str, Schema] = {
    "RevealRequest": {
        "type": "object", "required": ["reason"], "additionalProperties": False,
        "properties": {"reason": {
            "type": "string", "minLength": 1, "maxLength": REASON_MAX,
            "pattern": FREE_TEXT_PATTERN,
            "description": "why you need to see it, in plain words (the customer reads it); "
                           "not only spaces"}}},
    "Revealed": {
        "type": "object", "required": ["email", "name"],
        "properties": {"email": {"type": "string"}, "name": {"type": "string"}}},
    "AccessLogEntry": {
        "type": "object", "required": ["at", "role", "action", "reason"],
        "properties": {
            "at": TIME,
            "role": {"type": "string", "examples": ["support", "privacy_officer"]},
            "action": {"type": "string", "examples": ["staff.revealed"]},
            "reason": {"type": ["string", "null"]},
            "reference": {"type": ["string", "null"],
                          "description": "your request it was about, if any"},
            "description": {"type": "string", "description": "the action, in words"},
            "role_name": {"type": "string", "description": "the role, in words"}}},
    "AccessLog": {"type": "array", "items": ref("AccessLogEntry"),
                  "description": "newest first"},
}


def paths() -> dict[str, Any]:
    return {
        "/support/requests/{reference}/reveal": {"post": {
            "summary": "Support and privacy officers: the full e-mail address and name of the "
                       "account that made a request. Takes a reason, which is recorded and "
                       "shown to the customer. Anyone else gets the 404 of a path that does "
                       "not exist",
            "security": [{"session": [], "csrf": []}],
            "parameters": [{"name": "reference", "in": "path", "required": True,
                            "schema": {"type": "string", "examples": ["DR-7K3M-Q9XA"]}}],
            "responses": {"200": json_response(ref("Revealed"), "revealed, and recorded"),
                          "404": problem_response("no such request, your own request, an "
                                                  "account that no longer exists, or you are "
                                                  "not staff")}}},
        "/access-log": {"get": {
            "summary": "Staff who looked at or acted on your data: when, which role, why",
            "responses": {"200": json_response(ref("AccessLog"), "the log"),
                          "401": problem_response("not logged in")}}},
    }
