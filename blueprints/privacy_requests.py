"""Privacy requests over HTTP: the JSON API, the customer pages (ask, follow with a live
progress bar, download), and the download itself (same account, fresh login, Range)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, cast

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import FileWrapper

from selfservice.auth import is_fresh
from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.models import OPEN_STATUSES, PrivacyRequest, RequestStatus, RequestType
from selfservice.services import (
    appeals,
    decisions,
    deletion,
    exports,
    request_additions,
    request_details,
)
from selfservice.services import privacy_requests as service
from selfservice.storage import StoredFile
from selfservice.text import is_client_key
from selfservice.us_states import US_STATES

from . import deletion_pages, error_pages, request_words
from .guards import api_identity, page_identity, reauth_url
from .problems import problem
from .rate_limits import limited
from .rights_forms import AddDetailsForm
from .routing import Routes
from .validation import Invalid, accepts

logger = logging.getLogger(__name__)
api_routes = Routes()
page_routes = Routes()


def request_json(item: PrivacyRequest, with_events: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id, "reference": item.reference, "type": item.type,
        "status": item.status, "progress": item.progress, "step": item.step,
        "jurisdiction": item.jurisdiction, "details": item.details,
        "created_at": item.created_at.isoformat(), "due_at": item.due_at.isoformat(),
        "updated_at": item.updated_at.isoformat(), "reason": item.reason,
        "url": url_for("selfservice.request_page", request_id=item.id),
        "download": None,
        "extended_due_at": (item.extended_due_at.isoformat() if item.extended_due_at
                            else None),
        "effective_due_at": decisions.effective_due(item).isoformat(),
    }
    if item.archive_name and item.expires_at:
        body["download"] = {
            "url": url_for("selfservice.download_export", request_id=item.id),
            "expires_at": item.expires_at.isoformat(), "expired": item.expires_at <= utcnow(),
            "bytes": item.archive_bytes, "sha256": item.archive_sha256,
            "records": item.records, "downloads": item.downloads}
    if with_events:
        body["events"] = [{"at": e.at.isoformat(), "status": e.status, "note": e.note}
                          for e in service.timeline(item.id)]
        body.update(appeals.customer_view(item))
    return body


def _not_found() -> Response:
    return problem(404, "not-found", "No such request")


def _refusal(exc: service.RequestError) -> Response:
    """The API's answer to a request the service would not create."""
    if isinstance(exc, service.InvalidRequest):
        raise Invalid(exc.errors) from None
    if isinstance(exc, request_details.NoOrganisation):
        return problem(404, "not-found", "No organisation", exc.message)
    if isinstance(exc, request_details.NotOrgAdmin):
        return problem(403, "forbidden", "Owners and admins only", exc.message)
    if isinstance(exc, service.OpenRequestExists):
        return problem(409, "conflict", "A request of this type is already open",
                       f"Request {exc.existing.reference} is still open.",
                       request=request_json(exc.existing, with_events=False))
    assert isinstance(exc, service.RateLimited)
    return problem(429, "rate-limited", "One export per day",
                   f"Your next export is possible from {exc.next_at.isoformat()}.",
                   headers={"Retry-After": str(exc.retry_after)},
                   next_at=exc.next_at.isoformat())


# -- JSON API -----------------------------------------------------------------------------------

@api_routes.post("/requests")
@limited("RATE_LIMIT_REQUESTS", "privacy-requests")
@api_identity()
@accepts("PrivacyRequestCreate")
def create_request(identity: Identity, body: dict[str, Any]) -> Response:
    if body["type"] in service.FRESH_LOGIN and not is_fresh():
        return problem(401, "reauth-required", "Fresh login required",
                       "Sign in again to confirm it is you.",
                       reauth_url=reauth_url(request.referrer))
    key = request.headers.get("Idempotency-Key")
    if key is not None and not is_client_key(key):
        raise Invalid({"Idempotency-Key": "must be 1 to 80 visible ASCII characters (letters, "
                                          "digits, punctuation; no spaces)"})
    try:
        item, _ = service.create(
            identity, body["type"], jurisdiction=body.get("jurisdiction"),
            details=body.get("details"), idempotency_key=key,
            verified=body["type"] in service.FRESH_LOGIN)
    except service.RequestError as exc:
        return _refusal(exc)
    response = jsonify(request_json(item, with_events=False))
    response.status_code = 202
    response.headers["Location"] = url_for(".get_request", request_id=item.id)
    return response


@api_routes.get("/requests")
@api_identity()
def list_requests(identity: Identity) -> Response:
    next_at = service.next_export_at(identity.account_id)
    return jsonify({"requests": [request_json(r, with_events=False)
                                 for r in service.list_for(identity.account_id)],
                    "next_export_at": next_at.isoformat() if next_at else None})


@api_routes.get("/requests/<request_id>")
@api_identity()
def get_request(identity: Identity, request_id: str) -> Response:
    item = service.get(identity.account_id, request_id)
    if item is None:
        return _not_found()
    response = jsonify(request_json(item))
    response.headers["Cache-Control"] = "no-store"
    return response


def cancel_any(account_id: str, request_id: str) -> PrivacyRequest | None:
    """Cancel the account's request: a deletion through its own service (the account is
    restored; ErasureBegun once erasure has begun), any other request here."""
    item = service.get(account_id, request_id)
    if item is not None and item.type == RequestType.DELETION:
        return deletion.cancel(account_id, request_id)
    return service.cancel(account_id, request_id)


@api_routes.post("/requests/<request_id>/cancel")
@api_identity()
def cancel_request(identity: Identity, request_id: str) -> Response:
    try:
        item = cancel_any(identity.account_id, request_id)
    except deletion.ErasureBegun as exc:
        return problem(409, "erasure-begun", "Erasure has begun", exc.message)
    if item is None:
        return _not_found()
    return jsonify(request_json(item))


@api_routes.post("/requests/<request_id>/details")
@api_identity()
@accepts("RequestAddition")
def add_details(identity: Identity, request_id: str, body: dict[str, Any]) -> Response:
    """Add to the description of the account's own open request (not an export, a deletion
    or a dpa request): 404 for anyone else's, 409 once it is closed."""
    try:
        item = request_additions.add_details(identity.account_id, request_id, body["text"])
    except service.InvalidRequest as exc:  # more than the request has room for
        raise Invalid(exc.errors) from None
    except request_additions.NotOpen as exc:
        return problem(409, "conflict", "This request is not open for more details",
                       f"Request {exc.request.reference} is {exc.request.status}, or of a "
                       "type that takes no description; nothing was changed.")
    if item is None:
        return _not_found()
    return jsonify(request_json(item))


@api_routes.post("/requests/<request_id>/retry")
@api_identity()
def retry_request(identity: Identity, request_id: str) -> Response:
    try:
        item = service.retry(identity.account_id, request_id)
    except service.NotRetryable as exc:
        return problem(409, "conflict", "This request cannot be tried again", exc.message)
    if item is None:
        return _not_found()
    response = jsonify(request_json(item))
    response.status_code = 202
    return response


# -- pages --------------------------------------------------------------------------------------

@page_routes.get("/requests/<request_id>")
@page_identity()
def request_page(identity: Identity, request_id: str) -> Any:
    item = service.get(identity.account_id, request_id)
    if item is None:
        abort(404)
    return render_template("selfservice/request.html", item=item,
                           body=request_json(item), types=service.TYPES,
                           open_statuses=OPEN_STATUSES, action_form=FlaskForm(),
                           appendable=(item.type in request_additions.APPENDABLE
                                       and item.status in OPEN_STATUSES),
                           add_form=AddDetailsForm(prefix="add", formdata=None),
                           note_words=request_words.note, step_words=request_words.step,
                           reason_words=request_words.reason, number=request_words.number,
                           description_words=request_words.description,
                           us_states=US_STATES,
                           **deletion_pages.request_page_context(identity, item))


@page_routes.get("/requests/<request_id>/cancel")
@page_identity()
def cancel_request_page(identity: Identity, request_id: str) -> Any:
    """The confirmation before a request is cancelled (it works without JavaScript)."""
    item = service.get(identity.account_id, request_id)
    if item is None:
        abort(404)
    if item.status not in OPEN_STATUSES:
        flash("request-not-open", "error")
        return redirect(url_for(".request_page", request_id=item.id), 303)
    return render_template("selfservice/request_cancel.html", item=item, types=service.TYPES,
                           action_form=FlaskForm())


@page_routes.post("/requests/<request_id>/<action>")
@page_identity()
def request_action(identity: Identity, request_id: str, action: str) -> Any:
    if action not in ("cancel", "retry") or not FlaskForm().validate_on_submit():
        abort(400)
    before = service.get(identity.account_id, request_id)
    act = cancel_any if action == "cancel" else service.retry
    try:
        after = act(identity.account_id, request_id) if before is not None else None
    except (service.NotRetryable, deletion.ErasureBegun) as exc:
        flash(exc.message, "error")
    else:
        if after is None:
            abort(404)
        done = _done(action, was_open=before is not None and before.status in OPEN_STATUSES,
                     now=after.status)
        flash(done, "error" if done == "request-not-open" else "success")
    return redirect(url_for(".request_page", request_id=request_id), 303)


def _done(action: str, *, was_open: bool, now: str) -> str:
    """The key of the message that says what the action changed (selfservice/_words.html)."""
    if action == "retry":
        return "request-retried"
    return "request-canceled" if was_open and now == RequestStatus.CANCELED else (
        "request-not-open")


@page_routes.get("/requests/<request_id>/download")
@page_identity(fresh=True)
def download_export(identity: Identity, request_id: str) -> Any:
    try:
        found = exports.open_download(identity.account_id, request_id)
    except exports.Gone:
        return error_pages.render_error("selfservice/export_gone.html", 410), 410
    except exports.Unavailable:
        response = make_response(
            error_pages.render_error("selfservice/export_unavailable.html", 503), 503)
        response.headers["Retry-After"] = "60"
        return response
    if found is None:
        abort(404)
    item, stored = found
    response = _archive_response(item, stored)
    if _sends_the_last_byte(response):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        account_id = identity.account_id

        def count() -> None:
            try:
                with app.app_context():
                    exports.record_download(account_id, request_id)
            except SQLAlchemyError:  # the archive still goes out whole; the log says why
                logger.exception("could not count a download of request %s", request_id)

        body = cast(Iterable[bytes], response.response)  # the file wrapper's: bytes
        response.response = _count_when_sent(body, response.content_length or 0, count)
    return response


def _archive_response(item: PrivacyRequest, stored: StoredFile) -> Response:
    """The archive streamed from its store, whichever it is: conditional (ETag: its SHA-256)
    and resumable (Range: the stream seeks; an object store's with a ranged GET, so a resumed
    download fetches only what it still needs, whatever file wrapper the server has)."""
    response = Response(FileWrapper(stored.stream, 64 * 1024), mimetype="application/zip",
                        direct_passthrough=True)
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"{item.reference}.zip")
    response.content_length = stored.size
    response.last_modified = datetime.fromtimestamp(int(stored.modified), UTC)
    response.expires = datetime.now(UTC)
    if item.archive_sha256:
        response.set_etag(item.archive_sha256)
    try:
        response.make_conditional(request, accept_ranges=True, complete_length=stored.size)
    except RequestedRangeNotSatisfiable:
        stored.stream.close()
        raise
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _sends_the_last_byte(response: Response) -> bool:
    """Whether the body of this response ends with the archive's last byte: a whole archive
    (200) or the Range that finishes it (206). A HEAD, a 304 or a 416 sends no body."""
    if request.method != "GET":
        return False
    if response.status_code == 200:
        return True
    span = response.content_range
    return (response.status_code == 206 and span.stop is not None
            and span.stop == span.length)


def _count_when_sent(body: Iterable[bytes], length: int,
                     count: Callable[[], None]) -> Iterator[bytes]:
    """The response body, counting a download just before its last bytes go out: a client
    that stops early downloaded nothing whole, and one that gets everything is counted
    before it has it."""
    sent = 0
    try:
        for chunk in body:
            sent += len(chunk)
            if sent >= length > sent - len(chunk):
                count()
            yield chunk
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
