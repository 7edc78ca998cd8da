"""The privacy officer's DPA page in the support console and its API: every organisation's DPA
(versions signed in the console, negotiated DPAs, open requests for changes) and the upload of
a negotiated DPA (multipart, up to SELFSERVICE_DPA_NEGOTIATED_MAX_BYTES more than the usual
body limit). Support agents get 403; everyone else the 404 of a path that does not exist."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for

from selfservice.identity import Identity
from selfservice.models import DpaSignature, PrivacyRequest
from selfservice.schemas.base import InvalidInput
from selfservice.services import dpa_negotiated, dpa_support
from selfservice.services.support_queue import days_left
from selfservice.text import is_identifier
from selfservice.translation import gettext as _
from selfservice.translation import lazy_gettext as _l
from selfservice.translation import locale_object, ngettext

from .body_size import allow_larger_body
from .dpa_api import negotiated_filename, negotiated_json, pdf_response, time_of
from .forms import ConfirmOnlyForm
from .problems import problem
from .routing import Routes
from .staff_guards import staff_api, staff_page

api_routes = Routes()
page_routes = Routes()
#: the form's fields besides the file
FIELDS = ("org_id", "version_label", "signed_on", "request")
#: the upload form's fields, as its labels say them
LABELS = {"org_id": _l("Organisation id"),
          "request": _l("The request for changes it answers (optional)"),
          "version_label": _l("Version"),
          "signed_on": _l("Signed on (the day the last party signed)"),
          "file": _l("The signed PDF")}


def _org_filter() -> str | None:
    wanted = (request.args.get("org") or "").strip()
    return wanted if wanted and is_identifier(wanted) else None


def _uploaded_pdf() -> bytes | None:
    """The upload's file, read up to one byte past the most kept (the service says it is
    too long)."""
    file = request.files.get("file")
    if file is None:
        return None
    return file.stream.read(dpa_negotiated.max_bytes() + 1)


def _upload(officer: Identity, *, only_published: bool = False) -> dpa_negotiated.Upload:
    """Store the form's upload. ``only_published``: refuse fields the API does not publish
    (DpaNegotiatedUpload), naming them with every other bad field."""
    form = request.form
    values = (form.get("org_id", ""), _uploaded_pdf(), form.get("version_label", ""),
              form.get("signed_on", ""))
    unknown = (set(form) - set(FIELDS)) | (set(request.files) - {"file"})
    if only_published and unknown:
        raise InvalidInput({**{name: "is not a field of this upload" for name in unknown},
                            **dpa_negotiated.field_errors(*values)})
    return dpa_negotiated.upload(officer, *values, form.get("request") or None)


# -- JSON -------------------------------------------------------------------------------------

def _signature_json(row: DpaSignature) -> dict[str, Any]:
    return {"id": row.id, "version": row.version, "signed_at": time_of(row.signed_at),
            "signer_name": row.signer_name, "signer_title": row.signer_title,
            "document_sha256": row.document_sha256}


def request_json(item: PrivacyRequest) -> dict[str, Any]:
    return {"reference": item.reference, "status": item.status,
            "created_at": time_of(item.created_at), "due_at": time_of(item.deadline_at),
            "days_left": days_left(item), "changes": item.details.get("changes"),
            "url": url_for("selfservice.support_request_page", reference=item.reference)}


def _staff_negotiated(row: Any) -> dict[str, Any]:
    return negotiated_json(row, url_for("selfservice_api.support_dpa_negotiated_pdf",
                                        negotiated_id=row.id))


def org_json(found: dpa_support.OrgDpa) -> dict[str, Any]:
    return {"org": {"id": found.org_id, "name": found.org_name},
            "signatures": [_signature_json(row) for row in found.signatures],
            "negotiated": [_staff_negotiated(row) for row in found.negotiated],
            "open_requests": [request_json(item) for item in found.open_requests]}


def upload_json(found: dpa_negotiated.Upload) -> dict[str, Any]:
    return {**_staff_negotiated(found.row), "org": {"id": found.row.org_id,
                                                   "name": found.row.org_name},
            "request": ({"reference": found.request.reference, "status": found.request.status}
                        if found.request else None),
            "request_problem": found.request_problem}


@api_routes.get("/support/dpa")
@staff_api(privacy_officer_only=True)
def support_dpa(identity: Identity) -> Response:
    found = dpa_support.overview(_org_filter())
    response = jsonify({"organisations": [org_json(item) for item in found.organisations],
                        "truncated": found.truncated})
    response.headers["Cache-Control"] = "no-store"
    return response


@api_routes.post("/support/dpa/negotiated")
@allow_larger_body(dpa_negotiated.max_bytes)
@staff_api(privacy_officer_only=True)
def upload_negotiated_dpa(identity: Identity) -> Response:
    try:
        found = _upload(identity, only_published=True)
    except dpa_negotiated.AlreadyUploaded as exc:
        return problem(409, "conflict", "Already uploaded", str(exc),
                       negotiated=_staff_negotiated(exc.row))
    response = jsonify(upload_json(found))
    response.status_code = 201
    response.headers["Location"] = url_for(".support_dpa_negotiated_pdf",
                                           negotiated_id=found.row.id)
    return response


@api_routes.get("/support/dpa/negotiated/<negotiated_id>/pdf")
@staff_api(privacy_officer_only=True)
def support_dpa_negotiated_pdf(identity: Identity, negotiated_id: str) -> Response:
    row = dpa_negotiated.staff_copy(identity, negotiated_id)
    if row is None:
        return problem(404, "not-found", "No such negotiated DPA")
    return pdf_response(row.pdf, negotiated_filename(row))


# -- the page ---------------------------------------------------------------------------------

def _render(identity: Identity, errors: dict[str, str] | None = None,
            values: dict[str, str] | None = None, status: int = 200) -> Any:
    wanted = _org_filter()
    prefill = values or {"org_id": wanted or request.args.get("org_id", ""),
                         "request": request.args.get("request", "")}
    return render_template(
        "selfservice/support/dpa.html", identity=identity,
        overview=dpa_support.overview(wanted), wanted=wanted, errors=errors or {},
        values=prefill, form=ConfirmOnlyForm(), labels=LABELS,
        max_mib=format_decimal(dpa_negotiated.max_bytes() / 1048576, "#,##0.0",
                               locale=locale_object())), status


def _done(found: dpa_negotiated.Upload) -> str:
    row, signatures = found.row, found.facts.signatures
    if signatures:
        who = ", ".join(_("%(signer)s (intact)", signer=s.signer) if s.intact else
                        _("%(signer)s (NOT intact)", signer=s.signer) for s in signatures)
        signed = ngettext("%(num)s digital signature: %(who)s",
                          "%(num)s digital signatures: %(who)s", len(signatures), who=who)
    else:
        signed = _("no digital signature (a scan or paper copy is fine)")
    words = _("Stored “%(version)s” for %(organisation)s, %(signatures)s.",
              version=row.version_label, organisation=row.org_name, signatures=signed)
    if found.request is not None:
        words += " " + _("%(reference)s is completed; the customer was told.",
                         reference=found.request.reference)
    elif found.request_problem:
        words += " " + _("%(reference)s was not completed: %(problem)s",
                         reference=row.request_reference, problem=found.request_problem)
    return words


@page_routes.get("/support/dpa")
@staff_page(privacy_officer_only=True)
def support_dpa_page(identity: Identity) -> Any:
    return _render(identity)


@page_routes.post("/support/dpa")
@allow_larger_body(dpa_negotiated.max_bytes)
@staff_page(privacy_officer_only=True)
def support_dpa_upload(identity: Identity) -> Any:
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400)
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        found = _upload(identity)
    except InvalidInput as exc:
        return _render(identity, exc.errors, values, 400)
    except dpa_negotiated.AlreadyUploaded as exc:
        return _render(identity, {"file": str(exc)}, values, 409)
    flash(_done(found), "success" if not found.request_problem else "error")
    return redirect(url_for(".support_dpa_page", org=found.row.org_id), 303)
