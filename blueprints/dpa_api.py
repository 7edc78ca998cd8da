"""The Data Processing Addendum over the JSON API: the version in force, the organisation's
signatures, negotiated DPAs and open request for changes, the standard DPA as PDF, signing, the
countersigned PDF and the negotiated one. (Changes are asked for with POST /requests, type
dpa.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request, url_for

from selfservice.auth import auth_time
from selfservice.dpa_versions import DpaVersion
from selfservice.identity import Identity
from selfservice.models import DpaNegotiated, DpaSignature, PrivacyRequest
from selfservice.services import dpa, dpa_negotiated
from selfservice.text import without_control_characters

from .guards import api_identity
from .problems import problem
from .routing import Routes
from .validation import accepts

routes = Routes()


def version_json(version: DpaVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {**version.as_json(),
            "document_url": url_for("selfservice_api.dpa_document", version=version.version)}


def time_of(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def signature_json(row: DpaSignature, identity: Identity) -> dict[str, Any]:
    """A signature as the organisation's people see it: the download only for its owners and
    admins."""
    admin = identity.org is not None and identity.org.is_admin
    return {"id": row.id, "version": row.version, "signed_at": time_of(row.signed_at),
            "signer_name": row.signer_name, "signer_title": row.signer_title,
            "document_sha256": row.document_sha256, "file_sha256": row.file_sha256,
            "certificate_sha256": row.certificate_sha256,
            "download_url": (url_for("selfservice_api.dpa_signature_pdf", signature_id=row.id)
                             if admin else None)}


def negotiated_json(row: DpaNegotiated, download_url: str | None) -> dict[str, Any]:
    """A negotiated DPA as its organisation's people see it (the download only for owners
    and admins, or staff)."""
    return {"id": row.id, "version_label": row.version_label,
            "signed_on": row.signed_on.isoformat(), "uploaded_at": time_of(row.uploaded_at),
            "file_sha256": row.file_sha256, "size": row.size, "pages": row.pages,
            "digital_signatures": row.signatures, "request_reference": row.request_reference,
            "download_url": download_url}


def _customer_negotiated(row: DpaNegotiated, identity: Identity) -> dict[str, Any]:
    admin = identity.org is not None and identity.org.is_admin
    return negotiated_json(row, url_for("selfservice_api.dpa_negotiated_pdf",
                                        negotiated_id=row.id) if admin else None)


def change_request_json(item: PrivacyRequest | None, identity: Identity
                        ) -> dict[str, Any] | None:
    """The organisation's open request for changes: its page only for the one who asked."""
    if item is None:
        return None
    mine = item.account_id == identity.account_id
    return {"reference": item.reference, "status": item.status,
            "created_at": time_of(item.created_at), "due_at": time_of(item.deadline_at),
            "yours": mine,
            "url": url_for("selfservice.request_page", request_id=item.id) if mine else None}


def origin() -> dpa.Origin:
    """Where the signer is, as this request shows it."""
    at = auth_time()
    agent = without_control_characters(request.user_agent.string)[:200] or None
    return dpa.Origin(ip_address=request.remote_addr, user_agent=agent,
                      authenticated_at=datetime.fromtimestamp(at, UTC) if at else None)


def pdf_response(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _no_dpa() -> Response:
    return problem(404, "not-found", "No DPA is published")


@routes.get("/dpa")
@api_identity()
def dpa_overview(identity: Identity) -> Response:
    overview = dpa.overview(identity)
    if overview is None:
        return _no_dpa()
    org = identity.org
    negotiated = dpa_negotiated.of_organisation(org.id) if org else []
    asked = dpa_negotiated.open_request_of(org.id) if org else None
    return jsonify({
        "current": version_json(overview.current),
        "upcoming": version_json(overview.upcoming),
        "org": {"id": org.id, "name": org.name, "role": org.role} if org else None,
        "can_sign": overview.can_sign,
        "new_version_available": overview.new_version_available,
        "signing_available": overview.certificate_sha256 is not None,
        "certificate_sha256": overview.certificate_sha256,
        "signatures": [signature_json(row, identity) for row in overview.signatures],
        "negotiated": [_customer_negotiated(row, identity) for row in negotiated],
        "change_request": change_request_json(asked, identity),
        "can_ask_for_changes": bool(org and org.is_admin and overview.current
                                    and asked is None),
    })


@routes.get("/dpa/document")
@api_identity()
def dpa_document(identity: Identity) -> Response:
    name = request.args.get("version")
    version = dpa.find_version(name) if name else dpa.current_version()
    if version is None:
        return problem(404, "not-found", "No such version of the DPA")
    return pdf_response(dpa.unsigned_pdf(identity, version),
                        f"dpa-{version.version}-unsigned.pdf")


@routes.post("/dpa/signatures")
@api_identity(fresh=True)
@accepts("DpaSign")
def dpa_sign(identity: Identity, body: dict[str, Any]) -> Response:
    entries = dpa.SignatureEntries(
        version=body["version"], legal_name=body["legal_name"].strip(),
        address=body["address"].strip(),
        registration_number=(body.get("registration_number") or "").strip() or None,
        signer_name=body["signer_name"].strip(), signer_title=body["signer_title"].strip(),
        signer_email=body["signer_email"].strip())
    try:
        row = dpa.sign(identity, entries, origin())
    except dpa.NoOrganisation as exc:
        return problem(404, "not-found", "No organisation", exc.message)
    except dpa.NotOrgAdmin as exc:
        return problem(403, "forbidden", "Owners and admins only", exc.message)
    except dpa.AlreadySigned as exc:
        return problem(409, "conflict", "Already signed", exc.message,
                       signature=signature_json(exc.signature, identity))
    except dpa.SigningUnavailable as exc:
        return problem(503, "unavailable", "Signing is unavailable", exc.message)
    except dpa.NotCurrentVersion as exc:
        return problem(409, "conflict", "Not the version in force", exc.message,
                       current=version_json(exc.current))
    signed = {key: value for key, value in signature_json(row, identity).items()
              if key not in ("signer_name", "signer_title")}
    response = jsonify(signed)
    response.status_code = 201
    response.headers["Location"] = signed["download_url"]
    return response


@routes.get("/dpa/signatures/<signature_id>/pdf")
@api_identity()
def dpa_signature_pdf(identity: Identity, signature_id: str) -> Response:
    row = dpa.signed_copy(identity, signature_id)
    if row is None:
        return problem(404, "not-found", "No such signed DPA")
    return pdf_response(row.pdf, f"dpa-{row.version}-signed-{row.id[:8]}.pdf")


@routes.get("/dpa/negotiated/<negotiated_id>/pdf")
@api_identity()
def dpa_negotiated_pdf(identity: Identity, negotiated_id: str) -> Response:
    row = dpa_negotiated.copy_for(identity, negotiated_id)
    if row is None:
        return problem(404, "not-found", "No such negotiated DPA")
    return pdf_response(row.pdf, negotiated_filename(row))


def negotiated_filename(row: DpaNegotiated) -> str:
    return f"dpa-negotiated-{row.signed_on.isoformat()}-{row.id[:8]}.pdf"
