"""The support queue over the JSON API (support agents and privacy officers; anyone else gets
the 404 of a path that does not exist): the queue and its search, one request's detail, notes,
assignment, the acknowledgement resent, a failed export or erasure tried again, and health."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from selfservice.identity import Identity
from selfservice.services import support_actions as actions
from selfservice.services import support_detail, support_queue

from .problems import problem
from .routing import Routes
from .staff_guards import staff_api
from .validation import accepts

api_routes = Routes()


def _private(body: Any, status: int = 200) -> Response:
    """Staff answers are never cached (they name customers' requests)."""
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found() -> Response:
    return problem(404, "not-found", "No such request")


def _detail(identity: Identity, reference: str, status: int = 200, *,
            opened: bool = False) -> Response:
    show = support_detail.open_detail if opened else support_detail.detail
    found = show(identity, reference)
    return _not_found() if found is None else _private(found.body, status)


@api_routes.get("/support/requests")
@staff_api()
def support_queue_api(identity: Identity) -> Response:
    wanted = support_queue.parse_filter(request.args)
    return _private(support_queue.page(identity, wanted).as_json())


@api_routes.get("/support/requests/<reference>")
@staff_api()
def support_request_api(identity: Identity, reference: str) -> Response:
    return _detail(identity, reference, opened=True)


@api_routes.post("/support/requests/<reference>/notes")
@staff_api()
@accepts("SupportNoteCreate")
def support_add_note(identity: Identity, reference: str, body: dict[str, Any]) -> Response:
    try:
        note = actions.add_note(identity, reference, body["text"])
    except actions.NoSuchRequest:
        return _not_found()
    return _private(support_detail.note_json(note), 201)


@api_routes.post("/support/requests/<reference>/assign")
@staff_api()
@accepts("SupportAssign")
def support_assign(identity: Identity, reference: str, body: dict[str, Any]) -> Response:
    try:
        actions.assign(identity, reference, body["assignee"])
    except actions.NoSuchRequest:
        return _not_found()
    except actions.NotNow as exc:
        return problem(409, "conflict", "Not assigned", exc.message)
    return _detail(identity, reference)


@api_routes.post("/support/requests/<reference>/resend-acknowledgement")
@staff_api()
def support_resend(identity: Identity, reference: str) -> Response:
    try:
        job = actions.resend_acknowledgement(identity, reference)
    except actions.NoSuchRequest:
        return _not_found()
    except actions.NotNow as exc:
        return problem(409, "conflict", "Not sent", exc.message)
    return _private(support_detail.job_json(job), 202)


@api_routes.post("/support/requests/<reference>/retry")
@staff_api()
def support_retry(identity: Identity, reference: str) -> Response:
    try:
        actions.retry(identity, reference)
    except actions.NoSuchRequest:
        return _not_found()
    except actions.NotNow as exc:
        return problem(409, "conflict", "Nothing to try again", exc.message)
    return _detail(identity, reference, 202)


@api_routes.get("/support/health")
@staff_api()
def support_health(identity: Identity) -> Response:
    return _private(support_detail.health(identity))
