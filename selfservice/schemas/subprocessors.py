"""Shapes of the sub-processor list (public), an organisation's subscription to change notices
and its objections (owners and admins), and the privacy officer's view of the objections (staff
paths: anyone else gets the 404 of a path that does not exist, support agents 403)."""

from __future__ import annotations

from typing import Any

from ..models import ObjectionStatus
from ..subprocessors import ACTIONS, CHANGE_ID
from ..text import FREE_TEXT_PATTERN
from .base import TIME, Schema, enum_of, json_response, problem_response, ref

#: the longest objection or resolution note (services.subprocessor_objections.MAX_TEXT)
MAX_TEXT = 2000

_TEXT: Schema = {"type": "string"}
_NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
_DAY: Schema = {"type": "string", "format": "date"}
_ORG: Schema = {"type": "object", "required": ["id", "name"],
                "properties": {"id": _TEXT, "name": _TEXT}}
_NOTE: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT,
                 "pattern": FREE_TEXT_PATTERN}
_ENTRY_OR_NULL: Schema = {"oneOf": [{"type": "null"}, ref("Subprocessor")]}

COMPONENTS: dict[str, Schema] = {
    "Subprocessor": {
        "type": "object",
        "required": ["name", "purpose", "location", "transfer_mechanism", "url",
                     "data_categories"],
        "properties": {"name": _TEXT, "purpose": _TEXT, "location": _TEXT,
                       "transfer_mechanism": _TEXT, "url": _NULLABLE_TEXT,
                       "data_categories": _NULLABLE_TEXT},
    },
    "SubprocessorChange": {
        "type": "object",
        "required": ["id", "action", "name", "announced_at", "effective_at",
                     "objections_until", "notice_days", "short_notice", "description",
                     "short_notice_reason", "before", "after"],
        "properties": {
            "id": {"type": "string", "pattern": f"^{CHANGE_ID.pattern}$"},
            "action": enum_of(ACTIONS),
            "name": _TEXT,
            "announced_at": _DAY,
            "effective_at": {**_DAY, "description": "in force from the start of this day, "
                                                    "UTC"},
            "objections_until": {**TIME, "description": "objections are taken before this "
                                                        "moment (the start of effective_at)"},
            "notice_days": {"type": "integer", "minimum": 1},
            "short_notice": {"type": "boolean",
                             "description": "less notice than the usual notice_days of the "
                                            "list; short_notice_reason says why"},
            "short_notice_reason": _NULLABLE_TEXT,
            "description": {**_TEXT, "description": "why the change is made"},
            "before": {**_ENTRY_OR_NULL, "description": "the entry until the change (null "
                                                        "for an add)"},
            "after": {**_ENTRY_OR_NULL, "description": "the entry from the change on (null "
                                                       "for a remove)"},
        },
    },
    "SubprocessorList": {
        "type": "object",
        "required": ["as_of", "notice_days", "subprocessors", "upcoming"],
        "properties": {
            "as_of": {**_DAY, "description": "the day (UTC) the list is in force"},
            "notice_days": {"type": "integer", "minimum": 1,
                            "description": "the notice a change gives, in days"},
            "subprocessors": {"type": "array", "items": ref("Subprocessor")},
            "upcoming": {"type": "array", "items": ref("SubprocessorChange"),
                         "description": "announced changes not in force yet, the soonest "
                                        "first"},
        },
    },
    "SubprocessorSubscription": {
        "type": "object", "required": ["org", "subscribed", "subscribed_at", "can_change"],
        "properties": {"org": _ORG, "subscribed": {"type": "boolean"},
                       "subscribed_at": {"type": ["string", "null"], "format": "date-time"},
                       "can_change": {"type": "boolean",
                                      "description": "you are an owner or admin of the "
                                                     "organisation"}},
    },
    "SubprocessorSubscriptionChange": {
        "type": "object", "additionalProperties": False, "required": ["subscribed"],
        "properties": {"subscribed": {"type": "boolean",
                                      "description": "true: e-mail the organisation's owners "
                                                     "and admins when a change is announced "
                                                     "(and now, of those already announced)"}},
    },
    "SubprocessorObjection": {
        "type": "object",
        "required": ["id", "change_id", "org", "reason", "created_at", "status",
                     "resolved_at", "resolution"],
        "properties": {"id": _TEXT, "change_id": _TEXT, "org": _ORG, "reason": _TEXT,
                       "created_at": TIME, "status": enum_of(ObjectionStatus),
                       "resolved_at": {"type": ["string", "null"], "format": "date-time"},
                       "resolution": _NULLABLE_TEXT},
    },
    "SubprocessorObjectionCreate": {
        "type": "object", "additionalProperties": False, "required": ["reason"],
        "properties": {"reason": {**_NOTE, "description": "why the organisation objects, in "
                                                         "plain text"}},
    },
    "SubprocessorObjectionResolve": {
        "type": "object", "additionalProperties": False, "required": ["note"],
        "properties": {"note": {**_NOTE, "description": "what was decided, for the record"}},
    },
    "SubprocessorObjectionsByChange": {
        "type": "object", "required": ["changes"],
        "properties": {"changes": {"type": "array", "items": {
            "type": "object", "required": ["change_id", "change", "objections"],
            "properties": {
                "change_id": _TEXT,
                "change": {"oneOf": [{"type": "null"}, ref("SubprocessorChange")],
                           "description": "null: no longer in the configuration"},
                "objections": {"type": "array", "items": {
                    "allOf": [ref("SubprocessorObjection")],
                    "type": "object", "required": ["account_id", "objector"],
                    "properties": {
                        "account_id": _TEXT,
                        "objector": {"oneOf": [{"type": "null"}, {
                            "type": "object", "required": ["name", "email"],
                            "properties": {"name": _TEXT, "email": _TEXT}}],
                            "description": "who objected, to reply to (null: the account "
                                           "no longer exists)"}}}}}}}},
    },
}


def paths() -> dict[str, Any]:
    public: list[Schema] = [{}]
    csrf: list[Schema] = [{"session": [], "csrf": []}]
    not_logged_in = problem_response("not logged in")
    no_org = problem_response("you are not a member of an organisation")
    member = problem_response("a member: only the organisation's owner or admins can do this")
    subscription = json_response(ref("SubprocessorSubscription"), "the subscription")
    objection = json_response(ref("SubprocessorObjection"), "the organisation's objection")
    change_id = [{"name": "change_id", "in": "path", "required": True,
                  "schema": {"type": "string"}}]
    hidden = problem_response("not a privacy officer (the path answers as if it did not "
                              "exist)")
    officer = problem_response("a support agent: only a privacy officer can do this")
    return {
        "/subprocessors": {"get": {
            "summary": "The sub-processors in force today and the changes announced, each with "
                       "the moment objections close",
            "security": public,
            "responses": {"200": json_response(ref("SubprocessorList"), "the list")}}},
        "/dpa/subprocessor-subscription": {
            "get": {"summary": "Whether your organisation gets an e-mail when a sub-processor "
                               "change is announced (any member)",
                    "responses": {"200": subscription, "401": not_logged_in, "404": no_org}},
            "put": {"summary": "Subscribe your organisation to sub-processor change notices, "
                               "or unsubscribe it (owners and admins)",
                    "security": csrf,
                    "responses": {"200": subscription, "401": not_logged_in, "403": member,
                                  "404": no_org}}},
        "/dpa/subprocessor-changes/{change_id}/objection": {
            "get": {"summary": "Your organisation's objection to an announced change (owners "
                               "and admins)",
                    "parameters": change_id,
                    "responses": {"200": objection, "401": not_logged_in, "403": member,
                                  "404": problem_response("no such change, no objection "
                                                          "yet, or no organisation")}},
            "post": {"summary": "Object to an announced sub-processor change, before it takes "
                                "effect (owners and admins; one objection per organisation "
                                "and change)",
                     "security": csrf, "parameters": change_id,
                     "responses": {"201": objection, "401": not_logged_in, "403": member,
                                   "404": problem_response("no such change, or no "
                                                           "organisation"),
                                   "409": problem_response("the organisation objected "
                                                           "already; nothing changed"),
                                   "422": problem_response("invalid reason, or the change "
                                                           "has taken effect (objections are "
                                                           "closed); nothing recorded")}}},
        "/support/subprocessor-objections": {"get": {
            "summary": "Objections to sub-processor changes, by change (privacy officers)",
            "responses": {"200": json_response(ref("SubprocessorObjectionsByChange"),
                                               "the objections"),
                          "403": officer, "404": hidden}}},
        "/support/subprocessor-objections/{objection_id}/resolve": {"post": {
            "summary": "Close an objection with a note (privacy officers)",
            "security": csrf,
            "parameters": [{"name": "objection_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": json_response(ref("SubprocessorObjection"), "resolved"),
                          "403": officer,
                          "404": problem_response("no such objection, or not a privacy "
                                                  "officer"),
                          "409": problem_response("already resolved; nothing changed")}}},
    }
