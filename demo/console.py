"""The console's own pages: a public landing page and the signed-in dashboard."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from flask_babel import format_currency, format_number, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from selfservice import Identity, current_identity
from selfservice.translation import N_

from .models import Account, ApiKey, GpuInstance, InferenceLog, Invoice, Membership

bp = Blueprint("console", __name__)

USAGE_WINDOW = timedelta(days=30)
#: a member's role in an organisation, in words
ROLES = {"owner": _l("Owner"), "admin": _l("Administrator"), "member": _l("Member")}
#: an invoice's status, as stored (shown through ss_text)
INVOICE_STATUSES = (N_("paid"), N_("open"))


@bp.get("/")
def home() -> str:
    return render_template("console/home.html")


@bp.get("/console")
@login_required
def dashboard() -> str:
    identity = current_identity()
    account_id = str(current_user.get_id())
    since = datetime.now(UTC) - USAGE_WINDOW
    engine: sa.Engine = current_app.extensions["demo"].engine
    with engine.connect() as connection:
        calls = connection.scalar(
            sa.select(sa.func.count())
            .select_from(InferenceLog)
            .where(InferenceLog.account_id == account_id, InferenceLog.created_at >= since)
        )
        keys = connection.execute(
            sa.select(ApiKey.name, ApiKey.prefix, ApiKey.created_at, ApiKey.last_used_at)
            .where(ApiKey.account_id == account_id)
            .order_by(ApiKey.created_at)
        ).all()
        instances = connection.execute(
            sa.select(GpuInstance.id, GpuInstance.gpu_type, GpuInstance.region,
                      GpuInstance.created_at, GpuInstance.terminated_at)
            .where(GpuInstance.account_id == account_id)
            .order_by(GpuInstance.created_at.desc())
        ).all()
        invoice = connection.execute(
            sa.select(Invoice.id, Invoice.period, Invoice.amount_cents, Invoice.currency,
                      Invoice.status, Invoice.issued_at)
            .where(Invoice.account_id == account_id)
            .order_by(Invoice.issued_at.desc())
            .limit(1)
        ).one_or_none()
    return render_template("console/dashboard.html", identity=identity, calls=calls or 0,
                           calls_shown=format_number(calls or 0), roles=ROLES,
                           usage_days=USAGE_WINDOW.days, keys=keys, instances=instances,
                           invoice=invoice)


@bp.get("/legal/privacy-policy")
def privacy_policy() -> Any:
    return send_from_directory(os.path.join(bp.root_path, "static"), "privacy-policy.txt",
                               mimetype="text/plain")


class LeaveForm(FlaskForm):
    """Only the CSRF token."""


def _member() -> Identity:
    """The signed-in account, which must belong to an organisation (404 otherwise)."""
    identity = current_identity()
    if identity is None or identity.org is None:
        abort(404)
    return identity


@bp.get("/console/team")
@login_required
def team() -> Any:
    identity = _member()
    assert identity.org is not None
    engine: sa.Engine = current_app.extensions["demo"].engine
    with engine.connect() as connection:
        members = connection.execute(
            sa.select(Account.name, Membership.role)
            .join_from(Membership, Account, Membership.account_id == Account.id)
            .where(Membership.org_id == identity.org.id)
            .order_by(Membership.role, Account.name)).all()
    return render_template("console/team.html", identity=identity, members=members,
                           form=LeaveForm(), roles=ROLES)


@bp.post("/console/team/leave")
@login_required
def leave_team() -> Any:
    """The console's own membership change; then it tells the plugin (membership_changed)."""
    identity = _member()
    assert identity.org is not None
    if not LeaveForm().validate_on_submit():
        abort(400)
    if identity.org.role == "owner":
        flash(gettext("An owner cannot leave; hand the organisation to someone else first."),
              "error")
        return redirect(url_for(".team"), 303)
    engine: sa.Engine = current_app.extensions["demo"].engine
    with engine.begin() as connection:
        connection.execute(sa.delete(Membership).where(
            Membership.account_id == identity.account_id,
            Membership.org_id == identity.org.id))
    current_app.extensions["demo"].selfservice.membership_changed(identity.account_id)
    flash(gettext("You left %(organisation)s.", organisation=identity.org.name), "success")
    return redirect(url_for(".dashboard"), 303)


@bp.after_request
def server_side_analytics(response: Any) -> Any:
    """The console's server-side visit counter sets an HttpOnly analytics cookie on every
    page; the plugin drops it unless the visitor accepted analytics."""
    if response.mimetype == "text/html":
        response.set_cookie("_pk_ses.demo", "1", max_age=1800, httponly=True, samesite="Lax")
    return response


@bp.app_template_filter("money")
def money(cents: int, currency: str) -> str:
    """An amount as the reader writes it: "$1,234.50", "1.234,50 $"."""
    return str(format_currency(cents / 100, currency))


@bp.app_template_filter("day")
def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


@bp.app_context_processor
def console_context() -> dict[str, Any]:
    # the layout shows who is signed in on every page, the plugin's pages included
    return {"console_identity": current_identity}
