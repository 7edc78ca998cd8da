"""Customer pages: privacy preferences, the training opt-in, the organisation's policy,
and the Global Privacy Control hook."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from selfservice.auth import current_account_id, current_identity
from selfservice.identity import Identity
from selfservice.models import ConsentMethod, OrgPolicy
from selfservice.purposes import METHODS, ORG_POLICIES, PURPOSES
from selfservice.services import consent
from selfservice.state import get_state

from .forms import ConfirmOnlyForm, OrgPolicyForm, PreferencesForm, TrainingOptInForm
from .guards import login_required_page

logger = logging.getLogger(__name__)
_GPC_SEEN = "_selfservice_gpc"


def _identity() -> Identity:
    identity = current_identity()
    assert identity is not None
    return identity


def _name_of(account_id: str | None) -> str | None:
    if account_id is None:
        return None
    identity = get_state().extension.load_identity(account_id)
    return identity.name if identity else None


def gpc_requested() -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def honour_gpc() -> None:
    """before_app_request: a logged-in customer's browser sends Global Privacy Control, so
    "do not sell or share" is recorded (once per account; the session remembers it is done)."""
    if not gpc_requested() or request.endpoint in (None, "static") or (
            request.endpoint or "").endswith(".static"):
        return
    account_id = current_account_id()
    if account_id is None or session.get(_GPC_SEEN) == account_id:
        return
    try:
        consent.honour_gpc(account_id)
    except sa.exc.SQLAlchemyError:
        # the host's page must not fail because of it; the next request tries again
        logger.warning("could not record a Global Privacy Control signal", exc_info=True)
        return
    session[_GPC_SEEN] = account_id


def register(bp: Blueprint) -> None:
    bp.before_app_request(honour_gpc)

    @bp.get("/preferences")
    @login_required_page
    def preferences() -> str:
        identity = _identity()
        view = consent.get_preferences(identity)
        return _render_preferences(identity, view, _preferences_form(view))

    @bp.post("/preferences")
    @login_required_page
    def save_preferences() -> Any:
        identity = _identity()
        form = PreferencesForm()
        if not form.validate_on_submit():
            view = consent.get_preferences(identity)
            return _render_preferences(identity, view, form), 400
        view = consent.get_preferences(identity)
        if form.head.data != str(view.head_seq):
            fresh = _preferences_form(view)
            fresh.form_errors.append(
                "Your choices changed elsewhere (another tab, the API, or your browser's "
                "privacy signal) after this page was loaded. They are shown as they are now; "
                "review them and save again.")
            return _render_preferences(identity, view, fresh), 409
        view, events = consent.change_preferences(identity, {
            "marketing_emails": form.marketing_emails.data,
            "limit_sensitive_data": form.limit_sensitive_data.data,
            "do_not_sell_or_share": form.do_not_sell_or_share.data,
        }, method=ConsentMethod.CONSOLE)
        flash("Your choices are saved." if events else "Nothing changed.", "success")
        return redirect(url_for(".preferences"), 303)

    @bp.route("/preferences/training", methods=["GET", "POST"])
    @login_required_page
    def training_opt_in() -> Any:
        identity = _identity()
        view = consent.get_preferences(identity)
        if view.training_opt_in or view.training_locked_by_org:
            return redirect(url_for(".preferences"), 303)
        version = consent.policy_version()
        form = TrainingOptInForm(data={"policy_version": version})
        status = 200
        if form.validate_on_submit():
            if form.policy_version.data != version:
                form.policy_version.data = version
                form.form_errors.append("The privacy policy changed while this page was open. "
                                        f"Please read it again: version {version} is now in "
                                        "force.")
                status = 409
            else:
                try:
                    consent.change_preferences(identity, {"training_opt_in": True},
                                               method=ConsentMethod.CONSOLE, version=version)
                except consent.TrainingLocked:
                    flash("Your organisation's policy now decides this.", "error")
                    return redirect(url_for(".preferences"), 303)
                flash("You opted in to model training. You can withdraw at any time here.",
                      "success")
                return redirect(url_for(".preferences"), 303)
        elif request.method == "POST":
            status = 400
        return render_template("selfservice/training_opt_in.html", form=form,
                               purpose=PURPOSES["training"], version=version,
                               policy_url=get_state().setting("POLICY_URL")), status

    @bp.post("/preferences/training/withdraw")
    @login_required_page
    def training_withdraw() -> Any:
        identity = _identity()
        form = ConfirmOnlyForm()
        if not form.validate_on_submit():
            flash("Your session expired; please try again.", "error")
            return redirect(url_for(".preferences"), 303)
        try:
            _, events = consent.change_preferences(identity, {"training_opt_in": False},
                                                   method=ConsentMethod.CONSOLE)
        except consent.TrainingLocked:
            flash("Your organisation's policy decides this; ask its owner or an admin.",
                  "error")
            return redirect(url_for(".preferences"), 303)
        flash("You withdrew your consent: your content is no longer used to train models."
              if events else "You were not opted in.", "success")
        return redirect(url_for(".preferences"), 303)

    @bp.route("/organisation", methods=["GET", "POST"])
    @login_required_page
    def organisation() -> Any:
        identity = _identity()
        if identity.org is None:
            return render_template("selfservice/organisation.html", identity=identity,
                                   org=None), 404
        view = consent.get_org_policy(identity.org.id)
        version = consent.policy_version()
        form = OrgPolicyForm(data={"policy": view.policy, "policy_version": version})
        status = 200
        if request.method == "POST":
            if not identity.org.is_admin:
                return render_template("selfservice/organisation.html", identity=identity,
                                       org=identity.org, view=view, form=None,
                                       set_by_name=_name_of(view.set_by),
                                       policies=ORG_POLICIES), 403
            if form.validate_on_submit():
                if form.policy_version.data != version:
                    form.form_errors.append(f"The privacy policy changed (now version "
                                            f"{version}); please review and submit again.")
                    form.policy_version.data = version
                    status = 409
                else:
                    consent.set_org_policy(identity, OrgPolicy(form.policy.data),
                                           method=ConsentMethod.CONSOLE, version=version)
                    flash(f"{identity.org.name}'s training policy is now: "
                          f"{ORG_POLICIES[form.policy.data]}.", "success")
                    return redirect(url_for(".organisation"), 303)
            else:
                status = 400
        return render_template("selfservice/organisation.html", identity=identity,
                               org=identity.org, view=view,
                               form=form if identity.org.is_admin else None,
                               set_by_name=_name_of(view.set_by), policies=ORG_POLICIES
                               ), status


def _preferences_form(view: consent.PreferencesView) -> PreferencesForm:
    return PreferencesForm(formdata=None, data={
        "marketing_emails": view.marketing_emails,
        "limit_sensitive_data": view.limit_sensitive_data,
        "do_not_sell_or_share": view.do_not_sell_or_share,
        "head": str(view.head_seq),
    })


def _render_preferences(identity: Identity, view: consent.PreferencesView,
                        form: PreferencesForm) -> str:
    events, report = consent.list_events(identity.account_id)
    org_policy = view.org_policy
    return render_template(
        "selfservice/preferences.html", identity=identity, view=view, form=form,
        withdraw_form=ConfirmOnlyForm(), purposes=PURPOSES, methods=METHODS,
        events=list(reversed(events)), chain=report,
        org_policy=org_policy, org_policies=ORG_POLICIES,
        set_by_name=_name_of(org_policy.set_by) if org_policy else None,
        gpc=gpc_requested(), version=consent.policy_version(),
        policy_url=get_state().setting("POLICY_URL"),
    )

