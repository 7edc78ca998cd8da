"""Shapes of negotiated DPAs (a PDF signed outside the console, uploaded by a privacy officer),
an organisation's open request for changes, and the privacy officer's DPA overview."""

from __future__ import annotations

from typing import Any

from ..text import IDENTIFIER_PATTERN, LINE_PATTERN
from .base import OPTIONAL_TIME, TIME, Schema, json_response, problem_response, ref

_SHA256: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_PDF: Schema = {"description": "a PDF", "content": {"application/pdf": {
    "schema": {"type": "string", "format": "binary"}}}}
_DAY: Schema = {"type": "string", "format": "date"}

COMPONENTS: dict[str, Schema] = {
    "DpaNegotiated": {
        "type": "object",
        "required": ["id", "version_label", "signed_on", "uploaded_at", "file_sha256",
                     "download_url"],
        "properties": {
            "id": {"type": "string"},
            "version_label": {"type": "string", "description": "what the parties call it"},
            "signed_on": {**_DAY, "description": "the day the last party signed"},
            "uploaded_at": TIME,
            "file_sha256": {**_SHA256, "description": "SHA-256 of the PDF as uploaded (and "
                                                      "as downloaded: it is never changed)"},
            "size": {"type": "integer", "description": "bytes"},
            "pages": {"type": "integer"},
            "digital_signatures": {
                "type": "array", "description": "the PDF's own digital signatures, as found "
                                                "when it was uploaded (empty: a scan or a "
                                                "copy signed on paper)",
                "items": {"type": "object", "properties": {
                    "field": {"type": "string"},
                    "signer": {"type": "string", "description": "as the signing certificate "
                                                                "names them"},
                    "signed_at": OPTIONAL_TIME,
                    "intact": {"type": "boolean", "description": (
                        "the signed bytes are unchanged and the signature value matches "
                        "the certificate (whom to trust is not judged)")}}}},
            "request_reference": {"type": ["string", "null"],
                                  "description": "the request for changes it answered"},
            "download_url": {"type": ["string", "null"],
                             "description": "the PDF; null for members, who ask an owner or "
                                            "admin"},
        },
    },
    "DpaChangeRequest": {
        "type": ["object", "null"],
        "description": "the organisation's open request for changes to the DPA (POST "
                       "/requests, type dpa), if any",
        "required": ["reference", "status", "created_at", "due_at", "yours"],
        "properties": {
            "reference": {"type": "string"}, "status": {"type": "string"},
            "created_at": TIME, "due_at": TIME,
            "yours": {"type": "boolean", "description": "you asked (another owner or admin "
                                                        "may have)"},
            "url": {"type": ["string", "null"], "description": "its page, for the one who "
                                                              "asked"}}},
    "DpaNegotiatedUpload": {
        "type": "object", "additionalProperties": False,
        "required": ["org_id", "version_label", "signed_on", "file"],
        "properties": {
            "org_id": {"type": "string", "pattern": IDENTIFIER_PATTERN,
                       "description": "the organisation's id"},
            "version_label": {"type": "string", "minLength": 1, "maxLength": 120,
                              "pattern": LINE_PATTERN,
                              "description": "what the parties call this version"},
            "signed_on": {**_DAY, "description": "the day the last party signed (not in "
                                                 "the future)"},
            "request": {"type": "string", "examples": ["DR-7K3M-Q9XA"],
                        "description": "the open request for changes it answers: completed, "
                                       "and the customer told"},
            "file": {"type": "string", "format": "binary",
                     "description": "the signed PDF (a digital signature is not required)"},
        },
    },
    "DpaNegotiatedUploaded": {
        "allOf": [ref("DpaNegotiated"), {
            "type": "object", "required": ["org", "request"],
            "properties": {
                "org": {"type": "object", "properties": {"id": {"type": "string"},
                                                         "name": {"type": "string"}}},
                "request": {"type": ["object", "null"], "properties": {
                    "reference": {"type": "string"}, "status": {"type": "string"}}},
                "request_problem": {"type": ["string", "null"], "description": (
                    "why the request could not be completed (the upload stands)")}}}]},
    "DpaStaffOverview": {
        "type": "object", "required": ["organisations", "truncated"],
        "properties": {
            "organisations": {"type": "array", "items": {
                "type": "object", "required": ["org", "signatures", "negotiated",
                                               "open_requests"],
                "properties": {
                    "org": {"type": "object", "properties": {"id": {"type": "string"},
                                                             "name": {"type": "string"}}},
                    "signatures": {"type": "array", "items": {"type": "object"}},
                    "negotiated": {"type": "array", "items": ref("DpaNegotiated")},
                    "open_requests": {"type": "array", "items": {
                        "type": "object", "properties": {
                            "reference": {"type": "string"}, "status": {"type": "string"},
                            "created_at": TIME, "due_at": TIME,
                            "days_left": {"type": ["integer", "null"]},
                            "changes": {"type": ["string", "null"]},
                            "url": {"type": "string"}}}}}}},
            "truncated": {"type": "boolean", "description": "more organisations have a DPA "
                                                            "on record: ask for one by id"}},
    },
}


def paths() -> dict[str, Any]:
    hidden = problem_response("you are not staff (the path answers as if it did not exist)")
    officer = problem_response("a support agent: only a privacy officer")
    negotiated_id = [{"name": "negotiated_id", "in": "path", "required": True,
                      "schema": {"type": "string"}}]
    return {
        "/dpa/negotiated/{negotiated_id}/pdf": {"get": {
            "summary": "A negotiated DPA your organisation signed outside the console, as "
                       "uploaded: its owners and admins",
            "parameters": negotiated_id,
            "responses": {"200": _PDF, "401": problem_response("not logged in"),
                          "404": problem_response("no such negotiated DPA, or not yours "
                                                  "to download")}}},
        "/support/dpa": {"get": {
            "summary": "Every organisation with a DPA on record: versions signed in the "
                       "console, negotiated DPAs, open requests for changes (privacy "
                       "officers)",
            "parameters": [{"name": "org", "in": "query", "required": False,
                            "schema": {"type": "string"},
                            "description": "only this organisation"}],
            "responses": {"200": json_response(ref("DpaStaffOverview"), "the DPAs"),
                          "403": officer, "404": hidden}}},
        "/support/dpa/negotiated": {"post": {
            "summary": "Upload a negotiated DPA for an organisation (privacy officers): kept "
                       "as uploaded, never changed or deleted, recorded in the audit trail; "
                       "given a request for changes, it is completed and the customer told",
            "security": [{"session": [], "csrf": []}],
            "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": ref("DpaNegotiatedUpload"),
                "encoding": {"file": {"contentType": "application/pdf"}}}}},
            "responses": {
                "201": json_response(ref("DpaNegotiatedUploaded"), "stored"),
                "403": problem_response("CSRF token missing or invalid, or a support agent"),
                "404": hidden,
                "409": problem_response("this very file was uploaded for the organisation "
                                        "before (negotiated names it); nothing was stored"),
                "413": problem_response("the body is longer than SELFSERVICE_MAX_BODY_BYTES "
                                        "+ SELFSERVICE_DPA_NEGOTIATED_MAX_BYTES"),
                "422": problem_response("field errors (not a PDF, too long, an unknown "
                                        "organisation, a request that is not its open "
                                        "request for changes); nothing was stored")}}},
        "/support/dpa/negotiated/{negotiated_id}/pdf": {"get": {
            "summary": "Any negotiated DPA, as uploaded (privacy officers)",
            "parameters": negotiated_id,
            "responses": {"200": _PDF, "403": officer,
                          "404": problem_response("no such negotiated DPA, or you are not "
                                                  "staff")}}},
    }
