"""Shapes of a privacy officer's work on a request (decide, extend the deadline, write to the
customer, confirm a manual deletion step) and of the regulator's numbers. Anyone but staff gets
the 404 of a path that does not exist; support staff get 403 where only a privacy officer
may act."""

from __future__ import annotations

from typing import Any

from ..models import STATUTORY_TYPES, RequestStatus
from ..text import FREE_TEXT_PATTERN
from ..translation import N_
from .base import OPTIONAL_TIME, TIME, Schema, enum_of, json_response, problem_response, ref

#: the period of the regulator's numbers and of the record of requests (query parameters)
PERIOD: list[Schema] = [
    {"name": "from", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date"},
     "description": "first day (UTC); default: a year before to"},
    {"name": "to", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date"},
     "description": "last day, included (UTC); default: today"}]
#: the columns of the record of requests and responses (GET /support/records), in order
RECORD_COLUMNS = ("reference", "received_at", "type", "channel", "jurisdiction", "due_at",
                  "extended_due_at", "status", "responded_at", "response",
                  "denial_reason_code", "denial_reason", "appeal_of", "account_erased")

COMPLETED, DENIED = RequestStatus.COMPLETED.value, RequestStatus.DENIED.value
OUTCOMES = (COMPLETED, DENIED)
#: why a request is denied (in whole, or the part not done of a completed one), as the
#: customer reads it (in English, as the records and the audit trail keep it; marked for the
#: catalogue: the customer's e-mail and page show it translated, with gettext)
REASON_CODES: dict[str, str] = {
    "identity_not_verified": N_("We could not confirm that the request came from you."),
    "no_data_held": N_("We hold no personal data about you that this request is about."),
    "exemption_legal_obligation": N_("A law requires us to keep or use this data."),
    "exemption_legal_claims": N_("We need this data to make, use or defend legal claims."),
    "exemption_rights_of_others": N_("Doing it would harm the rights and freedoms of other "
                                     "people."),
    "manifestly_unfounded": N_("The request is clearly unfounded."),
    "excessive": N_("The request is excessive, for example because it repeats an earlier "
                    "one."),
    "other": N_("Another reason, explained in our message."),
}
MESSAGE_MAX = 2000
#: the column's size
EXTENSION_REASON_MAX = 500
_TEXT: Schema = {"type": "string", "pattern": FREE_TEXT_PATTERN}

COMPONENTS: dict[str, Schema] = {
    "DecisionRequest": {
        "type": "object", "additionalProperties": False, "required": ["outcome"],
        "properties": {
            "outcome": enum_of(OUTCOMES),
            "reason_code": {**enum_of(REASON_CODES),
                            "description": "why: required to deny; with completed, the "
                                           "request was done only in part and this is why "
                                           "the rest was not (the customer reads the code's "
                                           "words, and can appeal where the law allows)"},
            "message": {**_TEXT, "maxLength": MESSAGE_MAX,
                        "description": "to the customer, in plain words; required with the "
                                       "reason code other"}}},
    "Decision": {
        "type": "object",
        "required": ["reference", "status", "outcome", "reason_code", "decided_at"],
        "properties": {
            "reference": {"type": "string"}, "status": {"type": "string"},
            "outcome": enum_of(OUTCOMES), "reason_code": {"type": ["string", "null"]},
            "reason": {"type": ["string", "null"], "description": "the code, in words"},
            "message": {"type": ["string", "null"]}, "decided_at": TIME,
            "decided_by": {"type": ["string", "null"]},
            "recourse": {"type": ["object", "null"], "properties": {
                "appeal_until": OPTIONAL_TIME,
                "appeal_days": {"type": ["integer", "null"]},
                "words": {"type": "string"}}}}},
    "ExtensionRequest": {
        "type": "object", "additionalProperties": False, "required": ["reason"],
        "properties": {
            "reason": {**_TEXT, "minLength": 1, "maxLength": EXTENSION_REASON_MAX,
                       "description": "why more time is needed (the customer reads it)"},
            "until": {"type": "string", "format": "date-time",
                      "description": "the new deadline; left out: the legal maximum (two "
                                     "further months under GDPR and UK GDPR, 45 further days "
                                     "under CCPA and the other US state laws)"}}},
    "Extension": {
        "type": "object", "required": ["reference", "due_at", "extended_due_at"],
        "properties": {"reference": {"type": "string"}, "due_at": TIME,
                       "extended_due_at": TIME, "extension_reason": {"type": "string"}}},
    "CustomerMessage": {
        "type": "object", "additionalProperties": False, "required": ["text"],
        "properties": {"text": {**_TEXT, "minLength": 1, "maxLength": MESSAGE_MAX,
                                "description": "to the customer: kept with the request and "
                                               "e-mailed"}}},
    "CustomerMessageSent": {
        "type": "object", "required": ["id", "at", "kind", "text"],
        "properties": {"id": {"type": "integer"}, "at": TIME,
                       "kind": {"const": "message"}, "text": {"type": "string"}}},
    "StepConfirmation": {
        "type": "object", "additionalProperties": False,
        "properties": {"note": {**_TEXT, "maxLength": 300,
                                "description": "what was done, for the record"}}},
    "StepConfirmed": {
        "type": "object", "required": ["reference", "step", "status"],
        "properties": {"reference": {"type": "string"}, "step": {"type": "string"},
                       "status": {"type": "string"}, "confirmed_at": OPTIONAL_TIME}},
    "RequestMetricsRow": {
        "type": "object",
        "required": ["type", "received", "completed", "denied", "median_days", "p95_days",
                     "overdue"],
        "properties": {
            "type": {**enum_of(STATUTORY_TYPES),
                     "description": "the rights the privacy laws give (dpa requests, a "
                                    "contract negotiation, are not counted)"},
            "received": {"type": "integer", "minimum": 0},
            "completed": {"type": "integer", "minimum": 0,
                          "description": "complied with in whole or in part"},
            "denied": {"type": "integer", "minimum": 0,
                       "description": "denied in whole or in part"},
            "median_days": {"type": ["number", "null"],
                            "description": "days from receipt to answer, of those answered"},
            "p95_days": {"type": ["number", "null"], "description": "95th percentile (nearest "
                                                                    "rank)"},
            "overdue": {"type": "integer", "minimum": 0,
                        "description": "answered after, or still open past, the deadline in "
                                       "force"}}},
    "RequestMetrics": {
        "type": "object", "required": ["from", "to", "types"],
        "properties": {"from": TIME, "to": TIME,
                       "types": {"type": "array", "items": ref("RequestMetricsRow")}}},
}


def paths() -> dict[str, Any]:
    csrf: list[Schema] = [{"session": [], "csrf": []}]
    hidden = problem_response("no such request, your own, or you are not staff (the path "
                              "answers as if it did not exist)")
    officer = problem_response("a support agent: only a privacy officer can do this")
    reference = [{"name": "reference", "in": "path", "required": True,
                  "schema": {"type": "string", "examples": ["DR-7K3M-Q9XA"]}}]

    def action(summary: str, ok: Schema, conflict: str, status: str = "200") -> Schema:
        return {"post": {"summary": summary, "security": csrf, "parameters": reference,
                         "responses": {status: ok, "403": officer, "404": hidden,
                                       "409": problem_response(conflict)}}}

    return {
        "/support/requests/{reference}/decision": action(
            "Complete or deny an open correction, restriction, objection, human review, "
            "limit on sensitive data or appeal (privacy officers). The customer is told, with "
            "the reason and where to turn",
            json_response(ref("Decision"), "decided"),
            "already decided (the problem's decision member names the first decision), "
            "closed, or not a request decided by hand; nothing changed"),
        "/support/requests/{reference}/extend": action(
            "Extend an open request's deadline once, before it passes, up to the legal "
            "maximum (privacy officers); the customer is told why. A second extension, one "
            "after the deadline or past the maximum: 422",
            json_response(ref("Extension"), "extended"), "the request is closed"),
        "/support/requests/{reference}/messages": action(
            "Write to the customer about their request (privacy officers): kept with the "
            "request and e-mailed", json_response(ref("CustomerMessageSent"), "sent"),
            "never", "201"),
        "/support/requests/{reference}/deletion-steps/{source}/confirm": {"post": {
            "summary": "Confirm that a manual step of a deletion's plan was done by hand "
                       "(privacy officers): the erasure goes on",
            "security": csrf,
            "parameters": [*reference, {"name": "source", "in": "path", "required": True,
                                        "schema": {"type": "string"}}],
            "responses": {"200": json_response(ref("StepConfirmed"), "confirmed"),
                          "403": officer, "404": hidden,
                          "409": problem_response("not a manual step of a deletion under "
                                                  "way, or confirmed already")}}},
        "/support/metrics": {"get": {
            "summary": "Per request type, for requests received in the period: received, "
                       "completed, denied (in whole or in part), median and 95th-percentile "
                       "days to respond, overdue (staff). Requests for changes to the DPA "
                       "(type dpa) are not counted",
            "parameters": [
                *PERIOD,
                {"name": "format", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}],
            "responses": {"200": {"description": "the numbers", "content": {
                "application/json": {"schema": ref("RequestMetrics")},
                "text/csv": {"schema": {"type": "string"}}}},
                "404": hidden, "422": problem_response("invalid period")}}},
        "/support/records": {"get": {
            "summary": "The record of requests and responses (CCPA regulations, section "
                       "7101) for requests received in the period, one CSV row each, erased "
                       "accounts' included; no account is named; requests for changes to the "
                       "DPA (type dpa) are not in it (privacy officers)",
            "parameters": PERIOD,
            "responses": {"200": {"description": "the record, columns: " + ", ".join(
                RECORD_COLUMNS), "content": {"text/csv": {"schema": {"type": "string"}}}},
                "403": problem_response("a support agent: only privacy officers"),
                "404": hidden, "422": problem_response("invalid period")}}},
    }
