"""JSON API of the sub-processors: the public list with the announced changes; an
organisation's subscription to change notices and its objections (owners and admins; members
may read the subscription; anyone without an organisation gets 404); the privacy officer's
view of the objections (staff routes: hidden from everyone else)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for

from selfservice import subprocessors
from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.services import subprocessor_notices as notices
from selfservice.services import subprocessor_objections as objections
from selfservice.services.consent_types import NoOrganisation, NotOrgAdmin
from selfservice.state import get_state

from .guards import api_identity
from .problems import problem
from .routing import Routes
from .staff_guards import staff_api
from .validation import accepts

api_routes = Routes()


def _usual_days() -> int:
    return int(get_state().setting("SUBPROCESSOR_NOTICE_DAYS"))


def change_json(change: subprocessors.Change) -> dict[str, Any]:
    return change.as_json(_usual_days())


def _no_org() -> Response:
    return problem(404, "not-found", "You are not a member of an organisation")


def _not_admin() -> Response:
    return problem(403, "forbidden", "Only the organisation's owner or admins can do this")


@api_routes.get("/subprocessors")
def subprocessor_list() -> Response:
    config = get_state().config
    today = utcnow().date()
    response = jsonify({
        "as_of": today.isoformat(), "notice_days": _usual_days(),
        "subprocessors": [entry.as_json() for entry in subprocessors.listed(config, today)],
        "upcoming": [change_json(c) for c in subprocessors.upcoming(config, today)]})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@api_routes.get("/dpa/subprocessor-subscription")
@api_identity()
def subprocessor_subscription(identity: Identity) -> Response:
    try:
        return jsonify(notices.subscription(identity).as_json())
    except NoOrganisation:
        return _no_org()


@api_routes.put("/dpa/subprocessor-subscription")
@api_identity()
@accepts("SubprocessorSubscriptionChange")
def set_subprocessor_subscription(identity: Identity, body: dict[str, Any]) -> Response:
    try:
        return jsonify(notices.set_subscription(identity, body["subscribed"]).as_json())
    except NoOrganisation:
        return _no_org()
    except NotOrgAdmin:
        return _not_admin()


def _closed(exc: objections.ObjectionsClosed) -> Response:
    return problem(422, "objections-closed", "Objections to this change are closed", str(exc),
                   errors=[{"field": "change_id", "message": str(exc)}],
                   effective_at=exc.change.effective_at.isoformat())


@api_routes.get("/dpa/subprocessor-changes/<change_id>/objection")
@api_identity()
def subprocessor_objection(identity: Identity, change_id: str) -> Response:
    if identity.org is None:
        return _no_org()
    if not identity.org.is_admin:
        return _not_admin()
    found = objections.of_organisation(identity.org.id, change_id)
    if found is None:
        return problem(404, "not-found", "Your organisation has not objected to this change")
    return jsonify(objections.objection_json(found))


@api_routes.post("/dpa/subprocessor-changes/<change_id>/objection")
@api_identity()
@accepts("SubprocessorObjectionCreate")
def object_to_subprocessor_change(identity: Identity, change_id: str,
                                  body: dict[str, Any]) -> Response:
    try:
        row = objections.object_to(identity, change_id, body["reason"])
    except objections.ChangeNotFound:
        return problem(404, "not-found", "No such announced change")
    except NoOrganisation:
        return _no_org()
    except NotOrgAdmin:
        return _not_admin()
    except objections.ObjectionsClosed as exc:
        return _closed(exc)
    except objections.AlreadyObjected as exc:
        return problem(409, "conflict", "Your organisation objected to this change already",
                       str(exc), objection=objections.objection_json(exc.objection))
    response = jsonify(objections.objection_json(row))
    response.status_code = 201
    response.headers["Location"] = url_for(".subprocessor_objection", change_id=change_id)
    return response


def _officer_row(row: Any) -> dict[str, Any]:
    objector = get_state().extension.load_identity(row.account_id)
    return objections.objection_json(row) | {
        "account_id": row.account_id,
        "objector": {"name": objector.name, "email": objector.email} if objector else None}


@api_routes.get("/support/subprocessor-objections")
@staff_api(privacy_officer_only=True)
def subprocessor_objections(identity: Identity) -> Response:
    return jsonify({"changes": [
        {"change_id": item.change_id,
         "change": change_json(item.change) if item.change else None,
         "objections": [_officer_row(row) for row in item.objections]}
        for item in objections.by_change()]})


@api_routes.post("/support/subprocessor-objections/<objection_id>/resolve")
@staff_api(privacy_officer_only=True)
@accepts("SubprocessorObjectionResolve")
def resolve_subprocessor_objection(identity: Identity, objection_id: str,
                                   body: dict[str, Any]) -> Response:
    try:
        row = objections.resolve(identity, objection_id, body["note"])
    except objections.ObjectionNotFound:
        return problem(404, "not-found", "No such objection")
    except objections.AlreadyResolved as exc:
        return problem(409, "conflict", str(exc))
    return jsonify(objections.objection_json(row))
