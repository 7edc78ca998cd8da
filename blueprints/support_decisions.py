"""A privacy officer's work on a request over the JSON API: decide, extend the deadline, write
to the customer, confirm a manual deletion step; and the regulator's numbers for staff. Anyone
but staff gets the 404 of a path that does not exist; support agents get 403 where only a
privacy officer may act."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response, jsonify, request, stream_with_context
from werkzeug.datastructures import MultiDict

from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.models import PrivacyRequest
from selfservice.services import appeals, decisions, request_metrics, request_records

from .problems import problem
from .routing import Routes
from .staff_guards import staff_api
from .validation import Invalid, accepts, parse_time

api_routes = Routes()
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def refusal(exc: decisions.DecisionError) -> Response:
    """The API's answer to an action the service would not do (nothing was changed)."""
    if isinstance(exc, decisions.NotFound):
        return problem(404, "not-found", "No such request")
    if isinstance(exc, decisions.NotOfficer):
        return problem(403, "forbidden", "Not allowed", str(exc))
    members = ({"decision": exc.decision} if isinstance(exc, decisions.AlreadyDecided)
               else {})
    return problem(409, "conflict", "Not possible now", str(exc), **members)


def decision_body(item: PrivacyRequest) -> dict[str, Any]:
    found = appeals.recourse(item)
    return {"reference": item.reference, "status": item.status,
            **(decisions.decision_json(item) or {}),
            "recourse": found.as_json() if found else None}


@api_routes.post("/support/requests/<reference>/decision")
@staff_api(privacy_officer_only=True)
@accepts("DecisionRequest")
def decide_request(identity: Identity, reference: str, body: dict[str, Any]) -> Response:
    try:
        item = decisions.decide(identity, reference, body["outcome"], body.get("reason_code"),
                                body.get("message"))
    except decisions.DecisionError as exc:
        return refusal(exc)
    return jsonify(decision_body(item))


@api_routes.post("/support/requests/<reference>/extend")
@staff_api(privacy_officer_only=True)
@accepts("ExtensionRequest")
def extend_request(identity: Identity, reference: str, body: dict[str, Any]) -> Response:
    until = parse_time(body["until"], "until") if "until" in body else None
    try:
        item = decisions.extend(identity, reference, body["reason"], until)
    except decisions.DecisionError as exc:
        return refusal(exc)
    assert item.extended_due_at is not None
    return jsonify({"reference": item.reference, "due_at": item.due_at.isoformat(),
                    "extended_due_at": item.extended_due_at.isoformat(),
                    "extension_reason": item.extension_reason})


@api_routes.post("/support/requests/<reference>/messages")
@staff_api(privacy_officer_only=True)
@accepts("CustomerMessage")
def message_customer(identity: Identity, reference: str, body: dict[str, Any]) -> Response:
    try:
        note = decisions.write_to_customer(identity, reference, body["text"])
    except decisions.DecisionError as exc:
        return refusal(exc)
    response = jsonify({"id": note.id, "at": note.at.isoformat(), "kind": note.kind,
                        "text": note.text})
    response.status_code = 201
    return response


@api_routes.post("/support/requests/<reference>/deletion-steps/<source>/confirm")
@staff_api(privacy_officer_only=True)
@accepts("StepConfirmation")
def confirm_deletion_step(identity: Identity, reference: str, source: str,
                          body: dict[str, Any]) -> Response:
    try:
        return jsonify(decisions.confirm_step(identity, reference, source, body.get("note")))
    except decisions.DecisionError as exc:
        return refusal(exc)


def _day(args: MultiDict[str, str], name: str) -> date | None:
    values = args.getlist(name)
    if not values or values == [""]:
        return None
    if len(values) > 1 or not _DAY.fullmatch(values[0]):
        raise Invalid({name: "must be one day, as YYYY-MM-DD"})
    try:
        return date.fromisoformat(values[0])
    except ValueError:
        raise Invalid({name: f"{values[0]!r} is not a day of the calendar"}) from None


def period(args: MultiDict[str, str]) -> tuple[date, date]:
    """The first and last day (both included) a metrics query names: by default the year up
    to today. Invalid names what is wrong."""
    last = _day(args, "to") or utcnow().date()
    first = _day(args, "from") or last - timedelta(days=364)
    if first > last:
        raise Invalid({"from": "must not be after to"})
    return first, last


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From the first day's start to the end of the last (exclusive), in UTC."""
    return (datetime(first.year, first.month, first.day, tzinfo=UTC),
            datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))


@api_routes.get("/support/metrics")
@staff_api()
def support_metrics(identity: Identity) -> Response:
    wanted = request.args.getlist("format") or ["json"]
    if len(wanted) > 1 or wanted[0] not in ("json", "csv"):
        raise Invalid({"format": "must be json or csv"})
    first, last = period(request.args)
    start, end = bounds(first, last)
    rows = request_metrics.metrics(start, end)
    if wanted[0] == "csv":
        response = Response(request_metrics.as_csv(rows), mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="request-metrics-{first}-to-{last}.csv"')
    else:
        response = jsonify({"from": start.isoformat(), "to": end.isoformat(),
                            "types": [row.as_json() for row in rows]})
    response.headers["Cache-Control"] = "no-store"
    return response


@api_routes.get("/support/records")
@staff_api(privacy_officer_only=True)
def support_records(identity: Identity) -> Response:
    """The record of requests and responses of the period (CCPA regulations, section 7101),
    as CSV, streamed."""
    first, last = period(request.args)
    start, end = bounds(first, last)
    response = Response(stream_with_context(request_records.as_csv(start, end)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="request-records-{first}-to-{last}.csv"')
    response.headers["Cache-Control"] = "no-store"
    return response
