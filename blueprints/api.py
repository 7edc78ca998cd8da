"""The JSON API (API.md): identity, session, health, OpenAPI document, problem types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, session
from flask_login import logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from selfservice.auth import auth_time, current_account_id, current_identity
from selfservice.services import audit, diagnostics
from selfservice.state import get_state

from . import consent_api, cookies, openapi, requests
from .guards import api_auth, check_csrf, service_token_name
from .problems import PROBLEM_TYPES, problem

_STATUS_SLUGS = {400: "validation-error", 401: "not-authenticated", 403: "forbidden",
                 404: "not-found", 405: "method-not-allowed", 409: "conflict",
                 429: "rate-limited", 503: "unavailable"}


def create_blueprint() -> Blueprint:
    bp = Blueprint("selfservice_api", __name__)
    bp.before_request(check_csrf)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        return problem(status, _STATUS_SLUGS.get(status, "server-error"),
                       exc.name, exc.description)

    @bp.get("/me")
    @api_auth()
    def me() -> Response:
        identity = current_identity()
        assert identity is not None
        at = auth_time()
        body: dict[str, Any] = identity.as_json()
        body["auth_time"] = (datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
                             if at else None)
        body["csrf_token"] = generate_csrf()
        return jsonify(body)

    @bp.delete("/session")
    @api_auth()
    def end_session() -> Response:
        account_id = current_account_id()
        logout_user()
        session.clear()
        if account_id:
            audit.record_account_event(account_id, "auth.logout", actor_type="account",
                                       actor_id=account_id)
        return Response(status=204)

    @bp.get("/health")
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

    consent_api.register(bp)
    cookies.register_api(bp)
    requests.register_api(bp)

    @bp.get("/openapi.json")
    def openapi_document() -> Response:
        return jsonify(openapi.document())

    @bp.get("/problems/<slug>")
    def problem_type(slug: str) -> Response:
        if slug not in PROBLEM_TYPES:
            abort(404)
        return jsonify({"type": slug, "description": PROBLEM_TYPES[slug]})

    return bp
