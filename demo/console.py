"""The console's own pages: a public landing page and the signed-in dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from selfservice import current_identity

from .models import ApiKey, GpuInstance, InferenceLog, Invoice

bp = Blueprint("console", __name__)

USAGE_WINDOW = timedelta(days=30)


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
                           usage_days=USAGE_WINDOW.days, keys=keys, instances=instances,
                           invoice=invoice)


@bp.app_template_filter("money")
def money(cents: int, currency: str) -> str:
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency)
    amount = f"{cents / 100:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


@bp.app_template_filter("day")
def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


@bp.app_context_processor
def console_context() -> dict[str, Any]:
    # the layout shows who is signed in on every page, the plugin's pages included
    return {"console_identity": current_identity}
