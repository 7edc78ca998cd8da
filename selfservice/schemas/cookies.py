"""Shapes of the cookie-consent API: the public policy, a browser's decision and its state."""

from __future__ import annotations

from typing import Any

from ..cookies import OPTIONAL
from ..models import CookieConsentMethod
from .base import (
    Accepted,
    Schema,
    enum_of,
    json_response,
    problem_response,
    ref,
    too_many_response,
    with_properties,
)

#: the methods a caller may name; ``gpc`` is recorded by the plugin itself
CHOOSABLE_METHODS = (CookieConsentMethod.BANNER, CookieConsentMethod.SETTINGS,
                     CookieConsentMethod.API)

_CATEGORIES: Schema = {"type": "object", "additionalProperties": False, "properties": {
    "necessary": {"type": "boolean", "const": True,
                  "description": "necessary cookies cannot be refused"},
    **{c: {"type": "boolean"} for c in OPTIONAL}}}

COMPONENTS: dict[str, Schema] = {
    "CookieCategories": _CATEGORIES,
    "CookieState": {
        "type": "object", "required": ["policy_version", "decided", "gpc", "categories"],
        "properties": {"policy_version": {"type": "string"},
                       "decided": {"type": "boolean"}, "gpc": {"type": "boolean"},
                       "categories": ref("CookieCategories"),
                       "consent_id": {"type": ["string", "null"]},
                       "reask": {"type": "array", "items": {"type": "string"}},
                       "changes": {"type": "object"}}},
    "CookieDecision": {
        "type": "object", "required": ["policy_version", "categories"],
        "additionalProperties": False,
        "properties": {"policy_version": {"type": "string"},
                       "categories": ref("CookieCategories"),
                       "confirm_gpc_override": {"type": "boolean"},
                       "method": enum_of(CHOOSABLE_METHODS),
                       "language": {"type": "string"},
                       "gpc": {"type": "boolean",
                               "description": "navigator.globalPrivacyControl"}}},
    "CookiePolicy": {
        "type": "object",
        "properties": {"version": {"type": "string"}, "categories": {"type": "object"}}},
}


def configured(accepted: Accepted) -> dict[str, Schema]:
    """The decision's shape with the values this application accepts: the cookie policy
    version in force, the languages of its cookie texts."""
    return {"CookieDecision": with_properties(
        COMPONENTS["CookieDecision"],
        policy_version={"type": "string", "const": accepted.cookie_policy_version,
                        "description": "the cookie policy version in force: show the visitor "
                                       "that policy, then send its version"},
        language={"type": "string", "enum": list(accepted.languages)})}


def paths() -> dict[str, Any]:
    public: list[Schema] = [{}]
    return {
        "/cookie-policy": {"get": {
            "summary": "The cookie policy, generated from the cookie registry",
            "security": public,
            "responses": {"200": json_response(ref("CookiePolicy"), "policy")}}},
        "/cookie-consent": {
            "get": {"summary": "This browser's cookie decision and what it allows now",
                    "security": public,
                    "responses": {"200": json_response(ref("CookieState"), "decision")}},
            "put": {"summary": "Record a cookie decision (anonymous visitors too; the CSRF "
                               "header is always required); sets the consent cookie",
                    "security": [{"csrf": []}, {"session": [], "csrf": []}],
                    "responses": {"200": json_response(ref("CookieState"),
                                                       "decision recorded"),
                                  "403": problem_response("CSRF token missing or invalid"),
                                  "409": problem_response("marketing chosen under Global "
                                                          "Privacy Control: confirm with "
                                                          "confirm_gpc_override"),
                                  "422": problem_response("invalid input, or a stale "
                                                          "policy_version"),
                                  "429": too_many_response(
                                      "too many decisions from this address, or account "
                                      "(SELFSERVICE_RATE_LIMIT_COOKIE_CONSENT)")}}},
        "/cookie-consent/receipt": {"get": {
            "summary": "Signed receipt of this browser's latest cookie decision",
            "security": public,
            "responses": {"200": json_response(ref("ConsentReceipt"), "the receipt"),
                          "404": problem_response("no decision recorded")}}},
    }
