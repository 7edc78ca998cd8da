"""Shapes of sign-in sessions: signing out of the other ones."""

from __future__ import annotations

from typing import Any

from .base import Schema, json_response, problem_response, ref

COMPONENTS: dict[str, Schema] = {
    "OtherSessionsEnded": {
        "type": "object",
        "required": ["ended"],
        "properties": {"ended": {"type": "integer", "minimum": 0,
                                 "description": "how many other sessions were signed out"}},
    },
}


def paths() -> dict[str, Any]:
    return {
        "/sessions/revoke-others": {"post": {
            "summary": "Sign out of every other session of your account (other browsers and "
                       "devices); this one stays signed in",
            "security": [{"session": [], "csrf": []}],
            "responses": {"200": json_response(ref("OtherSessionsEnded"), "signed out"),
                          "401": problem_response("not logged in"),
                          "403": problem_response("CSRF token missing or wrong")}}},
    }
