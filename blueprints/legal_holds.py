"""Legal holds and the retention plan over the JSON API, for privacy officers only. Anyone
else, customers and support agents alike, gets the 404 of a path that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, abort, jsonify, request, url_for

from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.services import legal_holds as service
from selfservice.services import retention
from selfservice.state import get_state
from selfservice.text import is_identifier

from .guards import api_identity
from .problems import problem
from .routing import Routes
from .validation import Invalid, accepts, parse_time

F = TypeVar("F", bound=Callable[..., Any])
routes = Routes()
_STATUSES = ("active", "all")


def privacy_officer(view: F) -> F:
    """Only for SELFSERVICE_PRIVACY_OFFICER_ROLE; before the body is even read, anyone else
    gets 404."""

    @wraps(view)
    def wrapper(identity: Identity, *args: Any, **kwargs: Any) -> Any:
        if not identity.has_role(get_state().setting("PRIVACY_OFFICER_ROLE")):
            abort(404)  # the same answer as a path that does not exist
        return view(identity, *args, **kwargs)

    return cast(F, wrapper)


def _one_arg(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise Invalid({name: "must be given once"})
    return values[0] if values else None


@routes.get("/legal-holds")
@api_identity()
@privacy_officer
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
@api_identity()
@privacy_officer
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
@api_identity()
@privacy_officer
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
@api_identity()
@privacy_officer
def retention_plan(identity: Identity) -> Response:
    now = utcnow()
    response = jsonify({"generated_at": now.isoformat(),
                        "rules": [item.as_dict() for item in retention.plan(now)]})
    response.headers["Cache-Control"] = "no-store"
    return response
