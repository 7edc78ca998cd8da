"""Shapes of preferences, the consent ledger, receipts, organisation policy and the training
pipeline's eligibility question."""

from __future__ import annotations

from typing import Any

from ..models import ConsentMethod, OrgPolicy, Purpose
from ..text import IDENTIFIER_PATTERN
from .base import (
    OPTIONAL_TIME,
    TIME,
    Accepted,
    Schema,
    enum_of,
    json_response,
    problem_response,
    ref,
    with_properties,
)

_ACTOR: Schema = {"type": "object",
                  "properties": {"type": {"enum": ["account", "service", "system"]},
                                 "id": {"type": ["string", "null"]}}}
_BOOLEAN: Schema = {"type": "boolean"}

COMPONENTS: dict[str, Schema] = {
    "Preferences": {
        "type": "object",
        "required": ["training_opt_in", "training_locked_by_org", "marketing_emails",
                     "limit_sensitive_data", "do_not_sell_or_share", "updated_at"],
        "properties": {
            "training_opt_in": {"type": "boolean", "description": "in force now (off unless "
                                "the account, or its organisation's policy, opted in)"},
            "training_locked_by_org": _BOOLEAN,
            "marketing_emails": _BOOLEAN,
            "limit_sensitive_data": _BOOLEAN,
            "do_not_sell_or_share": _BOOLEAN,
            "updated_at": OPTIONAL_TIME,
            "org_policy": {"oneOf": [{"type": "null"}, ref("OrgTrainingPolicy")]},
            "gpc_honoured_at": OPTIONAL_TIME,
        },
    },
    "PreferencesChange": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "training_opt_in": _BOOLEAN,
            "marketing_emails": _BOOLEAN,
            "limit_sensitive_data": _BOOLEAN,
            "do_not_sell_or_share": _BOOLEAN,
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
            "purpose": enum_of(Purpose),
            "granted": {"type": "boolean", "description": "the preference's new value"},
            "method": enum_of(ConsentMethod),
            "policy_version": {"type": "string"}, "at": TIME, "actor": _ACTOR,
            "details": {"type": "object"},
            "hash": {"type": "string"}, "prev_hash": {"type": "string"},
            "receipt_url": {"type": "string"},
        },
    },
    "OrgTrainingPolicy": {
        "type": "object", "required": ["policy", "set_by", "set_at"],
        "properties": {"policy": enum_of(OrgPolicy), "set_by": {"type": ["string", "null"]},
                       "set_at": OPTIONAL_TIME, "org_id": {"type": "string"}},
    },
    "OrgTrainingPolicyChange": {
        "type": "object", "required": ["policy"], "additionalProperties": False,
        "properties": {"policy": enum_of(OrgPolicy), "policy_version": {"type": "string"}},
    },
    "EligibilityQuestion": {
        "type": "object", "required": ["account_ids"], "additionalProperties": False,
        "properties": {"account_ids": {"type": "array",
                                       "description": "at most SELFSERVICE_ELIGIBILITY_MAX_IDS "
                                                      "(10,000 unless configured)",
                                       "items": {"type": "string", "minLength": 1,
                                                 "maxLength": 64,
                                                 "pattern": IDENTIFIER_PATTERN,
                                                 "description": "1 to 64 characters, none of "
                                                                "them a control character"}},
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


def configured(accepted: Accepted) -> dict[str, Schema]:
    """The shapes whose accepted values are the application's settings: the policy version in
    force, the most ids of an eligibility question."""
    version: Schema = {"type": "string", "const": accepted.policy_version,
                       "description": "the privacy policy version in force"}
    question = COMPONENTS["EligibilityQuestion"]
    ids = {**question["properties"]["account_ids"], "maxItems": accepted.max_ids}
    return {
        "PreferencesChange": with_properties(COMPONENTS["PreferencesChange"],
                                             policy_version=version),
        "OrgTrainingPolicyChange": with_properties(COMPONENTS["OrgTrainingPolicyChange"],
                                                   policy_version=version),
        "EligibilityQuestion": with_properties(question, account_ids=ids),
    }


def paths() -> dict[str, Any]:
    session_csrf: list[Schema] = [{"session": [], "csrf": []}]
    not_logged_in = problem_response("not logged in")
    return {
        "/preferences": {
            "get": {"summary": "Your privacy preferences",
                    "responses": {"200": json_response(ref("Preferences"), "preferences"),
                                  "401": not_logged_in}},
            "patch": {"summary": "Change any of the four preferences; each change is a "
                                 "consent event (method api) under the policy version in "
                                 "force",
                      "security": session_csrf,
                      "responses": {"200": json_response(ref("Preferences"), "preferences"),
                                    "401": not_logged_in,
                                    "403": problem_response("CSRF token missing, or "
                                                            "training locked by the "
                                                            "organisation (org-policy-locked)"),
                                    "422": problem_response("invalid input; nothing "
                                                            "changed")}}},
        "/consent-events": {"get": {
            "summary": "Your consent ledger and whether its hash chain verifies",
            "parameters": [{"name": "purpose", "in": "query", "required": False,
                            "schema": {"type": "string", **enum_of(Purpose)}}],
            "responses": {"200": json_response({"type": "object", "properties": {
                "events": {"type": "array", "items": ref("ConsentEvent")},
                "chain_valid": {"type": "boolean"}, "chain": {"type": "object"}}}, "events"),
                "401": not_logged_in, "422": problem_response("unknown purpose")}}},
        "/consent-events/{event_id}/receipt": {"get": {
            "summary": "Signed consent receipt of one of your events (a download)",
            "parameters": [{"name": "event_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": json_response(ref("ConsentReceipt"), "the receipt"),
                          "401": not_logged_in,
                          "404": problem_response("no such event, or not yours"),
                          "409": problem_response("the ledger failed its integrity check "
                                                  "(ledger-invalid): nothing is signed")}}},
        "/consent-receipts/jwks.json": {"get": {
            "summary": "The public keys that verify consent receipts (JWK Set)",
            "security": [{}],
            "responses": {"200": json_response({"type": "object"}, "JWK Set")}}},
        "/org/training-policy": {
            "get": {"summary": "Your organisation's training policy (any member)",
                    "responses": {"200": json_response(ref("OrgTrainingPolicy"), "policy"),
                                  "401": not_logged_in,
                                  "404": problem_response("not in an organisation")}},
            "put": {"summary": "Set the organisation's training policy (owner or admin)",
                    "security": session_csrf,
                    "responses": {"200": json_response(ref("OrgTrainingPolicy"), "policy"),
                                  "401": not_logged_in,
                                  "403": problem_response("not an owner or admin"),
                                  "404": problem_response("not in an organisation"),
                                  "422": problem_response("invalid input")}}},
        "/training-eligibility": {"post": {
            "summary": "May these accounts' content be used for training as of a time? "
                       "(training pipeline; unknown ids are false)",
            "security": [{"serviceToken": []}],
            "responses": {
                "200": json_response({"type": "object", "properties": {
                    "as_of": TIME, "eligible": {"type": "object", "additionalProperties":
                                                {"type": "boolean"}}}}, "answers"),
                "401": problem_response("missing or wrong service token"),
                "422": problem_response("invalid input")}}},
    }
