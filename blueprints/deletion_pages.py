"""Deletion pages: the danger zone (what deletion means, export first), the plan with the
typed confirmation, the page shown once the account is scheduled (and signed out), and the
grace-period page, the only one a customer with a scheduled deletion sees, to cancel it."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for

from selfservice.auth import is_fresh, sign_out
from selfservice.identity import Identity
from selfservice.models import OPEN_STATUSES, PrivacyRequest, RequestStatus, RequestType
from selfservice.services import deletion, deletion_mail, deletion_plans
from selfservice.services import privacy_requests as requests_service
from selfservice.sources import LEGAL_BASES
from selfservice.translation import gettext as _
from selfservice.translation import lazy_gettext as _l

from . import deletion_lock
from .forms import CancelDeletionForm, ConfirmDeletionForm, ConfirmOnlyForm
from .guards import home_url, login_url, page_identity
from .rate_limits import limited
from .routing import Routes

routes = Routes()

#: what each action means, in the customer's words (the plan's table)
ACTIONS = {"erase": _l("Erased"), "anonymise": _l("Anonymised"), "retain": _l("Kept"),
           "manual": _l("Erased by hand")}


def _open_deletion(account_id: str) -> PrivacyRequest | None:
    return next((r for r in requests_service.list_for(account_id)
                 if r.type == RequestType.DELETION and r.status in OPEN_STATUSES), None)


def _own_deletion(identity: Identity, request_id: str) -> PrivacyRequest:
    item = requests_service.get(identity.account_id, request_id)
    if item is None or item.type != RequestType.DELETION:
        abort(404)
    return item


@routes.get("/delete")
@page_identity()
def delete_account(identity: Identity) -> Any:
    return render_template("selfservice/deletion/start.html", identity=identity,
                           open_request=_open_deletion(identity.account_id),
                           grace_days=deletion_plans.grace_days(), fresh=is_fresh(),
                           form=ConfirmOnlyForm())


@routes.post("/delete")
@limited("RATE_LIMIT_REQUESTS", "privacy-requests")
@page_identity(fresh=True)
def start_deletion(identity: Identity) -> Any:
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400)
    item, _started = deletion.start(identity)
    return redirect(url_for(".deletion_plan_page", request_id=item.id), 303)


def _render_plan(identity: Identity, item: PrivacyRequest, form: ConfirmDeletionForm,
                 status: int = 200, blockers: list[Any] | None = None) -> Any:
    plan = deletion_plans.plan_for(identity, item)
    if blockers is not None:
        plan.blockers = blockers
    return render_template("selfservice/deletion/plan.html", identity=identity, item=item,
                           plan=plan, form=form, actions=ACTIONS, legal_bases=LEGAL_BASES,
                           cancel_form=ConfirmOnlyForm()), status


@routes.get("/delete/<request_id>")
@page_identity(fresh=True)
def deletion_plan_page(identity: Identity, request_id: str) -> Any:
    item = _own_deletion(identity, request_id)
    if item.status not in (RequestStatus.RECEIVED, RequestStatus.VERIFIED):
        return redirect(url_for(".request_page", request_id=item.id), 303)
    return _render_plan(identity, item, ConfirmDeletionForm())


@routes.post("/delete/<request_id>")
@page_identity(fresh=True)
def confirm_deletion_page(identity: Identity, request_id: str) -> Any:
    item = _own_deletion(identity, request_id)
    form = ConfirmDeletionForm()
    if not form.validate_on_submit():
        return _render_plan(identity, item, form, 422)
    try:
        confirmed = deletion.confirm(identity, item.id, form.confirm.data)
    except deletion.WrongConfirmation:
        form.confirm.errors = [_("That is not the e-mail address of this account, nor the "
                                 "reference %(reference)s.", reference=item.reference)]
        return _render_plan(identity, item, form, 422)
    except deletion.Blocked as exc:
        form.form_errors.append(_("Deletion is not possible yet: see what to do first, above."))
        return _render_plan(identity, item, form, 409, exc.blockers)
    except deletion.NotConfirmable:  # its message is the API's; the page has its own words
        flash(_("This deletion request can no longer be confirmed: its page shows where it "
                "stands."), "error")
        return redirect(url_for(".request_page", request_id=item.id), 303)
    if confirmed is None:
        abort(404)
    # the service ended every session of the account: this browser's cookie goes too
    sign_out("account_deletion")
    scheduled = deletion.deletion_of(item.id)
    return render_template("selfservice/deletion/confirmed.html", item=confirmed,
                           deletion=scheduled,
                           reminder_at=deletion_mail.reminder_at(scheduled) if scheduled else None,
                           sign_in_url=login_url(url_for(".deletion_scheduled")))


@routes.route("/delete/scheduled", ("GET", "POST"))
@page_identity()
def deletion_scheduled(identity: Identity) -> Any:
    found = deletion.scheduled_for_account(identity.account_id)
    if found is None:
        deletion_lock.forget()
        return redirect(home_url(), 303)
    item, scheduled = found
    form = CancelDeletionForm()
    status = 200
    if form.validate_on_submit():
        try:
            deletion.cancel(identity.account_id, item.id, form.reason.data or "")
        except deletion.ErasureBegun:
            form.form_errors.append(_("Erasure has already begun, so the deletion can no "
                                      "longer be canceled. You will get the certificate when "
                                      "it is done."))
            status = 409
        except requests_service.InvalidRequest:  # the form checks the same: seldom seen
            form.form_errors.append(_("The reason must be plain text of at most 300 "
                                      "characters."))
            status = 422
        else:
            deletion_lock.forget()
            flash(_("Your account is no longer scheduled for deletion: everything is as it "
                    "was. Welcome back."), "success")
            return redirect(url_for(".index"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("selfservice/deletion/scheduled.html", identity=identity,
                           item=item, deletion=scheduled, form=form,
                           plan=deletion_plans.plan_for(identity, item), actions=ACTIONS,
                           legal_bases=LEGAL_BASES, can_cancel=_cancelable(item)), status


@routes.post("/delete/scheduled/sign-out")
def deletion_sign_out() -> Any:
    """Sign out from the grace page, whatever the host's login (its own logout view, like
    every other page, leads to the grace page while the account is locked)."""
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400)
    sign_out("logout")
    return redirect(home_url(), 303)


def _cancelable(item: PrivacyRequest) -> bool:
    return item.status == RequestStatus.SCHEDULED


@routes.get("/requests/<request_id>/certificate")
@page_identity()
def deletion_certificate(identity: Identity, request_id: str) -> Any:
    item = _own_deletion(identity, request_id)
    done = deletion.deletion_of(item.id)
    if done is None or done.certificate is None:
        abort(404)
    response = Response(json.dumps(done.certificate, indent=2, sort_keys=True),
                        mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="deletion-certificate-{item.reference}.json"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


def request_page_context(identity: Identity, item: PrivacyRequest) -> dict[str, Any]:
    """What the request page shows of a deletion: its frozen plan and certificate."""
    if item.type != RequestType.DELETION:
        return {}
    confirmed = deletion.deletion_of(item.id)
    if confirmed is None:
        return {"deletion": None}
    return {"deletion": confirmed, "plan": deletion_plans.plan_for(identity, item),
            "actions": ACTIONS, "legal_bases": LEGAL_BASES,
            "jwks_url": url_for("selfservice_api.receipt_keys", _external=True)}
