"""Global Privacy Control: the browser's signal, and what it changes for a signed-in account."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import request, session

from selfservice.auth import current_account_id, is_static_request
from selfservice.services import consent

logger = logging.getLogger(__name__)
_GPC_SEEN = "_selfservice_gpc"


def gpc_signal() -> bool:
    """Does this request carry Global Privacy Control (``Sec-GPC: 1``)?"""
    return request.headers.get("Sec-GPC", "").strip() == "1"


def apply_gpc_to_account() -> None:
    """before_app_request: a signed-in customer's browser sends Global Privacy Control, so
    "do not sell or share" is recorded (once per account; the session remembers it is done)."""
    if not gpc_signal() or request.endpoint is None or is_static_request():
        return
    account_id = current_account_id()
    if account_id is None or session.get(_GPC_SEEN) == account_id:
        return
    try:
        consent.record_gpc_opt_out(account_id)
    except sa.exc.SQLAlchemyError:
        # the host's page must not fail because of it; the next request tries again
        logger.warning("could not record a Global Privacy Control signal", exc_info=True)
        return
    session[_GPC_SEEN] = account_id
