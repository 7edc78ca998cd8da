"""The privacy officer's pages: a request's decision and deadline forms (an include for the
request's staff page, and a page of their own), the regulator's numbers, legal holds; and the
customer's appeal of a denial, from the request's page."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from selfservice.identity import Identity
from selfservice.models import OPEN_STATUSES, PrivacyRequest
from selfservice.schemas.base import InvalidInput
from selfservice.services import appeals, decisions, legal_holds, request_metrics
from selfservice.services import privacy_requests as requests_service
from selfservice.services.staff_access import PRIVACY_OFFICER, staff_role
from selfservice.state import get_state
from selfservice.text import is_identifier
from selfservice.translation import gettext as _

from .forms import ConfirmOnlyForm
from .guards import page_identity
from .routing import Routes
from .staff_guards import staff_page
from .support_decisions import bounds, period

page_routes = Routes()


def decision_context(item: PrivacyRequest, identity: Identity) -> dict[str, Any]:
    """What templates/selfservice/support/_decide.html shows of a request, for a staff
    member (a template global: ``support_decision(request, identity)``)."""
    is_open = item.status in OPEN_STATUSES
    return {
        "outcome_words": _outcome_words(item),
        "officer": staff_role(identity) == PRIVACY_OFFICER,
        "own": item.account_id == identity.account_id,
        "can_decide": is_open and item.type in decisions.MANUAL_TYPES
                      and item.decision is None,
        "can_extend": is_open and item.extended_due_at is None,
        "latest_extension": decisions.latest_extension(item),
        "effective_due": decisions.effective_due(item),
        "reason_codes": decisions.REASON_CODES,
        "recourse": appeals.recourse(item),
        "form": ConfirmOnlyForm(),
    }


def _outcome_words(item: PrivacyRequest) -> str:
    if item.decision == "completed":
        return _("Completed in part") if item.decision_code else _("Completed")
    return _("Denied") if item.decision == "denied" else str(item.decision or "")


def _not_changed(errors: dict[str, str]) -> str:
    return _("Nothing was changed: %(problems)s", problems="; ".join(
        f"{field.replace('_', ' ')} {message}" for field, message in errors.items()))


def context() -> dict[str, Any]:
    return {"support_decision": decision_context}


#: the request's staff page (the support queue's), where the forms are usually included
DETAIL_PAGE = "selfservice.support_request_page"


def _back(reference: str) -> Response:
    """Back to the page the form was on (``next``: a staff page of ours), else the request's
    staff page, else the decision page."""
    wanted = request.form.get("next", "")
    staff_pages = url_for("selfservice.decide_page", reference="X").rsplit("/requests/", 1)[0]
    if wanted.startswith(staff_pages + "/") and "//" not in wanted and "\\" not in wanted:
        return redirect(wanted, 303)
    endpoint = DETAIL_PAGE if DETAIL_PAGE in current_app.view_functions else \
        "selfservice.decide_page"
    return redirect(url_for(endpoint, reference=reference), 303)


def _act(reference: str, action: Any, done: str) -> Response:
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400)
    try:
        action()
    except InvalidInput as exc:
        flash(_not_changed(exc.errors), "error")
    except decisions.NotFound:
        abort(404)
    except decisions.DecisionError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return _back(reference)


def _field(name: str) -> str | None:
    value = request.form.get(name, "")
    return value if value.strip() else None


def _load(reference: str, identity: Identity) -> PrivacyRequest:
    wanted = reference.strip().upper()
    if not is_identifier(wanted) or len(wanted) > 16:
        abort(404)
    with get_state().db.read() as session:
        item = session.scalar(sa.select(PrivacyRequest)
                              .where(PrivacyRequest.reference == wanted))
    if item is None or item.account_id == identity.account_id:
        abort(404)
    return item


@page_routes.get("/support/requests/<reference>/decide")
@staff_page(privacy_officer_only=True)
def decide_page(identity: Identity, reference: str) -> str:
    return render_template("selfservice/support/decide.html", request=_load(reference, identity),
                           identity=identity, types=requests_service.TYPES,
                           jurisdictions=requests_service.JURISDICTIONS)


@page_routes.post("/support/requests/<reference>/decide")
@staff_page(privacy_officer_only=True)
def decide_form(identity: Identity, reference: str) -> Response:
    outcome = request.form.get("outcome", "")
    return _act(reference, lambda: decisions.decide(identity, reference, outcome,
                                                    _field("reason_code"), _field("message")),
                _("%(reference)s: completed. The customer has been told.", reference=reference)
                if outcome == "completed" else
                _("%(reference)s: denied. The customer has been told.", reference=reference))


@page_routes.post("/support/requests/<reference>/extend")
@staff_page(privacy_officer_only=True)
def extend_form(identity: Identity, reference: str) -> Response:
    return _act(reference, lambda: decisions.extend(identity, reference,
                                                    request.form.get("reason", "")),
                _("%(reference)s: deadline extended. The customer has been told why.",
                  reference=reference))


@page_routes.post("/support/requests/<reference>/message")
@staff_page(privacy_officer_only=True)
def message_form(identity: Identity, reference: str) -> Response:
    return _act(reference, lambda: decisions.write_to_customer(identity, reference,
                                                               request.form.get("text", "")),
                _("%(reference)s: your message was sent to the customer.", reference=reference))


@page_routes.get("/support/metrics")
@staff_page()
def metrics_page(identity: Identity) -> Any:
    status, error = 200, None
    try:
        first, last = period(request.args)
    except InvalidInput as exc:
        status, error = 400, "; ".join(exc.errors.values())
        first, last = period(MultiDict())
    start, end = bounds(first, last)
    return render_template("selfservice/support/metrics.html", identity=identity,
                           rows=request_metrics.metrics(start, end), first=first, last=last,
                           types=requests_service.TYPES, error=error,
                           officer=staff_role(identity) == PRIVACY_OFFICER), status


def _review_at(value: str) -> Any:
    """The form's day, at noon UTC; what it was when not a day (the service names it)."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return value
    return datetime.combine(day.date(), time(12), tzinfo=UTC)


@page_routes.route("/support/legal-holds", ("GET", "POST"))
@staff_page(privacy_officer_only=True)
def legal_holds_page(identity: Identity) -> Any:
    form, status = ConfirmOnlyForm(), 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        sources = [s.strip() for s in request.form.get("sources", "").split(",") if s.strip()]
        try:
            hold = legal_holds.place(request.form.get("account_id", "").strip(),
                                     request.form.get("reason", ""),
                                     _review_at(request.form.get("review_at", "")),
                                     sources or None, identity.account_id)
        except InvalidInput as exc:
            flash(_not_changed(exc.errors), "error")
            status = 400
        else:
            flash(_("Hold placed on %(account)s.", account=hold.account_id), "success")
            return redirect(url_for(".legal_holds_page"), 303)
    return render_template("selfservice/support/legal_holds.html", identity=identity,
                           holds=legal_holds.list_holds(active_only=True), form=form), status


@page_routes.post("/support/legal-holds/<hold_id>/release")
@staff_page(privacy_officer_only=True)
def release_hold_form(identity: Identity, hold_id: str) -> Response:
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400)
    try:
        legal_holds.release(hold_id, request.form.get("reason", ""), identity.account_id)
    except legal_holds.HoldNotFound:
        abort(404)
    except legal_holds.AlreadyReleased:
        flash(_("That hold was already released."), "error")
    except InvalidInput as exc:
        flash(_not_changed({"reason": exc.errors.get("reason", "")}), "error")
    else:
        flash(_("Hold released."), "success")
    return redirect(url_for(".legal_holds_page"), 303)


@page_routes.post("/requests/<request_id>/appeal")
@page_identity()
def appeal_request(identity: Identity, request_id: str) -> Response:
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400)
    try:
        item = appeals.appeal(identity, request_id)
    except decisions.NotFound:
        abort(404)
    except decisions.Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for(".request_page", request_id=request_id), 303)
    except requests_service.OpenRequestExists as exc:
        flash(_("Your appeal %(reference)s is still open.", reference=exc.existing.reference),
              "error")
        return redirect(url_for(".request_page", request_id=exc.existing.id), 303)
    flash(_("Appeal %(reference)s received.", reference=item.reference), "success")
    return redirect(url_for(".request_page", request_id=item.id), 303)
