"""Shapes of legal holds and of the retention plan (privacy officers only: anyone else gets
404, as if the paths did not exist)."""

from __future__ import annotations

from typing import Any

from ..text import FREE_TEXT_PATTERN, IDENTIFIER_PATTERN
from .base import OPTIONAL_TIME, TIME, Schema, json_response, problem_response, ref

#: the longest reason (the column's size; services.legal_holds.MAX_REASON)
MAX_REASON = 500

_REASON: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_REASON,
                   "pattern": FREE_TEXT_PATTERN}
_ACCOUNT_ID: Schema = {"type": "string", "minLength": 1, "maxLength": 64,
                       "pattern": IDENTIFIER_PATTERN}

COMPONENTS: dict[str, Schema] = {
    "LegalHold": {
        "type": "object",
        "required": ["id", "account_id", "sources", "reason", "placed_at", "review_at",
                     "active", "released_at"],
        "properties": {
            "id": {"type": "string"},
            "account_id": {"type": "string"},
            "sources": {"type": ["array", "null"], "items": {"type": "string"},
                        "description": "the sources it covers; null: every source"},
            "reason": {"type": "string"},
            "placed_by": {"type": ["string", "null"]},
            "placed_at": TIME,
            "review_at": TIME,
            "active": {"type": "boolean"},
            "released_at": OPTIONAL_TIME,
            "released_by": {"type": ["string", "null"]},
            "release_reason": {"type": ["string", "null"]},
        },
    },
    "LegalHoldList": {
        "type": "object", "required": ["holds"],
        "properties": {"holds": {"type": "array", "items": ref("LegalHold")}},
    },
    "LegalHoldCreate": {
        "type": "object", "additionalProperties": False,
        "required": ["account_id", "reason", "review_at"],
        "properties": {
            "account_id": {**_ACCOUNT_ID, "description": "the account whose data is kept"},
            "reason": {**_REASON, "description": "why the data must be kept (a case, a "
                                                 "regulator's request), in plain text"},
            "review_at": {"type": "string", "format": "date-time",
                          "description": "when a privacy officer must look at the hold "
                                         "again: a future time with its UTC offset"},
            "sources": {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": True,
                        "items": {"type": "string", "minLength": 1, "maxLength": 64},
                        "description": "only these registered sources; left out: every "
                                       "source of the account"},
        },
    },
    "LegalHoldRelease": {
        "type": "object", "additionalProperties": False, "required": ["reason"],
        "properties": {"reason": {**_REASON, "description": "why the hold ends"}},
    },
    "RetentionPlan": {
        "type": "object", "required": ["generated_at", "rules"],
        "properties": {
            "generated_at": TIME,
            "rules": {"type": "array", "items": {
                "type": "object",
                "required": ["source", "rule", "days", "description", "cutoff", "due",
                             "held_accounts"],
                "properties": {
                    "source": {"type": "string"}, "rule": {"type": "string"},
                    "days": {"type": "integer", "minimum": 1},
                    "description": {"type": "string"}, "cutoff": TIME,
                    "due": {"type": "integer", "minimum": 0,
                            "description": "records the next sweep would delete now"},
                    "held_accounts": {"type": "integer", "minimum": 0,
                                      "description": "accounts a legal hold spares"}}}},
        },
    },
}


def paths() -> dict[str, Any]:
    officer_csrf: list[Schema] = [{"session": [], "csrf": []}]
    hidden = problem_response("not signed in as a privacy officer (the path answers as if "
                              "it did not exist)")
    hold_id = [{"name": "hold_id", "in": "path", "required": True,
                "schema": {"type": "string"}}]
    return {
        "/legal-holds": {
            "get": {"summary": "Legal holds in force, or all of them (privacy officers)",
                    "parameters": [
                        {"name": "account_id", "in": "query", "required": False,
                         "schema": _ACCOUNT_ID},
                        {"name": "status", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": ["active", "all"],
                                    "default": "active"}}],
                    "responses": {"200": json_response(ref("LegalHoldList"), "holds"),
                                  "404": hidden,
                                  "422": problem_response("invalid query")}},
            "post": {"summary": "Place a legal hold on an account: its data is kept from "
                                "retention sweeps and erasure until released (privacy "
                                "officers)",
                     "security": officer_csrf,
                     "responses": {"201": json_response(ref("LegalHold"), "placed"),
                                   "404": hidden,
                                   "422": problem_response("invalid input (also: no such "
                                                           "account, unknown source, a "
                                                           "review time not in the future); "
                                                           "nothing changed")}}},
        "/legal-holds/{hold_id}/release": {"post": {
            "summary": "Release a legal hold (privacy officers)",
            "security": officer_csrf, "parameters": hold_id,
            "responses": {"200": json_response(ref("LegalHold"), "released"),
                          "404": problem_response("no such hold, or not signed in as a "
                                                  "privacy officer"),
                          "409": problem_response("already released; nothing changed"),
                          "422": problem_response("invalid input; nothing changed")}}},
        "/retention/plan": {"get": {
            "summary": "What the next retention sweep would delete now, rule by rule "
                       "(privacy officers; nothing is deleted)",
            "responses": {"200": json_response(ref("RetentionPlan"), "the plan"),
                          "404": hidden}}},
    }
