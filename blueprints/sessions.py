"""Sign-in sessions over HTTP: "Sign out of all other sessions" on the Privacy settings page,
and its JSON twin."""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, url_for
from werkzeug.wrappers import Response as Redirect

from selfservice.auth import current_session_id
from selfservice.identity import Identity
from selfservice.models import AccountSession
from selfservice.services import sessions
from selfservice.translation import gettext as _
from selfservice.translation import ngettext

from .forms import ConfirmOnlyForm
from .guards import api_identity, page_identity
from .routing import Routes

api_routes = Routes()
page_routes = Routes()


def other_sessions(identity: Identity) -> list[AccountSession]:
    """The account's open sessions but this one, oldest first."""
    here = current_session_id()
    return [s for s in sessions.open_sessions(identity.account_id) if s.id != here]


def _end_others(identity: Identity) -> int:
    return sessions.end_others(identity.account_id, current_session_id() or "")


@api_routes.post("/sessions/revoke-others")
@api_identity()
def revoke_other_sessions(identity: Identity) -> Response:
    return jsonify({"ended": _end_others(identity)})


@page_routes.post("/sessions/revoke-others")
@page_identity()
def sign_out_other_sessions(identity: Identity) -> Redirect:
    if not ConfirmOnlyForm().validate_on_submit():
        abort(400, _("The page had expired, so nothing was changed. Please try again."))
    ended = _end_others(identity)
    if ended:
        flash(ngettext("Signed out of %(num)s other session. You are still signed in here.",
                       "Signed out of %(num)s other sessions. You are still signed in here.",
                       ended), "success")
    else:
        flash(_("You were not signed in anywhere else."), "success")
    return redirect(url_for(".index"), 303)
