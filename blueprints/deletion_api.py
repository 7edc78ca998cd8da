"""Deletion over the JSON API: the plan (a preview before confirmation, frozen after) and the
confirmation. A deletion is asked for (``POST /requests``) and canceled (``POST
/requests/{id}/cancel``) through the routes every request has."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from selfservice.identity import Identity
from selfservice.models import PrivacyRequest, RequestType
from selfservice.services import deletion, deletion_plans
from selfservice.services import privacy_requests as requests_service

from .guards import api_identity
from .privacy_requests import request_json
from .problems import problem
from .routing import Routes
from .validation import Invalid, accepts

routes = Routes()


def own_deletion(identity: Identity, request_id: str) -> PrivacyRequest | None:
    """The account's own deletion request; None for anyone else's and any other type."""
    item = requests_service.get(identity.account_id, request_id)
    return item if item is not None and item.type == RequestType.DELETION else None


def _not_found() -> Response:
    return problem(404, "not-found", "No such deletion request")


def blocked(exc: deletion.Blocked) -> Response:
    return problem(409, "deletion-blocked", "Something must be done before deletion",
                   " ".join(b.message for b in exc.blockers),
                   blockers=[{"code": b.code, "message": b.message,
                              "action_url": b.action_url, "action_label": b.action_label}
                             for b in exc.blockers])


@routes.get("/requests/<request_id>/deletion-plan")
@api_identity()
def deletion_plan(identity: Identity, request_id: str) -> Response:
    item = own_deletion(identity, request_id)
    if item is None:
        return _not_found()
    response = jsonify(deletion_plans.plan_for(identity, item).as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.post("/requests/<request_id>/confirm")
@api_identity(fresh=True)
@accepts("DeletionConfirm")
def confirm_deletion(identity: Identity, request_id: str, body: dict[str, Any]) -> Response:
    if own_deletion(identity, request_id) is None:
        return _not_found()
    try:
        item = deletion.confirm(identity, request_id, body["confirm"])
    except deletion.Blocked as exc:
        return blocked(exc)
    except deletion.WrongConfirmation:
        raise Invalid({"confirm": "must be your account's e-mail address or the request's "
                                  "reference; nothing was changed"}) from None
    except deletion.NotConfirmable as exc:
        return problem(409, "conflict", "This deletion cannot be confirmed", exc.message)
    if item is None:
        return _not_found()
    return jsonify(request_json(item))
