"""Customer pages: privacy preferences, the training opt-in and the organisation's policy."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from selfservice.identity import Identity
from selfservice.models import ConsentMethod, OrgPolicy
from selfservice.purposes import METHODS, ORG_POLICIES, PURPOSES
from selfservice.services import consent, consent_types, org_training_policy
from selfservice.state import get_state
from selfservice.translation import gettext as _

from .forms import ConfirmOnlyForm, OrgPolicyForm, PreferencesForm, TrainingOptInForm
from .gpc import gpc_signal
from .guards import page_identity
from .routing import Routes

routes = Routes()


def _name_of(account_id: str | None) -> str | None:
    if account_id is None:
        return None
    identity = get_state().extension.load_identity(account_id)
    return identity.name if identity else None


@routes.get("/preferences")
@page_identity()
def preferences(identity: Identity) -> str:
    view = consent.get_preferences(identity)
    return _render_preferences(identity, view, _preferences_form(view))


@routes.post("/preferences")
@page_identity()
def save_preferences(identity: Identity) -> Any:
    form = PreferencesForm()
    if not form.validate_on_submit():
        view = consent.get_preferences(identity)
        return _render_preferences(identity, view, form), 400
    view = consent.get_preferences(identity)
    if form.head.data != str(view.head_seq):
        fresh = _preferences_form(view)
        fresh.form_errors.append(
            _("Your choices changed elsewhere (another tab, the API, or your browser's "
              "privacy signal) after this page was loaded. They are shown as they are now; "
              "review them and save again."))
        return _render_preferences(identity, view, fresh), 409
    view, events = consent.change_preferences(identity, {
        "marketing_emails": form.marketing_emails.data,
        "limit_sensitive_data": form.limit_sensitive_data.data,
        "do_not_sell_or_share": form.do_not_sell_or_share.data,
    }, method=ConsentMethod.CONSOLE)
    flash(_("Your choices are saved.") if events else _("Nothing changed."), "success")
    return redirect(url_for(".preferences"), 303)


@routes.route("/preferences/training", ("GET", "POST"))
@page_identity()
def training_opt_in(identity: Identity) -> Any:
    view = consent.get_preferences(identity)
    if view.training_opt_in or view.training_locked_by_org:
        return redirect(url_for(".preferences"), 303)
    version = consent_types.policy_version()
    form = TrainingOptInForm(data={"policy_version": version})
    status = 200
    if form.validate_on_submit():
        if form.policy_version.data != version:
            form.policy_version.data = version
            form.form_errors.append(_("The privacy policy changed while this page was open. "
                                      "Please read it again: version %(version)s is now in "
                                      "force.", version=version))
            status = 409
        else:
            try:
                consent.change_preferences(identity, {"training_opt_in": True},
                                           method=ConsentMethod.CONSOLE, version=version)
            except consent_types.TrainingLocked:
                flash(_("Your organisation's policy now decides this."), "error")
                return redirect(url_for(".preferences"), 303)
            flash(_("You opted in to model training. You can withdraw at any time here."),
                  "success")
            return redirect(url_for(".preferences"), 303)
    elif request.method == "POST":
        status = 400
    return render_template("selfservice/training_opt_in.html", form=form,
                           purpose=PURPOSES["training"], version=version,
                           policy_url=get_state().setting("POLICY_URL")), status


@routes.post("/preferences/training/withdraw")
@page_identity()
def training_withdraw(identity: Identity) -> Any:
    form = ConfirmOnlyForm()
    if not form.validate_on_submit():
        flash(_("The page had expired, so nothing was changed. Please try again."), "error")
        return redirect(url_for(".preferences"), 303)
    try:
        _view, events = consent.change_preferences(identity, {"training_opt_in": False},
                                                   method=ConsentMethod.CONSOLE)
    except consent_types.TrainingLocked:
        flash(_("Your organisation's policy decides this; ask its owner or an admin."),
              "error")
        return redirect(url_for(".preferences"), 303)
    flash(_("You withdrew your consent: your content is no longer used to train models.")
          if events else _("You were not opted in."), "success")
    return redirect(url_for(".preferences"), 303)


def _render_organisation(identity: Identity, view: consent_types.OrgPolicyView | None,
                         form: OrgPolicyForm | None, status: int) -> Any:
    return render_template("selfservice/organisation.html", identity=identity,
                           org=identity.org, view=view, form=form,
                           set_by_name=_name_of(view.set_by) if view else None,
                           policies=ORG_POLICIES), status


def _set_org_policy(identity: Identity, form: OrgPolicyForm, version: str) -> int | None:
    """Apply a submitted policy; the page's status on failure, None when it was applied."""
    if not form.validate_on_submit():
        return 400
    if form.policy_version.data != version:
        form.form_errors.append(_("The privacy policy changed (now version %(version)s); "
                                  "please review and submit again.", version=version))
        form.policy_version.data = version
        return 409
    org_training_policy.set_org_policy(identity, OrgPolicy(form.policy.data),
                                       method=ConsentMethod.CONSOLE, version=version)
    return None


@routes.route("/organisation", ("GET", "POST"))
@page_identity()
def organisation(identity: Identity) -> Any:
    org = identity.org
    if org is None:
        return _render_organisation(identity, None, None, 404)
    view = org_training_policy.get_org_policy(org.id)
    version = consent_types.policy_version()
    form = OrgPolicyForm(data={"policy": view.policy, "policy_version": version})
    if not org.is_admin:
        return _render_organisation(identity, view, None,
                                    403 if request.method == "POST" else 200)
    status = 200
    if request.method == "POST":
        refused = _set_org_policy(identity, form, version)
        if refused is None:
            flash(_("%(organisation)s's training policy is now: %(policy)s.",
                    organisation=org.name, policy=_(ORG_POLICIES[form.policy.data])),
                  "success")
            return redirect(url_for(".organisation"), 303)
        status = refused
    return _render_organisation(identity, view, form, status)


def _preferences_form(view: consent_types.PreferencesView) -> PreferencesForm:
    return PreferencesForm(formdata=None, data={
        "marketing_emails": view.marketing_emails,
        "limit_sensitive_data": view.limit_sensitive_data,
        "do_not_sell_or_share": view.do_not_sell_or_share,
        "head": str(view.head_seq),
    })


def _render_preferences(identity: Identity, view: consent_types.PreferencesView,
                        form: PreferencesForm) -> str:
    events, report = consent.list_events(identity.account_id)
    org_policy = view.org_policy
    return render_template(
        "selfservice/preferences.html", identity=identity, view=view, form=form,
        withdraw_form=ConfirmOnlyForm(), purposes=PURPOSES, methods=METHODS,
        events=list(reversed(events)), chain=report,
        org_policy=org_policy, org_policies=ORG_POLICIES,
        set_by_name=_name_of(org_policy.set_by) if org_policy else None,
        gpc=gpc_signal(), version=consent_types.policy_version(),
        policy_url=get_state().setting("POLICY_URL"),
    )

