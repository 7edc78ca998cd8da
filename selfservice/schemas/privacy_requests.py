"""Shapes of privacy requests: asking for a right, and a request with its timeline."""

from __future__ import annotations

from typing import Any

from ..models import Jurisdiction, RequestStatus, RequestType
from ..services.request_details import (
    CHANGES_MAX,
    DESCRIPTION_MAX,
    DESCRIPTION_TOTAL_MAX,
    DPA_ANSWER_DAYS,
)
from ..sources import EXPORT_FORMATS
from ..text import CLIENT_KEY_PATTERN, FILLED_TEXT_PATTERN, FREE_TEXT_PATTERN
from ..us_states import US_STATES
from .base import (
    TIME,
    Schema,
    enum_of,
    json_response,
    problem_response,
    ref,
    too_many_response,
)

COMPONENTS: dict[str, Schema] = {
    "PrivacyRequest": {
        "type": "object",
        "required": ["id", "reference", "type", "status", "progress", "created_at", "due_at",
                     "download"],
        "properties": {
            "id": {"type": "string"},
            "reference": {"type": "string", "examples": ["DR-7K3M-Q9XA"]},
            "type": enum_of(RequestType),
            "status": enum_of(RequestStatus),
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "step": {"type": "string"}, "jurisdiction": enum_of(Jurisdiction),
            "details": {"type": "object"}, "created_at": TIME, "due_at": TIME,
            "updated_at": TIME, "reason": {"type": ["string", "null"]},
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "object", "properties": {
                "at": TIME, "status": {"type": "string"}, "note": {"type": "string"}}}},
            "download": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                "url": {"type": "string"}, "expires_at": TIME, "expired": {"type": "boolean"},
                "bytes": {"type": "integer"}, "sha256": {"type": "string"},
                "records": {"type": ["integer", "null"]},
                "downloads": {"type": "integer"}}}]}}},
    "PrivacyRequestCreate": {
        "type": "object", "required": ["type"], "additionalProperties": False,
        "properties": {"type": enum_of(RequestType),
                       "jurisdiction": enum_of(Jurisdiction),
                       "details": {"type": "object"}},
        # the details an export takes, those of a dpa request, and those of every other type
        "if": {"required": ["type"], "properties": {"type": {"const": RequestType.EXPORT.value}}},
        "then": {"properties": {"details": ref("ExportDetails")}},
        "else": {
            "if": {"required": ["type"], "properties": {"type": {"const": RequestType.DPA.value}}},
            "then": {"required": ["details"], "properties": {"details": ref("DpaChanges")}},
            "else": {"properties": {"details": ref("RequestDescription")}}}},
    "DpaChanges": {
        "type": "object", "additionalProperties": False, "required": ["changes"],
        "description": "a dpa request (an organisation's owner or admin asks for changes to "
                       "the DPA instead of signing it): answered within "
                       f"{DPA_ANSWER_DAYS} days, our promise (a contract negotiation has no "
                       "deadline set by privacy law). The request's details then also name "
                       "the organisation (organisation: its name when asked)",
        "properties": {"changes": {
            "type": "string", "minLength": 1, "maxLength": CHANGES_MAX,
            "pattern": FILLED_TEXT_PATTERN,
            "description": "what you would like changed in the DPA, in your words: line "
                           "breaks and tabs are fine, other control characters are not"}}},
    "ExportDetails": {
        "type": "object", "additionalProperties": False,
        "properties": {"formats": {"type": "array", "items": enum_of(EXPORT_FORMATS),
                                   "contains": {"const": "jsonl"},
                                   "description": 'jsonl always; ["jsonl", "csv"] adds CSV '
                                                  "files for flat sources"}}},
    "RequestDescription": {
        "type": "object", "additionalProperties": False,
        "properties": {"description": {
            "type": "string", "maxLength": DESCRIPTION_MAX, "pattern": FREE_TEXT_PATTERN,
            "description": "what the request is about, in your words: line breaks and tabs "
                           "are fine, other control characters are not"},
            "state": {**enum_of(US_STATES),
                      "description": "under a US state's law (us_state): which state, by "
                                     "its two-letter code; an appeal in Colorado is answered "
                                     "within 60 days, elsewhere within 45"}}},
    "RequestAddition": {
        "type": "object", "required": ["text"], "additionalProperties": False,
        "description": "more details for an open request of a type with a description (not "
                       "an export, a deletion or a dpa request): appended to its "
                       "description after a line with the time (UTC), which grows to at most "
                       f"{DESCRIPTION_TOTAL_MAX:,} characters",
        "properties": {"text": {
            "type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX,
            "pattern": FILLED_TEXT_PATTERN,
            "description": "what to add, in your words: line breaks and tabs are fine, other "
                           "control characters are not"}}},
    "PrivacyRequestList": {
        "type": "object",
        "properties": {"requests": {"type": "array", "items": ref("PrivacyRequest")},
                       "next_export_at": {"type": ["string", "null"]}}},
}


def paths() -> dict[str, Any]:
    session_csrf: list[Schema] = [{"session": [], "csrf": []}]
    not_logged_in = problem_response("not logged in")
    params = [{"name": "request_id", "in": "path", "required": True,
               "schema": {"type": "string"}}]
    one = {"200": json_response(ref("PrivacyRequest"), "the request"), "401": not_logged_in,
           "404": problem_response("no such request, or not yours")}
    return {
        "/requests": {
            "post": {"summary": "Ask for an export, deletion or another right; exports and "
                                "deletion need a fresh login. An Idempotency-Key header makes "
                                "a retried call return the first request. An organisation's "
                                "owner or admin asks for changes to the DPA with type dpa "
                                "(one open dpa request per organisation)",
                     "security": session_csrf,
                     "parameters": [{"name": "Idempotency-Key", "in": "header",
                                     "required": False,
                                     "schema": {"type": "string", "minLength": 1,
                                                "maxLength": 80,
                                                "pattern": CLIENT_KEY_PATTERN,
                                                "description": "visible ASCII characters "
                                                               "(letters, digits, punctuation; "
                                                               "no spaces)"}}],
                     "responses": {"202": json_response(ref("PrivacyRequest"), "received"),
                                   "401": problem_response("not logged in, or "
                                                           "reauth-required"),
                                   "403": problem_response(
                                       "CSRF token missing or invalid; or type dpa from a "
                                       "member of an organisation (owners and admins only)"),
                                   "404": problem_response("type dpa from an account in no "
                                                           "organisation"),
                                   "409": problem_response("an open request of that type "
                                                           "exists (member request; for "
                                                           "type dpa, the organisation's)"),
                                   "422": problem_response("invalid input"),
                                   "429": too_many_response(
                                       "too many requests from this account "
                                       "(SELFSERVICE_RATE_LIMIT_REQUESTS), or one export per "
                                       "interval")}},
            "get": {"summary": "Your requests",
                    "responses": {"200": json_response(ref("PrivacyRequestList"), "requests"),
                                  "401": not_logged_in}}},
        "/requests/{request_id}": {"get": {"summary": "One request, with its timeline",
                                           "parameters": params, "responses": one}},
        "/requests/{request_id}/cancel": {"post": {
            "summary": "Cancel an open request; a deletion can be canceled during its grace "
                       "period (the account is restored), not once erasure has begun",
            "security": session_csrf, "parameters": params,
            "responses": {**one, "409": problem_response("erasure has begun: the deletion "
                                                         "can no longer be canceled")}}},
        "/requests/{request_id}/details": {"post": {
            "summary": "Add to an open request of yours, instead of asking again: the text is "
                       "appended to its description, and its timeline says so",
            "security": session_csrf, "parameters": params,
            "responses": {**one, "409": problem_response(
                "the request is closed, or of a type that takes no description (an export, "
                "a deletion, a dpa request); nothing was changed")}}},
        "/requests/{request_id}/retry": {"post": {
            "summary": "Try a failed export again at once (only a failed export)",
            "security": session_csrf, "parameters": params,
            "responses": {"202": json_response(ref("PrivacyRequest"), "retrying"),
                          "401": not_logged_in, "404": one["404"],
                          "409": problem_response("not a failed export, or already being "
                                                  "tried again; nothing was changed")}}},
    }
