"""Legal holds and the retention plan over the JSON API, for privacy officers only. Anyone
else, customers and support agents alike, gets the 404 of a path that does not exist."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.services import legal_holds as service
from selfservice.services import retention
from selfservice.text import is_identifier

from .problems import problem
from .routing import Routes
from .staff_guards import officer_api
from .validation import Invalid, accepts, parse_time

routes = Routes()
_STATUSES = ("active", "all")


def _one_arg(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise Invalid({name: "must be given once"})
    return values[0] if values else None


@routes.get("/legal-holds")
@officer_api()
def list_legal_holds(identity: Identity) -> Response:
    account_id, status = _one_arg("account_id"), _one_arg("status") or "active"
    errors = {}
    if account_id is not None and not is_identifier(account_id):
        errors["account_id"] = "must be an account id (1 to 64 characters, no control " \
                               "characters)"
    if status not in _STATUSES:
        errors["status"] = "must be one of active, all"
    if errors:
        raise Invalid(errors)
    holds = service.list_holds(account_id, active_only=status == "active")
    response = jsonify({"holds": [service.as_dict(hold) for hold in holds]})
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.post("/legal-holds")
@officer_api()
@accepts("LegalHoldCreate")
def place_legal_hold(identity: Identity, body: dict[str, Any]) -> Response:
    hold = service.place(body["account_id"], body["reason"],
                         parse_time(body["review_at"], "review_at"), body.get("sources"),
                         identity.account_id)
    response = jsonify(service.as_dict(hold))
    response.status_code = 201
    response.headers["Location"] = url_for(".list_legal_holds", account_id=hold.account_id)
    return response


@routes.post("/legal-holds/<hold_id>/release")
@officer_api()
@accepts("LegalHoldRelease")
def release_legal_hold(identity: Identity, hold_id: str, body: dict[str, Any]) -> Response:
    try:
        hold = service.release(hold_id, body["reason"], identity.account_id)
    except service.HoldNotFound:
        return problem(404, "not-found", "No such legal hold")
    except service.AlreadyReleased as exc:
        released = exc.hold.released_at.isoformat() if exc.hold.released_at else ""
        return problem(409, "conflict", "This legal hold was already released",
                       f"It was released at {released}.")
    return jsonify(service.as_dict(hold))


@routes.get("/retention/plan")
@officer_api()
def retention_plan(identity: Identity) -> Response:
    now = utcnow()
    response = jsonify({"generated_at": now.isoformat(),
                        "rules": [item.as_dict() for item in retention.plan(now)]})
    response.headers["Cache-Control"] = "no-store"
    return response
