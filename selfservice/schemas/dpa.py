"""Shapes of the Data Processing Addendum: the version in force, the organisation's
signatures, and signing."""

from __future__ import annotations

from typing import Any

from ..text import EMAIL_PATTERN, FILLED_TEXT_PATTERN, LINE_PATTERN
from .base import TIME, Schema, json_response, problem_response, ref

#: the longest entries (the columns' sizes, models/dpa.py)
LIMITS = {"legal_name": (2, 200), "address": (5, 500), "registration_number": (1, 64),
          "signer_name": (2, 120), "signer_title": (2, 120), "signer_email": (6, 254)}


def _line(field: str, description: str) -> Schema:
    low, high = LIMITS[field]
    return {"type": "string", "minLength": low, "maxLength": high, "pattern": LINE_PATTERN,
            "description": description}


_SHA256: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_PDF: Schema = {"description": "a PDF", "content": {"application/pdf": {
    "schema": {"type": "string", "format": "binary"}}}}

COMPONENTS: dict[str, Schema] = {
    "DpaVersion": {
        "type": "object", "required": ["version", "effective_at", "changes"],
        "properties": {
            "version": {"type": "string"},
            "effective_at": TIME,
            "changes": {"type": "string", "description": "what changed from the version "
                                                         "before"},
            "document_url": {"type": "string", "description": "the unsigned standard DPA "
                                                              "of this version, as PDF"},
        },
    },
    "DpaSignature": {
        "type": "object",
        "required": ["id", "version", "signed_at", "signer_name", "document_sha256",
                     "download_url"],
        "properties": {
            "id": {"type": "string"},
            "version": {"type": "string"},
            "signed_at": TIME,
            "signer_name": {"type": "string"},
            "signer_title": {"type": "string"},
            "document_sha256": {**_SHA256, "description": (
                "SHA-256 of the bytes the company's PDF signature covers (every byte of the "
                "downloaded file but the signature value, as its /ByteRange says): the "
                "signature's messageDigest")},
            "file_sha256": {**_SHA256, "description": "SHA-256 of the whole PDF file"},
            "certificate_sha256": {**_SHA256, "description": "SHA-256 fingerprint of the "
                                                             "company's signing certificate"},
            "download_url": {"type": ["string", "null"],
                             "description": "the countersigned PDF; null for members, who "
                                            "ask an owner or admin"},
        },
    },
    "DpaOverview": {
        "type": "object", "required": ["current", "org", "can_sign", "signatures"],
        "properties": {
            "current": {"oneOf": [{"type": "null"}, ref("DpaVersion")],
                        "description": "the version in force (null: none is published)"},
            "upcoming": {"oneOf": [{"type": "null"}, ref("DpaVersion")],
                         "description": "the next version, announced, not in force yet"},
            "org": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["id", "name"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                               "role": {"enum": ["owner", "admin", "member"]}}}]},
            "can_sign": {"type": "boolean", "description": "you may sign the version in "
                                                          "force for your organisation now"},
            "new_version_available": {"type": "boolean", "description": (
                "your organisation signed an earlier version, not the one in force")},
            "signing_available": {"type": "boolean", "description": (
                "the console can countersign (false: download the standard DPA)")},
            "certificate_sha256": {"oneOf": [{"type": "null"}, _SHA256]},
            "signatures": {"type": "array", "items": ref("DpaSignature"),
                           "description": "your organisation's signatures, newest first"},
            "negotiated": {"type": "array", "items": ref("DpaNegotiated"),
                           "description": "DPAs your organisation negotiated and signed "
                                          "outside the console, newest signing first"},
            "change_request": ref("DpaChangeRequest"),
            "can_ask_for_changes": {"type": "boolean", "description": (
                "you may ask for changes instead of signing (POST /requests, type dpa): an "
                "owner or admin, with no request for changes open")},
        },
    },
    "DpaSign": {
        "type": "object", "additionalProperties": False,
        "required": ["version", "legal_name", "address", "signer_name", "signer_title",
                     "signer_email", "authorised"],
        "properties": {
            "version": {"type": "string", "minLength": 1, "maxLength": 40,
                        "description": "the version in force (GET /dpa: current.version)"},
            "legal_name": _line("legal_name", "the customer's registered legal name"),
            "address": {"type": "string", "minLength": LIMITS["address"][0],
                        "maxLength": LIMITS["address"][1], "pattern": FILLED_TEXT_PATTERN,
                        "description": "its registered address (line breaks allowed)"},
            "registration_number": {**_line("registration_number", "its company "
                                                                   "registration number"),
                                    "type": ["string", "null"]},
            "signer_name": _line("signer_name", "the name of the person signing"),
            "signer_title": _line("signer_title", "their title or role"),
            "signer_email": {"type": "string", "minLength": LIMITS["signer_email"][0],
                             "maxLength": LIMITS["signer_email"][1], "pattern": EMAIL_PATTERN},
            "authorised": {"const": True, "description": "you are authorised to sign on "
                                                         "behalf of the organisation"},
        },
    },
    "DpaSigned": {
        "type": "object",
        "required": ["id", "version", "signed_at", "document_sha256", "download_url"],
        "properties": {"id": {"type": "string"}, "version": {"type": "string"},
                       "signed_at": TIME, "document_sha256": _SHA256,
                       "file_sha256": _SHA256, "certificate_sha256": _SHA256,
                       "download_url": {"type": "string"}},
    },
}


def paths() -> dict[str, Any]:
    login = problem_response("not logged in")
    return {
        "/dpa": {"get": {
            "summary": "The Data Processing Addendum in force, and your organisation's "
                       "signatures",
            "responses": {"200": json_response(ref("DpaOverview"), "the DPA"),
                          "401": login, "404": problem_response("no DPA is published")}}},
        "/dpa/document": {"get": {
            "summary": "The unsigned standard DPA as PDF, with your organisation's name",
            "parameters": [{"name": "version", "in": "query", "required": False,
                            "schema": {"type": "string"},
                            "description": "a published version (default: the one in "
                                           "force)"}],
            "responses": {"200": _PDF, "401": login,
                          "404": problem_response("no such version")}}},
        "/dpa/signatures": {"post": {
            "summary": "Sign the DPA in force for your organisation (owner or admin, fresh "
                       "login); the company countersigns the PDF at once",
            "security": [{"session": [], "csrf": []}],
            "responses": {
                "201": json_response(ref("DpaSigned"), "signed and countersigned"),
                "401": problem_response("not logged in, or reauth-required"),
                "403": problem_response("you are a member, not an owner or admin"),
                "404": problem_response("you are not in an organisation"),
                "409": problem_response("not the version in force, or already signed (the "
                                        "first signature under signature)"),
                "422": problem_response("field errors; nothing was recorded"),
                "503": problem_response("the console cannot countersign now")}}},
        "/dpa/signatures/{signature_id}/pdf": {"get": {
            "summary": "The countersigned PDF (PAdES): your organisation's owners and admins",
            "parameters": [{"name": "signature_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": _PDF, "401": login,
                          "404": problem_response("no such signature, or not yours to "
                                                  "download")}}},
    }
