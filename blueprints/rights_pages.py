"""The rights' pages: the chooser with the customer's requests (``/requests``, which still
takes the one generic form older pages and scripts post), a page per right with only the
fields its request carries, what the customer adds to a request still open, and the settings
that are a right of their own (opting out of sale or sharing, limiting sensitive data).

Nothing typed is lost: a request of a type already open is not sent, the page comes back with
what was typed, ready to be added to the open one."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from selfservice.auth import is_fresh
from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.models import ConsentMethod, RequestType
from selfservice.services import appeals, consent, decisions, request_additions
from selfservice.services import privacy_requests as service
from selfservice.translation import gettext as _

from . import request_words, rights, rights_context
from .forms import RequestForm
from .guards import page_identity, reauth_url
from .rate_limits import limited
from .rights import Right
from .rights_forms import AddDetailsForm, AppealForm, CorrectionForm, DescribedForm, SettingForm
from .routing import Routes

routes = Routes()
Outcome = Response | tuple[int, dict[str, Any]]


def _right(slug: str) -> Right:
    right = rights.BY_SLUG.get(slug)
    if right is None:
        abort(404)
    return right


def _form(right: Right, identity: Identity, formdata: Any = None, **data: Any
          ) -> FlaskForm | None:
    """The right's form: from what was posted (``formdata``), else ``data`` over the
    defaults (the law from the account's country)."""
    if right.form is None:
        return None
    defaults = {"jurisdiction": service.default_jurisdiction(identity.country), **data}
    form = (right.form(formdata=formdata) if formdata is not None
            else right.form(formdata=None, data=defaults))
    if isinstance(form, AppealForm):
        form.decision.choices = [(item.id, item.reference)
                                 for item, _way in appeals.appealable(identity.account_id)]
    return form


def _render(identity: Identity, right: Right, form: FlaskForm | None, status: int = 200,
            add_form: AddDetailsForm | None = None, **extra: Any) -> Any:
    return render_template(right.template, **rights_context.of(
        identity, right, form, add_form or AddDetailsForm(prefix="add", formdata=None),
        **extra)), status


def _refused(form: FlaskForm, exc: service.InvalidRequest) -> None:
    """The service's refusal in the customer's words, on the form."""
    said = " ".join(exc.errors.values())
    if "state" in said:
        form.form_errors.append(_("Choose your state from the list, or leave it empty."))
    elif "plain text" in said:
        form.form_errors.append(_("Use plain text only: remove the control characters (such "
                                  "as NUL) or broken characters."))
    else:
        form.form_errors.append(_("What you wrote is too long. Please shorten it."))


def _ask(identity: Identity, right: Right, form: FlaskForm,
         details: dict[str, Any] | None = None) -> Outcome:
    """Send the request the form asks for: a redirect to it, or the page's status and what
    the page shows on refusal (the open request, the next export's date)."""
    kind = str(right.type)
    if kind in service.FRESH_LOGIN and not is_fresh():
        flash(_("Please sign in again to confirm it is you, then send the request."), "error")
        return redirect(reauth_url(url_for(".right_page", slug=right.slug)), 303)
    try:
        if isinstance(form, AppealForm):
            item = appeals.appeal(identity, form.decision.data, form.words.data or "")
        else:
            item, _created = service.create(
                identity, kind, jurisdiction=rights.jurisdiction(form),
                details=rights.details(form) if details is None else details,
                verified=kind in service.FRESH_LOGIN)
    except service.InvalidRequest as exc:
        _refused(form, exc)
        return 400, {}
    except service.OpenRequestExists as exc:
        return 409, {"conflict": exc.existing, "kept": rights.typed(form)}
    except service.RateLimited:
        return 429, {"refused_interval": True}
    except decisions.DecisionError:  # the decision cannot be appealed (any more)
        form.form_errors.append(_("This decision can no longer be appealed here. Choose "
                                  "another one."))
        return 409, {}
    flash(_("We received your request %(reference)s. This page shows what happens next.",
            reference=item.reference), "success")
    return redirect(url_for(".request_page", request_id=item.id), 303)


@routes.route("/requests", ("GET", "POST"))
@limited("RATE_LIMIT_REQUESTS", "privacy-requests", methods=("POST",))
@page_identity()
def requests_page(identity: Identity) -> Any:
    """The rights to choose from and the requests made. ``?type=`` opens that right's page;
    a POST of the generic form (type, jurisdiction, description, state, csv) is sent as that
    right's page would send it, and any refusal is shown on that right's page."""
    if request.method == "GET":
        wanted = rights.for_type(request.args.get("type"))
        if wanted is not None:
            return redirect(url_for(".right_page", slug=wanted.slug))
        return _render_list(identity)
    legacy = RequestForm()
    right = rights.for_type(legacy.type.data) if legacy.validate_on_submit() else None
    if right is None:
        return _render_list(identity, 400, refused=True)
    form = _from_legacy(right, identity, legacy)
    if isinstance(form, AppealForm):  # an appeal names its decision: its own page asks
        form.form_errors.append(_("Choose the decision you appeal."))
        return _render(identity, right, form, 400)
    outcome = _ask(identity, right, form, rights.details(form)
                   if right.type == RequestType.EXPORT else _legacy_details(legacy))
    if isinstance(outcome, Response):
        return outcome
    return _render(identity, right, form, outcome[0], **outcome[1])


def _render_list(identity: Identity, status: int = 200, refused: bool = False) -> Any:
    return render_template(
        "selfservice/requests.html", identity=identity, refused=refused,
        requests=service.list_for(identity.account_id),
        next_export_at=service.next_export_at(identity.account_id), now=utcnow()), status


def _from_legacy(right: Right, identity: Identity, legacy: RequestForm) -> FlaskForm:
    data: dict[str, Any] = {"jurisdiction": legacy.jurisdiction.data,
                            "state": legacy.state.data, "csv": legacy.csv.data}
    if right.form is CorrectionForm:
        data["wrong"] = legacy.description.data
    elif right.form is DescribedForm:
        data["description"] = legacy.description.data
    form = _form(right, identity, **data)
    assert form is not None
    return form


def _legacy_details(legacy: RequestForm) -> dict[str, Any]:
    """The generic form's details, as it always sent them (the service checks them)."""
    found: dict[str, Any] = ({"description": legacy.description.data}
                             if legacy.description.data else {})
    if legacy.state.data and legacy.jurisdiction.data == "us_state":
        found["state"] = legacy.state.data
    return found


@routes.get("/rights")
@page_identity()
def rights_index(identity: Identity) -> Response:
    return redirect(url_for(".requests_page", _anchor="rights"))


@routes.route("/rights/<slug>", ("GET", "POST"))
@limited("RATE_LIMIT_REQUESTS", "privacy-requests", methods=("POST",))
@page_identity()
def right_page(identity: Identity, slug: str) -> Any:
    right = _right(slug)
    if request.method == "GET":  # an appeal's page may come with its decision chosen
        return _render(identity, right, _form(right, identity,
                                              decision=request.args.get("decision")))
    if right.form is None:
        abort(405)
    form = _form(right, identity, formdata=request.form)
    assert form is not None
    if not form.validate_on_submit():
        return _render(identity, right, form, 400)
    outcome = _ask(identity, right, form)
    if isinstance(outcome, Response):
        return outcome
    return _render(identity, right, form, outcome[0], **outcome[1])


@routes.post("/requests/<request_id>/details")
@page_identity()
def add_request_details(identity: Identity, request_id: str) -> Any:
    """Add to the customer's own open request; any refusal comes back on its right's page
    with what was written."""
    item = service.get(identity.account_id, request_id)
    right = rights.for_type(item.type) if item is not None else None
    if item is None or right is None or item.type not in request_additions.APPENDABLE:
        abort(404)
    add_form = AddDetailsForm(prefix="add")
    form = _form(right, identity)
    if not add_form.validate_on_submit():
        return _render(identity, right, form, 400, add_form=add_form, adding=item)
    try:
        request_additions.add_details(identity.account_id, item.id, add_form.text.data)
    except request_additions.TooLong as exc:
        room = request_words.number(exc.room)
        add_form.text.errors = [_("This request has room for %(num)s more characters. "
                                  "Please shorten what you wrote.", num=room)]
        return _render(identity, right, form, 400, add_form=add_form, adding=item)
    except service.InvalidRequest as exc:
        _refused(add_form, exc)
        return _render(identity, right, form, 400, add_form=add_form, adding=item)
    except request_additions.NotOpen:
        kept = _form(right, identity, **_as_new(form, add_form.text.data or ""))
        return _render(identity, right, kept, 409, closed=item)
    flash(_("We added what you wrote to %(reference)s.", reference=item.reference), "success")
    return redirect(url_for(".request_page", request_id=item.id), 303)


def _as_new(form: FlaskForm | None, text: str) -> dict[str, Any]:
    """What was written to add to a request closed meanwhile, as the data of a new one."""
    if isinstance(form, CorrectionForm):
        return {"wrong": text}
    if isinstance(form, AppealForm):
        return {"words": text}
    return {"description": text}


@routes.post("/rights/<slug>/setting")
@page_identity()
def right_setting(identity: Identity, slug: str) -> Any:
    """A right that is a setting, switched at once (recorded in the consent history)."""
    right = _right(slug)
    form = SettingForm()
    if right.setting is None:
        abort(404)
    if not form.validate_on_submit() or form.value.data not in ("on", "off"):
        abort(400)
    on = form.value.data == "on"
    _view, events = consent.change_preferences(identity, {right.setting: on},
                                               method=ConsentMethod.CONSOLE)
    flash(rights_context.setting_words(right.setting, on) if events
          else _("Nothing changed: it was already set that way."), "success")
    return redirect(url_for(".right_page", slug=right.slug), 303)
