"""Shapes of deletion: the plan shown before confirmation (and frozen at it), and the
confirmation itself."""

from __future__ import annotations

from typing import Any

from ..models import ErasureAction, StepKind, StepStatus
from ..sources import LEGAL_BASES
from .base import OPTIONAL_TIME, Schema, enum_of, json_response, problem_response, ref

#: the longest e-mail address (RFC 5321) or reference a confirmation can be
CONFIRMATION_MAX = 254

COMPONENTS: dict[str, Schema] = {
    "DeletionPlanSource": {
        "type": "object",
        "required": ["name", "description", "action", "records", "legal_basis", "reason",
                     "retained_until"],
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "action": {**enum_of(ErasureAction),
                       "description": "erase: deleted; anonymise: kept without anything "
                                      "that points to you; retain: kept as they are until "
                                      "retained_until, for reason; manual: a privacy officer "
                                      "erases them by hand"},
            "records": {"type": ["integer", "null"], "minimum": 0,
                        "description": "how many records (null: the source cannot count)"},
            "legal_basis": {"oneOf": [{"type": "null"}, enum_of(LEGAL_BASES)]},
            "reason": {"type": ["string", "null"]},
            "retained_until": OPTIONAL_TIME,
            "kind": {"enum": [str(k) for k in StepKind]},
            "irreversible": {"type": ["string", "null"],
                             "description": "what cannot be recalled of it once done"},
            "status": {"oneOf": [{"type": "null"}, enum_of(StepStatus)],
                       "description": "after confirmation: how far erasure has got with it"},
        },
    },
    "DeletionBlocker": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "examples": ["org_owner_with_members"]},
            "message": {"type": "string", "description": "what is wrong and what to do"},
            "action_url": {"type": ["string", "null"]},
            "action_label": {"type": ["string", "null"]},
        },
    },
    "DeletionPlan": {
        "type": "object",
        "required": ["grace_days", "scheduled_for", "frozen_at", "sources", "blockers",
                     "irreversible"],
        "properties": {
            "grace_days": {"type": "integer", "minimum": 0,
                           "description": "days between confirmation and the start of "
                                          "erasure, during which you can cancel"},
            "scheduled_for": {**OPTIONAL_TIME,
                              "description": "when erasure starts, the point of no return "
                                             "(null until confirmed)"},
            "frozen_at": {**OPTIONAL_TIME,
                          "description": "when the plan was frozen by your confirmation "
                                         "(null: a live preview)"},
            "starts_if_confirmed_now": {**OPTIONAL_TIME,
                                        "description": "before confirmation: when erasure "
                                                       "would start if you confirmed now"},
            "sources": {"type": "array", "items": ref("DeletionPlanSource")},
            "account": {"oneOf": [{"type": "null"}, ref("DeletionPlanSource")],
                        "description": "the account itself, erased last"},
            "recipients": {"type": "array", "items": {
                "type": "object", "required": ["name", "description"],
                "properties": {"name": {"type": "string"},
                               "description": {"type": "string"},
                               "status": {"type": ["string", "null"]}}},
                "description": "the companies we share data with, told to erase it"},
            "blockers": {"type": "array", "items": ref("DeletionBlocker"),
                         "description": "what must be done before you can confirm"},
            "irreversible": {"type": "array", "items": {"type": "string"},
                             "description": "what cannot be recalled once done"},
        },
    },
    "DeletionConfirm": {
        "type": "object", "required": ["confirm"], "additionalProperties": False,
        "properties": {"confirm": {
            "type": "string", "minLength": 1, "maxLength": CONFIRMATION_MAX,
            "description": "the account's e-mail address (any case) or the request's "
                           "reference"}}},
}


def paths() -> dict[str, Any]:
    params = [{"name": "request_id", "in": "path", "required": True,
               "schema": {"type": "string"}}]
    not_yours = problem_response("no such request, not yours, or not a deletion")
    return {
        "/requests/{request_id}/deletion-plan": {"get": {
            "summary": "What deletion does to each kind of your data: a live preview before "
                       "you confirm, the plan frozen by your confirmation after",
            "parameters": params,
            "responses": {"200": json_response(ref("DeletionPlan"), "the plan"),
                          "401": problem_response("not logged in"), "404": not_yours}}},
        "/requests/{request_id}/confirm": {"post": {
            "summary": "Confirm a deletion by typing your e-mail address (or the request's "
                       "reference); needs a fresh login. Erasure starts after the grace "
                       "period; every session of the account ends",
            "security": [{"session": [], "csrf": []}],
            "parameters": params,
            "responses": {
                "200": json_response(ref("PrivacyRequest"),
                                     "scheduled (in_progress when the grace period is 0)"),
                "401": problem_response("not logged in, or reauth-required"),
                "404": not_yours,
                "409": problem_response("blockers exist (listed under blockers), or the "
                                        "request can no longer be confirmed; nothing "
                                        "changed"),
                "422": problem_response("the confirmation is not your e-mail address or the "
                                        "reference; nothing changed")}}},
    }
