"""The site's /.well-known documents: the Global Privacy Control declaration."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from . import hardening
from .routing import Routes

#: when the site last changed how it honours Global Privacy Control
GPC_DECLARED = "2026-11-27"

routes = Routes()


@routes.get("/.well-known/gpc.json")
def gpc_json() -> Response:
    response = jsonify({"gpc": True, "lastUpdate": GPC_DECLARED})
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def create_blueprint() -> Blueprint:
    bp = Blueprint("selfservice_well_known", __name__)
    routes.register(bp)
    hardening.register(bp)
    return bp
