"""Shapes of the support queue and a request's detail for staff (support agents and privacy
officers): personal data masked, no archive, no decision. Anyone else gets the 404 of a path
that does not exist."""

from __future__ import annotations

from typing import Any

from ..models import Jurisdiction, RequestStatus, RequestType
from ..text import FREE_TEXT_PATTERN, IDENTIFIER_PATTERN
from .base import TIME, Schema, enum_of, json_response, problem_response, ref

#: rows per page unless the caller asks for another number (at most MAX_LIMIT)
PAGE_SIZE = 25
MAX_LIMIT = 100
#: the status filter's own values besides every request status
OPEN, ALL = "open", "all"
STATUS_FILTERS = (OPEN, ALL, *(s.value for s in RequestStatus))
#: the assignee filter's own values besides a staff member's account id
ME, NOBODY = "me", "none"
#: the longest internal note
NOTE_MAX = 2000

_NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
_NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
_DAYS_LEFT: Schema = {"type": ["integer", "null"],
                      "description": "whole days until the deadline in force; negative: "
                                     "overdue by that many; null once the request is closed"}
_ACCOUNT: Schema = {
    "type": "object", "required": ["id", "email_masked", "erased"],
    "properties": {
        "id": {"type": "string"},
        "email_masked": {"type": "string", "examples": ["a***@example.com", "Erased account"]},
        "name_masked": {"type": "string", "examples": ["A. M."]},
        "erased": {"type": "boolean",
                   "description": "the account was deleted; its requests keep a pseudonym"}}}

COMPONENTS: dict[str, Schema] = {
    "SupportQueueRow": {
        "type": "object",
        "required": ["reference", "type", "status", "jurisdiction", "created_at", "due_at",
                     "days_left", "account", "assignee"],
        "properties": {
            "reference": {"type": "string", "examples": ["DR-7K3M-Q9XA"]},
            "type": enum_of(RequestType), "status": enum_of(RequestStatus),
            "jurisdiction": enum_of(Jurisdiction), "created_at": TIME,
            "due_at": {**TIME, "description": "the deadline in force (extended, if it was)"},
            "days_left": _DAYS_LEFT, "overdue": {"type": "boolean"},
            "account": _ACCOUNT, "assignee": _NULLABLE_TEXT,
            "channel": {"type": "string", "examples": ["console", "api", "email"]}}},
    "SupportQueue": {
        "type": "object", "required": ["requests", "next_cursor"],
        "properties": {
            "requests": {"type": "array", "items": ref("SupportQueueRow")},
            "next_cursor": {"type": ["string", "null"],
                            "description": "pass as cursor for the next page; null: the "
                                           "last page"}}},
    "SupportJob": {
        "type": "object", "required": ["id", "kind", "status", "attempts", "error"],
        "properties": {
            "id": {"type": "string"}, "kind": {"type": "string"},
            "status": {"type": "string"}, "attempts": {"type": "integer"},
            "max_attempts": {"type": "integer"}, "progress": {"type": "integer"},
            "step": {"type": "string"}, "error": _NULLABLE_TEXT, "created_at": TIME,
            "available_at": TIME, "finished_at": _NULLABLE_TIME,
            "reference": {"type": "string"}, "request_type": {"type": "string"},
            "request_status": {"type": "string"}, "retryable": {"type": "boolean"}}},
    "SupportNote": {
        "type": "object", "required": ["at", "author_role", "kind", "text"],
        "properties": {"at": TIME, "author_id": _NULLABLE_TEXT,
                       "author_role": {"type": "string"},
                       "kind": {"type": "string", "enum": ["note", "message"]},
                       "text": {"type": "string"}}},
    "SupportRequest": {
        "type": "object",
        "required": ["reference", "type", "status", "due_at", "extended_due_at", "events",
                     "jobs", "account", "notes", "certificate"],
        "properties": {
            "reference": {"type": "string"}, "type": enum_of(RequestType),
            "status": enum_of(RequestStatus), "jurisdiction": enum_of(Jurisdiction),
            "channel": {"type": "string"}, "created_at": TIME,
            "due_at": {**TIME, "description": "the deadline the law set when it came in"},
            "extended_due_at": _NULLABLE_TIME, "extension_reason": _NULLABLE_TEXT,
            "due": {**TIME, "description": "the deadline in force"},
            "days_left": _DAYS_LEFT, "overdue": {"type": "boolean"},
            "open": {"type": "boolean"}, "progress": {"type": "integer"},
            "step": {"type": "string"}, "reason": _NULLABLE_TEXT,
            "assignee": _NULLABLE_TEXT, "completed_at": _NULLABLE_TIME,
            "decision": _NULLABLE_TEXT, "decision_code": _NULLABLE_TEXT,
            "decided_at": _NULLABLE_TIME,
            "appeal_of": {"type": ["string", "null"],
                          "description": "the reference of the request this appeal appeals"},
            "details": {"type": "object",
                        "description": "what the customer asked: the request's details as "
                                       "they wrote them (description, formats, state; a dpa "
                                       "request's changes)"},
            "account": _ACCOUNT,
            "events": {"type": "array", "items": {"type": "object", "properties": {
                "at": TIME, "status": {"type": "string"}, "note": {"type": "string"}}}},
            "jobs": {"type": "array", "items": ref("SupportJob")},
            "notes": {"type": "array", "items": ref("SupportNote")},
            "certificate": {"type": ["object", "null"],
                            "description": "a completed deletion's signed certificate"},
            "erasure": {"type": ["object", "null"],
                        "description": "a confirmed deletion's steps and progress"},
            "can_retry": {"type": "boolean"}, "can_resend": {"type": "boolean"}}},
    "SupportNoteCreate": {
        "type": "object", "required": ["text"], "additionalProperties": False,
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": NOTE_MAX,
                                "pattern": FREE_TEXT_PATTERN,
                                "description": "an internal note (the customer does not "
                                               "read it); not only spaces"}}},
    "SupportAssign": {
        "type": "object", "required": ["assignee"], "additionalProperties": False,
        "properties": {"assignee": {
            "type": ["string", "null"], "minLength": 1, "maxLength": 64,
            "pattern": IDENTIFIER_PATTERN,
            "description": '"me", a support agent\'s or privacy officer\'s account id, or '
                           "null for nobody"}}},
    "SupportHealth": {
        "type": "object", "required": ["health", "failed_jobs"],
        "properties": {"health": {"type": "object",
                                  "description": "what /health reports: database, redis, "
                                                 "workers, jobs (backlog)"},
                       "failed_jobs": {"type": "array", "items": ref("SupportJob")}}},
}

_HIDDEN = "not staff (the path answers as if it did not exist)"
_REFERENCE = [{"name": "reference", "in": "path", "required": True,
               "schema": {"type": "string", "examples": ["DR-7K3M-Q9XA"]}}]


def _query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _queue_parameters() -> list[dict[str, Any]]:
    return [
        _query("status", {"type": "string", "enum": list(STATUS_FILTERS)},
               "open (default; all with q), all, or one status"),
        _query("type", enum_of(RequestType), "one request type"),
        _query("jurisdiction", enum_of(Jurisdiction), "one law"),
        _query("assignee", {"type": "string", "minLength": 1, "maxLength": 64,
                            "pattern": IDENTIFIER_PATTERN},
               f"me, {NOBODY} (unassigned), or a staff member's account id"),
        _query("overdue", {"type": "string", "enum": ["true", "false"]},
               "true: only requests past the deadline in force"),
        _query("q", {"type": "string", "maxLength": 254},
               "a reference (DR-7K3M-Q9XA: that request, whatever the filters) or an "
               "account's exact e-mail address (its requests)"),
        _query("cursor", {"type": "string", "maxLength": 200},
               "next_cursor of the page before"),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                         "default": PAGE_SIZE}, "rows per page")]


def paths() -> dict[str, Any]:
    session_csrf: list[Schema] = [{"session": [], "csrf": []}]
    hidden = problem_response(_HIDDEN)
    one = json_response(ref("SupportRequest"), "the request, account masked")
    unknown = problem_response("no such request, your own request, or " + _HIDDEN)
    return {
        "/support/requests": {"get": {
            "summary": "The support queue (support and privacy officers): open requests by "
                       "due date, filtered, or a search by reference or exact e-mail; "
                       "accounts masked; keyset pages",
            "parameters": _queue_parameters(),
            "responses": {"200": json_response(ref("SupportQueue"), "a page of the queue"),
                          "404": hidden, "422": problem_response("invalid query")}}},
        "/support/requests/{reference}": {"get": {
            "summary": "One request for staff: status, deadlines, timeline, jobs with their "
                       "attempts and errors, notes, erasure steps, certificate",
            "parameters": _REFERENCE, "responses": {"200": one, "404": unknown}}},
        "/support/requests/{reference}/notes": {"post": {
            "summary": "Add an internal note (recorded in the customer's access log, "
                       "without its text)",
            "security": session_csrf, "parameters": _REFERENCE,
            "responses": {"201": json_response(ref("SupportNote"), "added"),
                          "404": unknown}}},
        "/support/requests/{reference}/assign": {"post": {
            "summary": "Assign an open request to yourself, another staff member, or nobody",
            "security": session_csrf, "parameters": _REFERENCE,
            "responses": {"200": one, "404": unknown,
                          "409": problem_response("the request is closed; nothing changed")}}},
        "/support/requests/{reference}/resend-acknowledgement": {"post": {
            "summary": "E-mail the customer the acknowledgement of an open request again",
            "security": session_csrf, "parameters": _REFERENCE,
            "responses": {"202": json_response(ref("SupportJob"), "the mail job"),
                          "404": unknown,
                          "409": problem_response("closed, erased account, or no mail "
                                                  "server; nothing sent")}}},
        "/support/requests/{reference}/retry": {"post": {
            "summary": "Try a failed export again, or resume a failed erasure",
            "security": session_csrf, "parameters": _REFERENCE,
            "responses": {"202": one, "404": unknown,
                          "409": problem_response("not a failed export or erasure; nothing "
                                                  "changed")}}},
        "/support/health": {"get": {
            "summary": "Worker, Redis and backlog, and the failed jobs of requests (staff)",
            "responses": {"200": json_response(ref("SupportHealth"), "health"),
                          "404": hidden}}},
    }
