"""Customer pages of the Privacy section."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Blueprint, render_template

from selfservice.auth import auth_time, current_identity
from selfservice.extension import SelfService
from selfservice.sources import LEGAL_BASES
from selfservice.state import get_state

from . import cookies, preferences, requests
from .guards import login_required_page


def create_blueprint() -> Blueprint:
    templates = SelfService.template_folder()
    bp = Blueprint("selfservice", __name__, template_folder=templates,
                   static_folder=os.path.join(templates, "selfservice", "static"),
                   static_url_path="/static")

    @bp.get("/")
    @login_required_page
    def index() -> str:
        at = auth_time()
        sources = [s for s in get_state().extension.sources if not s.builtin]
        return render_template(
            "selfservice/index.html",
            identity=current_identity(),
            signed_in_at=datetime.fromtimestamp(at, UTC) if at else None,
            sources=sources,
            legal_bases=LEGAL_BASES,
        )

    preferences.register(bp)
    cookies.register_pages(bp)
    requests.register_pages(bp)
    return bp
