"""The JSON API: identity, session, health, OpenAPI document, problem types; the blueprint
that carries every capability's API views."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException, default_exceptions

from selfservice.auth import auth_time, current_identity, sign_out
from selfservice.identity import Identity
from selfservice.services import diagnostics
from selfservice.state import get_state

from . import (
    consent_api,
    cookie_api,
    deletion_api,
    dpa_api,
    dpa_support,
    hardening,
    legal_holds,
    openapi,
    privacy_requests,
    sessions,
    staff_access,
    subprocessor_api,
    support_api,
    support_decisions,
    unavailable,
    unrouted,
)
from .guards import api_identity, check_csrf, service_token_name
from .problems import PROBLEM_TYPES, describe, problem
from .routing import Routes
from .validation import Invalid, invalid_response

_STATUS_SLUGS = {400: "validation-error", 401: "not-authenticated", 403: "forbidden",
                 404: "not-found", 405: "method-not-allowed", 409: "conflict",
                 413: "payload-too-large", 429: "rate-limited", 503: "unavailable"}

routes = Routes()


def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {name: value for name, value in exc.get_headers()
               if name.lower() != "content-type"}  # Allow, with a 405
    return problem(status, _STATUS_SLUGS.get(status, "server-error"), exc.name, exc.description,
                   headers=headers)


def invalid_input(exc: Invalid) -> Response:
    return invalid_response(exc.errors)


@routes.get("/me")
@api_identity()
def me(identity: Identity) -> Response:
    at = auth_time()
    body: dict[str, Any] = identity.as_json()
    body["auth_time"] = (datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
                         if at else None)
    body["csrf_token"] = generate_csrf()
    return jsonify(body)


@routes.delete("/session")
@api_identity()
def end_session(identity: Identity) -> Response:
    sign_out("logout")  # on the server too: a copy of the cookie is worth nothing now
    return Response(status=204)


@routes.get("/health")
def health() -> Response:
    report = diagnostics.health()
    identity = current_identity()
    trusted = service_token_name() is not None or (
        identity is not None and identity.has_role(get_state().setting("SUPPORT_ROLE")))
    body = report if trusted else {"status": report["status"]}
    response = jsonify(body)
    response.status_code = 200 if report["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/health/live")
def liveness() -> Response:
    """For a load balancer or a supervisor: this process answers HTTP. No database, no Redis."""
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/health/ready")
def readiness() -> Response:
    """For a load balancer: this process can serve, its database answers (Redis and the workers
    are /health's business: the console works without them)."""
    report = diagnostics.readiness()
    response = jsonify({"status": report["status"]})
    response.status_code = 200 if report["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(openapi.document())


@routes.get("/problems/<slug>")
def problem_type(slug: str) -> Response:
    if slug not in PROBLEM_TYPES:
        abort(404)
    return jsonify({"type": slug, "description": describe(slug)})


def create_blueprint() -> Blueprint:
    bp = Blueprint(openapi.API_BLUEPRINT, __name__)
    unrouted.register(bp)
    unavailable.register(bp)
    bp.before_request(check_csrf)
    bp.register_error_handler(HTTPException, http_error)
    for code in default_exceptions:
        # by code too: Flask prefers a host's handler for a code over a blueprint's by class
        bp.register_error_handler(code, http_error)
    bp.register_error_handler(Invalid, invalid_input)
    for module_routes in (routes, consent_api.routes, privacy_requests.api_routes,
                          cookie_api.routes, sessions.api_routes, legal_holds.routes,
                          staff_access.api_routes, deletion_api.routes,
                          support_api.api_routes, support_decisions.api_routes,
                          subprocessor_api.api_routes, dpa_api.routes,
                          dpa_support.api_routes):
        module_routes.register(bp)
    hardening.protect(bp, api=True)
    return bp
