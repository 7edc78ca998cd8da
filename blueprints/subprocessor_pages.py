"""Sub-processor pages: the public list with the announced changes (signed out too) and, for an
organisation's owners and admins, the change-notice subscription form; the page to object to
a change (the notice e-mail links to it); the privacy officer's page of objections."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from selfservice import formatting, subprocessors
from selfservice.auth import current_identity
from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.schemas.base import InvalidInput
from selfservice.services import subprocessor_notices as notices
from selfservice.services import subprocessor_objections as objections
from selfservice.services.consent_types import NoOrganisation, NotOrgAdmin
from selfservice.state import get_state
from selfservice.text import is_free_text
from selfservice.translation import gettext as _
from selfservice.translation import lazy_gettext as _l

from .forms import REASON_REFUSAL, ConfirmOnlyForm
from .guards import login_url, page_identity
from .routing import Routes
from .staff_guards import staff_page

page_routes = Routes()


class SubscriptionForm(FlaskForm):
    """Subscribe the organisation to change notices ("yes") or unsubscribe it ("no")."""

    subscribed = HiddenField(validators=[AnyOf(["yes", "no"])])


class ObjectionForm(FlaskForm):
    reason = TextAreaField(
        _l("Why does your organisation object?"),
        validators=[DataRequired(message=_l("Say why your organisation objects.")),
                    Length(max=objections.MAX_TEXT, message=_l(
                        "Keep it to %(most)s characters.",
                        most=LazyString(formatting.number, objections.MAX_TEXT)))])

    def validate_reason(self, field: TextAreaField) -> None:
        if field.data and not is_free_text(field.data):
            raise ValidationError(REASON_REFUSAL)


def _context() -> dict[str, Any]:
    """What every sub-processor page shows of the list and its changes."""
    return {"words": subprocessors.FIELD_WORDS,
            "usual_days": get_state().setting("SUBPROCESSOR_NOTICE_DAYS")}


@page_routes.get("/subprocessors")
def subprocessors_page() -> str:
    config = get_state().config
    today = utcnow().date()
    identity = current_identity()
    subscription = form = None
    objected: set[str] = set()
    if identity is not None and identity.org is not None:
        subscription = notices.subscription(identity)
        if subscription.can_change:
            form = SubscriptionForm(data={"subscribed": "no" if subscription.subscribed
                                          else "yes"})
            objected = objections.objected_to(identity.org.id)
    return render_template(
        "selfservice/subprocessors/index.html", today=today, identity=identity,
        entries=subprocessors.listed(config, today),
        upcoming=subprocessors.upcoming(config, today), subscription=subscription,
        form=form, objected=objected, login=login_url(request.path), **_context())


@page_routes.post("/subprocessors/subscription")
@page_identity()
def subprocessor_subscription_form(identity: Identity) -> Response:
    form = SubscriptionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        view = notices.set_subscription(identity, form.subscribed.data == "yes")
    except NoOrganisation:
        abort(404)
    except NotOrgAdmin:
        abort(403, _("Only the organisation's owner or admins can change this."))
    if view.subscribed:
        flash(_("%(organisation)s is subscribed: its owners and admins get an e-mail when we "
                "announce a change (and now, of the changes already announced).",
                organisation=view.org_name), "success")
    else:
        flash(_("%(organisation)s no longer gets change notices.", organisation=view.org_name),
              "success")
    return redirect(url_for(".subprocessors_page") + "#notices", 303)


def _submit(identity: Identity, change: subprocessors.Change,
            form: ObjectionForm) -> tuple[int, str | None]:
    """Record the form's objection: (status, error) for the page; 303 when it was recorded."""
    if not form.validate_on_submit():
        return 400, None
    try:
        objections.object_to(identity, change.id, form.reason.data)
    except objections.ObjectionsClosed:  # its message is the API's: the page has its own
        return 422, _("Objections to this change closed at the end of %(day)s (UTC), when it "
                      "took effect. To raise a concern now, write to our privacy team.",
                      day=formatting.day(change.last_day_to_object, "short"))
    except objections.AlreadyObjected as exc:
        return 409, _("Your organisation objected to this change on %(day)s; the privacy "
                      "officer has it.", day=formatting.day(exc.objection.created_at, "short"))
    except InvalidInput:  # the form checks the same first
        form.form_errors.append(REASON_REFUSAL)
        return 400, None
    return 303, None


@page_routes.route("/subprocessors/changes/<change_id>/objection", ("GET", "POST"))
@page_identity()
def subprocessor_objection_page(identity: Identity, change_id: str) -> Any:
    try:
        change = objections.announced(change_id)
    except objections.ChangeNotFound:
        abort(404)
    org = identity.org
    if org is None:
        abort(404)
    status, error, form = 200, None, ObjectionForm()
    if not org.is_admin:
        status = 403
    elif request.method == "POST":
        status, error = _submit(identity, change, form)
        if status == 303:
            flash(_("Your objection is recorded. Our privacy officer will contact you about it."),
                  "success")
            return redirect(url_for(".subprocessor_objection_page", change_id=change.id), 303)
    existing = objections.of_organisation(org.id, change.id)
    sender = get_state().extension.load_identity(existing.account_id) if existing else None
    return render_template(
        "selfservice/subprocessors/objection.html", change=change, org=org, form=form,
        error=error, existing=existing, sender=sender,
        closed=utcnow() >= change.objections_until, **_context()), status


@page_routes.get("/support/subprocessor-objections")
@staff_page(privacy_officer_only=True)
def subprocessor_objections_page(identity: Identity) -> str:
    groups = objections.by_change()
    load = get_state().extension.load_identity
    objectors = {row.account_id: load(row.account_id)
                 for group in groups for row in group.objections}
    return render_template("selfservice/support/subprocessor_objections.html",
                           identity=identity, groups=groups, objectors=objectors,
                           form=ConfirmOnlyForm(), **_context())


@page_routes.post("/support/subprocessor-objections/<objection_id>/resolve")
@staff_page(privacy_officer_only=True)
def resolve_objection_form(identity: Identity, objection_id: str) -> Response:
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400)
    try:
        objections.resolve(identity, objection_id, request.form.get("note", ""))
    except objections.ObjectionNotFound:
        abort(404)
    except objections.AlreadyResolved:
        flash(_("This objection was already resolved."), "error")
    except InvalidInput:  # the service's words are the API's
        flash(_("Nothing was changed: the note must be plain text of 1 to %(most)s characters.",
                most=formatting.number(objections.MAX_TEXT)), "error")
    else:
        flash(_("Objection resolved."), "success")
    return redirect(url_for(".subprocessor_objections_page"), 303)
