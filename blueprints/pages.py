"""Customer pages of the Privacy section: the blueprint that carries every capability's
pages, its overview page (each area's state at a glance) and the page of what we hold about
the customer."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Blueprint, render_template

from selfservice.auth import auth_time
from selfservice.identity import Identity
from selfservice.paths import TEMPLATE_FOLDER
from selfservice.services import overview, staff_access
from selfservice.sources import LEGAL_BASES

from . import (
    cookie_enforcement,
    cookie_pages,
    cookie_state,
    cookie_templates,
    deletion_lock,
    deletion_pages,
    dpa_pages,
    dpa_support,
    error_pages,
    hardening,
    preferences,
    presentation,
    privacy_requests,
    request_words,
    rights_pages,
    sessions,
    subprocessor_pages,
    support_decision_pages,
    support_pages,
    unavailable,
    unrouted,
)
from .forms import ConfirmOnlyForm
from .gpc import apply_gpc_to_account
from .guards import page_identity
from .routing import Routes

routes = Routes()


@routes.get("/")
@page_identity()
def index(identity: Identity) -> str:
    at = auth_time()
    cookies = cookie_state.cookie_state()
    chosen = cookies.decision.decided_at if cookies.decision else None
    return render_template(
        "selfservice/index.html",
        identity=identity,
        glance=overview.at_a_glance(identity),
        cookies=cookies,
        cookies_chosen_at=datetime.fromtimestamp(chosen, UTC) if chosen else None,
        signed_in_at=datetime.fromtimestamp(at, UTC) if at else None,
        other_sessions=sessions.other_sessions(identity),
        sessions_form=ConfirmOnlyForm(),
        access_log=staff_access.access_log(identity.account_id),
        access_reason=request_words.said_reason,
    )


@routes.get("/data")
@page_identity()
def data_page(identity: Identity) -> str:
    # the sources' words are the host's: the template says them through ss_text
    return render_template("selfservice/data.html", identity=identity,
                           sources=overview.registered_sources(), legal_bases=LEGAL_BASES)


def create_blueprint() -> Blueprint:
    bp = Blueprint("selfservice", __name__, template_folder=TEMPLATE_FOLDER,
                   static_folder=os.path.join(TEMPLATE_FOLDER, "selfservice", "static"),
                   static_url_path="/static")
    unrouted.hide_routes(bp)  # the staff pages, before anything else looks at a request
    unavailable.register(bp)
    bp.before_app_request(apply_gpc_to_account)
    # a customer whose deletion is scheduled sees only the page to cancel it
    bp.before_app_request(deletion_lock.enforce)
    cookie_enforcement.register_hooks(bp)
    error_pages.register(bp)
    presentation.register(bp)
    bp.app_context_processor(cookie_templates.context)
    bp.app_context_processor(support_decision_pages.context)
    for module_routes in (routes, preferences.routes, privacy_requests.page_routes,
                          rights_pages.routes, cookie_pages.routes, sessions.page_routes,
                          deletion_pages.routes,
                          support_pages.page_routes, support_decision_pages.page_routes,
                          subprocessor_pages.page_routes, dpa_pages.routes,
                          dpa_support.page_routes):
        module_routes.register(bp)
    hardening.protect(bp, api=False)
    return bp
