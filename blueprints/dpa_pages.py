"""The DPA pages: the version in force to read (and download), the organisation's signatures
and negotiated DPAs, the form an owner or admin signs with, behind a fresh sign-in, and the one
they ask for changes with instead (a ``dpa`` privacy request)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from markupsafe import Markup

from selfservice import formatting
from selfservice.identity import Identity
from selfservice.models import RequestType
from selfservice.schemas import InvalidInput
from selfservice.services import dpa, dpa_document, dpa_negotiated, dpa_pdf, privacy_requests
from selfservice.services.request_details import CHANGES_MAX, DPA_ANSWER_DAYS
from selfservice.translation import gettext as _

from .dpa_api import origin
from .dpa_forms import DpaChangesForm, DpaSignForm
from .guards import page_identity
from .rate_limits import limited
from .routing import Routes

routes = Routes()


def _said(refusal: dpa.DpaRefused | type[dpa.DpaRefused]) -> str:
    """Why a signature is not made, in the reader's language (the exception's own message is
    the API's, in English)."""
    if isinstance(refusal, dpa.AlreadySigned):
        signed = refusal.signature
        return _("%(name)s already signed version %(version)s for %(organisation)s on "
                 "%(moment)s.", name=signed.signer_name, version=signed.version,
                 organisation=signed.org_name, moment=formatting.moment(signed.signed_at))
    if isinstance(refusal, dpa.NotCurrentVersion):
        return (_("Only the version in force (%(version)s) can be signed.",
                  version=refusal.current.version) if refusal.current
                else _("No version of the DPA is in force."))
    kind = refusal if isinstance(refusal, type) else type(refusal)
    if issubclass(kind, dpa.SigningUnavailable):
        return _("The DPA cannot be signed in the console at the moment; the standard DPA can "
                 "still be downloaded.")
    if issubclass(kind, dpa.NotOrgAdmin):
        return _("Only the organisation's owner or admins can sign its DPA.")
    if issubclass(kind, dpa.NoOrganisation):
        return _("You are not a member of an organisation: there is nothing to sign for.")
    return _("This DPA cannot be signed.")


def _refused_entry(field: Any) -> str:
    """Why the service refused an entry the form let through: characters the PDF's fonts
    cannot show (the one check the form does not make)."""
    missing = dpa_pdf.unshowable(str(field.data or ""))
    if missing:
        return _("%(field)s has characters the document's font cannot show (%(characters)s): "
                 "write them in Latin letters.", field=field.label.text, characters=missing)
    return _("%(field)s: this was not accepted. Check what you entered.",
             field=field.label.text)


def _overview(identity: Identity) -> dpa.Overview:
    found = dpa.overview(identity)
    if found is None:
        abort(404)
    return found


@routes.get("/dpa")
@page_identity()
def dpa_page(identity: Identity) -> Any:
    overview = _overview(identity)
    body = None
    if overview.current is not None:
        document = dpa.unsigned_document(identity, overview.current)
        # the host's own template, autoescaped when rendered: an HTML fragment to show as is
        body = Markup(dpa_document.body_html(document))  # noqa: S704
    org = identity.org
    return render_template(
        "selfservice/dpa/page.html", identity=identity, overview=overview, body=body,
        processor=dpa_document.processor(),
        admins=dpa.admins_of(identity) if org and not org.is_admin else [],
        negotiated=dpa_negotiated.of_organisation(org.id) if org else [],
        change_request=dpa_negotiated.open_request_of(org.id) if org else None,
        answer_days=DPA_ANSWER_DAYS)


def _render_sign(identity: Identity, overview: dpa.Overview, form: DpaSignForm,
                 status: int = 200) -> Any:
    return render_template("selfservice/dpa/sign.html", identity=identity, overview=overview,
                           form=form, processor=dpa_document.processor()), status


def _refused(identity: Identity, overview: dpa.Overview) -> Any | None:
    """Where an account that cannot sign now goes instead of the form."""
    if identity.org is None:
        abort(404)
    if not identity.org.is_admin:
        abort(403)
    if overview.current is None or overview.certificate_sha256 is None:
        flash(_said(dpa.SigningUnavailable), "error")
        return redirect(url_for(".dpa_page"), 303)
    signed = overview.signed_current
    if signed is not None:
        flash(_said(dpa.AlreadySigned(signed)), "success")
        return redirect(url_for(".dpa_page"), 303)
    return None


@routes.get("/dpa/sign")
@page_identity(fresh=True)
def dpa_sign_page(identity: Identity) -> Any:
    overview = _overview(identity)
    refused = _refused(identity, overview)
    if refused is not None:
        return refused
    assert overview.current is not None and identity.org is not None
    form = DpaSignForm(data={"version": overview.current.version,
                             "legal_name": identity.org.name, "signer_name": identity.name,
                             "signer_email": identity.email})
    return _render_sign(identity, overview, form)


@routes.post("/dpa/sign")
@page_identity(fresh=True)
def dpa_sign_submit(identity: Identity) -> Any:
    overview = _overview(identity)
    refused = _refused(identity, overview)
    if refused is not None:
        return refused
    form = DpaSignForm()
    if not form.validate_on_submit():
        return _render_sign(identity, overview, form, 422)
    try:
        row = dpa.sign(identity, form.entries(), origin())
    except InvalidInput as exc:  # its words are the API's: the page says its own
        for name in exc.errors:
            form[name].errors = [_refused_entry(form[name])]
        return _render_sign(identity, overview, form, 422)
    except dpa.NotCurrentVersion as exc:
        form.form_errors.append(_("%(refusal)s It took effect while this page was open: please "
                                  "read it and sign again.", refusal=_said(exc)))
        if exc.current is not None:
            form.version.data = exc.current.version
        return _render_sign(identity, _overview(identity), form, 409)
    except dpa.DpaRefused as exc:  # another admin signed first, or signing was turned off
        flash(_said(exc), "error")
        return redirect(url_for(".dpa_page"), 303)
    flash(_("Signed. %(organisation)s's DPA, version %(version)s, is countersigned: "
            "download the signed PDF below.", organisation=row.org_name, version=row.version),
          "success")
    return redirect(url_for(".dpa_page", _anchor="dpa-signatures"), 303)


def _render_changes(identity: Identity, form: DpaChangesForm, status: int = 200) -> Any:
    assert identity.org is not None
    return render_template("selfservice/dpa/changes.html", identity=identity, form=form,
                           processor=dpa_document.processor(), answer_days=DPA_ANSWER_DAYS,
                           change_request=dpa_negotiated.open_request_of(identity.org.id)
                           ), status


@routes.route("/dpa/changes", ("GET", "POST"))
@limited("RATE_LIMIT_REQUESTS", "privacy-requests", methods=("POST",))
@page_identity()
def dpa_changes_page(identity: Identity) -> Any:
    """Ask for changes instead of signing: owners and admins (members 403, no organisation
    404); an organisation with a request open is shown it instead."""
    _overview(identity)
    if identity.org is None:
        abort(404)
    if not identity.org.is_admin:
        abort(403, _("Only the organisation's owner or admins can ask for changes to its DPA."))
    form = DpaChangesForm()
    if not form.validate_on_submit():
        return _render_changes(identity, form, 400 if form.is_submitted() else 200)
    try:
        item, _created = privacy_requests.create(identity, RequestType.DPA,
                                                 details={"changes": form.changes.data})
    except privacy_requests.InvalidRequest:  # the form checks the same first
        form.form_errors.append(_("What you wrote was not accepted: it must be plain text of "
                                  "at most %(most)s characters.",
                                  most=formatting.number(CHANGES_MAX)))
        return _render_changes(identity, form, 400)
    except privacy_requests.OpenRequestExists as exc:
        flash(_("%(organisation)s's request for changes, %(reference)s, is still open: our "
                "privacy officer answers it first.", organisation=identity.org.name,
                reference=exc.existing.reference), "error")
        return redirect(url_for(".dpa_page", _anchor="dpa-changes"), 303)
    flash(_("Request %(reference)s received. Our privacy officer answers within %(days)s "
            "days.", reference=item.reference, days=DPA_ANSWER_DAYS), "success")
    return redirect(url_for(".request_page", request_id=item.id), 303)
