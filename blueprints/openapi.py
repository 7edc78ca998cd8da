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


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_TIME = {"type": "string", "format": "date-time"}
_ACTOR = {"type": "object", "properties": {"type": {"enum": ["account", "service", "system"]},
                                           "id": {"type": ["string", "null"]}}}
_ORG_POLICY = {"enum": ["members_choose", "opted_out", "opted_in"]}

CONSENT_SCHEMAS: dict[str, Any] = {
    "Preferences": {
        "type": "object",
        "required": ["training_opt_in", "training_locked_by_org", "marketing_emails",
                     "limit_sensitive_data", "do_not_sell_or_share", "updated_at"],
        "properties": {
            "training_opt_in": {"type": "boolean", "description": "in force now (off unless "
                                "the account, or its organisation's policy, opted in)"},
            "training_locked_by_org": {"type": "boolean"},
            "marketing_emails": {"type": "boolean"},
            "limit_sensitive_data": {"type": "boolean"},
            "do_not_sell_or_share": {"type": "boolean"},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
            "org_policy": {"oneOf": [{"type": "null"}, _ref("OrgTrainingPolicy")]},
            "gpc_honoured_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "PreferencesChange": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "training_opt_in": {"type": "boolean"},
            "marketing_emails": {"type": "boolean"},
            "limit_sensitive_data": {"type": "boolean"},
            "do_not_sell_or_share": {"type": "boolean"},
            "policy_version": {"type": "string",
                               "description": "if given, must be the version in force"},
        },
    },
    "ConsentEvent": {
        "type": "object",
        "required": ["id", "purpose", "granted", "method", "policy_version", "at", "actor",
                     "hash", "prev_hash"],
        "properties": {
            "id": {"type": "string"}, "seq": {"type": "integer"},
            "purpose": {"enum": ["training", "marketing_emails", "limit_sensitive_data",
                                 "do_not_sell_or_share"]},
            "granted": {"type": "boolean", "description": "the preference's new value"},
            "method": {"enum": ["console", "api", "gpc", "org_policy", "written_agreement"]},
            "policy_version": {"type": "string"}, "at": _TIME, "actor": _ACTOR,
            "details": {"type": "object"},
            "hash": {"type": "string"}, "prev_hash": {"type": "string"},
            "receipt_url": {"type": "string"},
        },
    },
    "OrgTrainingPolicy": {
        "type": "object", "required": ["policy", "set_by", "set_at"],
        "properties": {"policy": _ORG_POLICY, "set_by": {"type": ["string", "null"]},
                       "set_at": {"type": ["string", "null"], "format": "date-time"},
                       "org_id": {"type": "string"}},
    },
    "EligibilityQuestion": {
        "type": "object", "required": ["account_ids"], "additionalProperties": False,
        "properties": {"account_ids": {"type": "array", "maxItems": 10000,
                                       "items": {"type": "string", "minLength": 1,
                                                 "maxLength": 64}},
                       "as_of": {"type": ["string", "null"], "format": "date-time",
                                 "description": "with an offset, not in the future; "
                                                "null: now"}},
    },
    "ConsentReceipt": {
        "type": "object", "required": ["receipt", "jws", "kid"],
        "properties": {"receipt": {"type": "object", "description": "Kantara Consent "
                                   "Receipt v1.1 fields, plus ledger (the event and its "
                                   "hash chain position)"},
                       "jws": {"type": "string", "description": "compact JWS (EdDSA) whose "
                               "payload is the receipt"},
                       "kid": {"type": "string"}},
    },
}


def consent_paths() -> dict[str, Any]:
    session_csrf = [{"session": [], "csrf": []}]
    not_logged_in = _problem_response("not logged in")
    return {
        "/preferences": {
            "get": {"summary": "Your privacy preferences",
                    "responses": {"200": _json(_ref("Preferences"), "preferences"),
                                  "401": not_logged_in}},
            "patch": {"summary": "Change any of the four preferences; each change is a "
                                 "consent event (method api) under the policy version in "
                                 "force",
                      "security": session_csrf,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": _ref("PreferencesChange")}}},
                      "responses": {"200": _json(_ref("Preferences"), "preferences"),
                                    "401": not_logged_in,
                                    "403": _problem_response("CSRF token missing, or "
                                                             "training locked by the "
                                                             "organisation (org-policy-locked)"),
                                    "422": _problem_response("invalid input; nothing "
                                                             "changed")}}},
        "/consent-events": {"get": {
            "summary": "Your consent ledger and whether its hash chain verifies",
            "parameters": [{"name": "purpose", "in": "query", "required": False,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object", "properties": {
                "events": {"type": "array", "items": _ref("ConsentEvent")},
                "chain_valid": {"type": "boolean"}, "chain": {"type": "object"}}}, "events"),
                "401": not_logged_in, "422": _problem_response("unknown purpose")}}},
        "/consent-events/{event_id}/receipt": {"get": {
            "summary": "Signed consent receipt of one of your events (a download)",
            "parameters": [{"name": "event_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("ConsentReceipt"), "the receipt"),
                          "401": not_logged_in,
                          "404": _problem_response("no such event, or not yours")}}},
        "/consent-receipts/jwks.json": {"get": {
            "summary": "The public keys that verify consent receipts (JWK Set)",
            "security": [{}],
            "responses": {"200": _json({"type": "object"}, "JWK Set")}}},
        "/org/training-policy": {
            "get": {"summary": "Your organisation's training policy (any member)",
                    "responses": {"200": _json(_ref("OrgTrainingPolicy"), "policy"),
                                  "401": not_logged_in,
                                  "404": _problem_response("not in an organisation")}},
            "put": {"summary": "Set the organisation's training policy (owner or admin)",
                    "security": session_csrf,
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "required": ["policy"],
                                   "additionalProperties": False,
                                   "properties": {"policy": _ORG_POLICY,
                                                  "policy_version": {"type": "string"}}}}}},
                    "responses": {"200": _json(_ref("OrgTrainingPolicy"), "policy"),
                                  "401": not_logged_in,
                                  "403": _problem_response("not an owner or admin"),
                                  "404": _problem_response("not in an organisation"),
                                  "422": _problem_response("invalid input")}}},
        "/training-eligibility": {"post": {
            "summary": "May these accounts' content be used for training as of a time? "
                       "(training pipeline; unknown ids are false)",
            "security": [{"serviceToken": []}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("EligibilityQuestion")}}},
            "responses": {
                "200": _json({"type": "object", "properties": {
                    "as_of": _TIME, "eligible": {"type": "object", "additionalProperties":
                                                 {"type": "boolean"}}}}, "answers"),
                "401": _problem_response("missing or wrong service token"),
                "422": _problem_response("invalid input")}}},
    }


_CATEGORIES = {"type": "object", "additionalProperties": False,
               "properties": {c: {"type": "boolean"} for c in
                              ("necessary", "functional", "analytics", "marketing")}}
_COOKIE_STATE = {"type": "object", "required": ["policy_version", "decided", "gpc",
                                                "categories"],
                 "properties": {"policy_version": {"type": "string"},
                                "decided": {"type": "boolean"}, "gpc": {"type": "boolean"},
                                "categories": _CATEGORIES,
                                "consent_id": {"type": ["string", "null"]},
                                "reask": {"type": "array", "items": {"type": "string"}},
                                "changes": {"type": "object"}}}


def cookie_paths() -> dict[str, Any]:
    public = [{}]
    return {
        "/cookie-policy": {"get": {
            "summary": "The cookie policy, generated from the cookie registry", "security": public,
            "responses": {"200": _json({"type": "object", "properties": {
                "version": {"type": "string"}, "categories": {"type": "object"}}},
                "policy")}}},
        "/cookie-consent": {
            "get": {"summary": "This browser's cookie decision and what it allows now",
                    "security": public,
                    "responses": {"200": _json(_COOKIE_STATE, "decision")}},
            "put": {"summary": "Record a cookie decision (anonymous visitors too; the CSRF "
                               "header is always required); sets the consent cookie",
                    "security": [{"csrf": []}, {"session": [], "csrf": []}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "required": ["policy_version",
                                                                  "categories"],
                                   "additionalProperties": False,
                                   "properties": {
                                       "policy_version": {"type": "string"},
                                       "categories": _CATEGORIES,
                                       "confirm_gpc_override": {"type": "boolean"},
                                       "method": {"enum": ["banner", "settings", "api"]},
                                       "language": {"type": "string"},
                                       "gpc": {"type": "boolean", "description":
                                               "navigator.globalPrivacyControl"}}}}}},
                    "responses": {"200": _json(_COOKIE_STATE, "decision recorded"),
                                  "403": _problem_response("CSRF token missing or invalid"),
                                  "409": _problem_response("marketing chosen under Global "
                                                           "Privacy Control: confirm with "
                                                           "confirm_gpc_override"),
                                  "422": _problem_response("invalid input, or a stale "
                                                           "policy_version")}}},
        "/cookie-consent/receipt": {"get": {
            "summary": "Signed receipt of this browser's latest cookie decision",
            "security": public,
            "responses": {"200": _json(_ref("ConsentReceipt"), "the receipt"),
                          "404": _problem_response("no decision recorded")}}},
    }


_REQUEST = {"type": "object", "required": ["id", "reference", "type", "status", "progress",
                                           "created_at", "due_at", "download"],
            "properties": {
                "id": {"type": "string"}, "reference": {"type": "string",
                                                        "examples": ["DR-7K3M-Q9XA"]},
                "type": {"enum": ["export", "deletion", "correction", "restriction",
                                  "objection", "automated_decision_review",
                                  "limit_sensitive_data", "appeal"]},
                "status": {"enum": ["received", "verified", "in_progress", "scheduled",
                                    "completed", "denied", "canceled", "failed"]},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "step": {"type": "string"}, "jurisdiction": {"type": "string"},
                "details": {"type": "object"}, "created_at": _TIME, "due_at": _TIME,
                "reason": {"type": ["string", "null"]},
                "events": {"type": "array", "items": {"type": "object", "properties": {
                    "at": _TIME, "status": {"type": "string"}, "note": {"type": "string"}}}},
                "download": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                    "url": {"type": "string"}, "expires_at": _TIME,
                    "bytes": {"type": "integer"}, "sha256": {"type": "string"},
                    "downloads": {"type": "integer"}}}]}}}


def request_paths() -> dict[str, Any]:
    session_csrf = [{"session": [], "csrf": []}]
    not_logged_in = _problem_response("not logged in")
    params = [{"name": "request_id", "in": "path", "required": True,
               "schema": {"type": "string"}}]
    one = {"200": _json(_REQUEST, "the request"), "401": not_logged_in,
           "404": _problem_response("no such request, or not yours")}
    return {
        "/requests": {
            "post": {"summary": "Ask for an export, deletion or another right; exports and "
                                "deletion need a fresh login. An Idempotency-Key header makes "
                                "a retried call return the first request",
                     "security": session_csrf,
                     "parameters": [{"name": "Idempotency-Key", "in": "header",
                                     "required": False, "schema": {"type": "string"}}],
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"type": "object", "required": ["type"],
                                    "additionalProperties": False, "properties": {
                                        "type": _REQUEST["properties"]["type"],
                                        "jurisdiction": {"enum": ["gdpr", "uk_gdpr", "ccpa",
                                                                  "us_state"]},
                                        "details": {"type": "object"}}}}}},
                     "responses": {"202": _json(_REQUEST, "received"),
                                   "401": _problem_response("not logged in, or "
                                                            "reauth-required"),
                                   "409": _problem_response("an open request of that type "
                                                            "exists (member request)"),
                                   "422": _problem_response("invalid input"),
                                   "429": _problem_response("one export per interval; "
                                                            "Retry-After")}},
            "get": {"summary": "Your requests",
                    "responses": {"200": _json({"type": "object", "properties": {
                        "requests": {"type": "array", "items": _REQUEST},
                        "next_export_at": {"type": ["string", "null"]}}}, "requests"),
                        "401": not_logged_in}}},
        "/requests/{request_id}": {"get": {"summary": "One request, with its timeline",
                                           "parameters": params, "responses": one}},
        "/requests/{request_id}/cancel": {"post": {
            "summary": "Cancel an open request", "security": session_csrf,
            "parameters": params, "responses": one}},
        "/requests/{request_id}/retry": {"post": {
            "summary": "Try a failed export again at once", "security": session_csrf,
            "parameters": params, "responses": {**one, "202": _json(_REQUEST, "retrying")}}},
    }


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
                        "errors": {"type": "array", "description": "with status 422: one "
                                   "entry per bad field",
                                   "items": {"type": "object", "required": ["field", "message"],
                                             "properties": {"field": {"type": "string"},
                                                            "message": {"type": "string"}}}},
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
                **CONSENT_SCHEMAS,
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
            **consent_paths(),
            **cookie_paths(),
            **request_paths(),
            "/openapi.json": {"get": {"summary": "This document", "security": [{}],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }
