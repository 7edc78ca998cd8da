"""Staff access over HTTP: a support agent or privacy officer reveals the account behind a
request (with a reason, recorded), and the customer reads who accessed their data."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify

from selfservice.identity import Identity
from selfservice.services import staff_access

from .guards import api_identity
from .routing import Routes
from .staff_guards import staff_api
from .validation import accepts

api_routes = Routes()


@api_routes.post("/support/requests/<reference>/reveal")
@staff_api()
@accepts("RevealRequest")
def reveal_request(identity: Identity, reference: str, body: dict[str, Any]) -> Response:
    try:
        revealed = staff_access.reveal_for_request(identity, reference, body["reason"])
    except staff_access.NothingToReveal:
        abort(404)
    return jsonify(revealed)


@api_routes.get("/access-log")
@api_identity()
def access_log(identity: Identity) -> Response:
    return jsonify([entry.as_json() for entry in staff_access.access_log(identity.account_id)])
