"""The support console's pages (support agents and privacy officers; everyone else gets the
normal 404 page): the queue with its filters, search and health, and one request's page with
notes, assignment, the acknowledgement resent, a retry, and the reveal with a reason."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from selfservice.identity import Identity
from selfservice.masking import mask_email
from selfservice.models import ErasureAction, Jurisdiction, RequestStatus
from selfservice.schemas.base import InvalidInput
from selfservice.schemas.decisions import REASON_CODES
from selfservice.schemas.support import ME, NOTE_MAX
from selfservice.services import staff_access, support_detail, support_queue
from selfservice.services import support_actions as actions
from selfservice.services.privacy_requests import JURISDICTIONS, TYPES
from selfservice.services.staff_access import staff_role
from selfservice.translation import gettext as _
from selfservice.translation import lazy_gettext as _l

from .routing import Routes
from .staff_guards import staff_page

page_routes = Routes()

#: the status filter's choices, in words (a request's statuses as staff read them)
STATUS_WORDS = {"open": _l("Open (not yet answered)"), "all": _l("All"),
                RequestStatus.RECEIVED: _l("Received"), RequestStatus.VERIFIED: _l("Verified"),
                RequestStatus.IN_PROGRESS: _l("In progress"),
                RequestStatus.SCHEDULED: _l("Scheduled"), RequestStatus.COMPLETED: _l("Done"),
                RequestStatus.DENIED: _l("Denied"), RequestStatus.CANCELED: _l("Cancelled"),
                RequestStatus.FAILED: _l("Failed")}
ROLE_WORDS = staff_access.ROLE_WORDS
#: how a request came in
CHANNELS = {"console": _l("the console"), "api": _l("the API"), "email": _l("e-mail")}
#: a privacy officer's decision
OUTCOMES = {RequestStatus.COMPLETED: _l("Completed"), RequestStatus.DENIED: _l("Denied")}
#: what an erasure step does to its data
ACTIONS = {ErasureAction.ERASE: _l("Erase"), ErasureAction.ANONYMISE: _l("Anonymise"),
           ErasureAction.RETAIN: _l("Keep"), ErasureAction.MANUAL: _l("Erase by hand")}


def _words() -> dict[str, Any]:
    """The words of the staff pages' values (those marked N_ are shown through ss_text)."""
    return {"types": TYPES, "jurisdictions": JURISDICTIONS,
            "jurisdiction_values": [j.value for j in Jurisdiction],
            "status_words": STATUS_WORDS, "role_words": ROLE_WORDS, "channels": CHANNELS,
            "outcomes": OUTCOMES, "reason_codes": REASON_CODES, "actions": ACTIONS}


def _queue_page(identity: Identity, args: Any, *, searched: str | None = None,
                search_error: str | None = None, status: int = 200) -> Any:
    errors: dict[str, str] = {}
    try:
        wanted = support_queue.parse_filter(args)
    except InvalidInput as exc:
        errors, wanted = exc.errors, support_queue.QueueFilter()
        status = 400
    found = support_queue.page(identity, wanted)
    first_args = {k: v for k, v in args.items() if k not in ("cursor", "q")}
    return render_template(
        "selfservice/support/queue.html", identity=identity, role=staff_role(identity),
        page=found, rows=found.as_json()["requests"], wanted=wanted, errors=errors,
        searched=searched or found.searched, search_error=search_error,
        first_args=first_args, next_args={**first_args, "cursor": found.next_cursor},
        health=support_detail.health(identity), form=FlaskForm(), **_words()), status


@page_routes.get("/support")
@staff_page()
def support_queue_page(identity: Identity) -> Any:
    return _queue_page(identity, request.args)


@page_routes.post("/support")
@staff_page()
def support_search(identity: Identity) -> Any:
    """The search box posts (an e-mail address stays out of URLs and logs): a reference
    opens its request at once; an e-mail address lists that account's requests."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    text = (request.form.get("q") or "").strip()
    try:
        wanted = support_queue.parse_filter({"q": text})
    except InvalidInput as exc:
        return _queue_page(identity, {}, search_error=exc.errors.get("q"), status=400)
    if wanted.reference is not None:
        if support_queue.page(identity, wanted).requests:
            return redirect(url_for(".support_request_page", reference=wanted.reference), 303)
        return _queue_page(identity, {}, search_error=_(
            "No request has the reference %(reference)s.", reference=wanted.reference),
            status=404)
    if wanted.q is None:
        return _queue_page(identity, {}, search_error=_("Type a reference or an e-mail "
                                                        "address."), status=400)
    return _queue_page(identity, {"q": wanted.q}, searched=mask_email(wanted.q))


def _detail_page(identity: Identity, reference: str, *, errors: dict[str, str] | None = None,
                 note_text: str = "", revealed: dict[str, str] | None = None,
                 status: int = 200, opened: bool = False) -> Any:
    show = support_detail.open_detail if opened else support_detail.detail
    found = show(identity, reference)
    if found is None:
        abort(404)
    return render_template(
        "selfservice/support/request.html", identity=identity, role=staff_role(identity),
        item=found.request, body=found.body, account=found.account, errors=errors or {},
        note_text=note_text, note_max=NOTE_MAX, revealed=revealed, form=FlaskForm(),
        **_words()), status


@page_routes.get("/support/requests/<reference>")
@staff_page()
def support_request_page(identity: Identity, reference: str) -> Any:
    return _detail_page(identity, reference, opened=True)


def _act(identity: Identity, reference: str, action: str) -> str:
    """Do ``action``; the words that say it was done."""
    if action == "note":
        actions.add_note(identity, reference, request.form.get("text", ""))
        return _("Note added.")
    if action == "assign":
        wanted = (request.form.get("assignee") or "").strip() or None
        done = actions.assign(identity, reference, ME if wanted in (None, ME) else wanted)
        return _("Assigned to you.") if done.assignee == identity.account_id else \
            _("Assigned to %(assignee)s.", assignee=done.assignee)
    if action == "unassign":
        actions.assign(identity, reference, None)
        return _("Nobody is assigned now.")
    if action == "resend":
        actions.resend_acknowledgement(identity, reference)
        return _("The acknowledgement will be e-mailed to the customer again.")
    if action == "retry":
        actions.retry(identity, reference)
        return _("Started again. The timeline shows how it goes.")
    abort(404)


@page_routes.post("/support/requests/<reference>/<action>")
@staff_page()
def support_request_action(identity: Identity, reference: str, action: str) -> Any:
    if not FlaskForm().validate_on_submit():
        abort(400)
    if action == "reveal":
        try:
            revealed = staff_access.reveal_for_request(identity, reference,
                                                       request.form.get("reason", ""))
        except InvalidInput as exc:
            return _detail_page(identity, reference, errors=exc.errors, status=422)
        except staff_access.NothingToReveal:
            abort(404)
        return _detail_page(identity, reference, revealed=revealed)
    try:
        flash(_act(identity, reference, action), "success")
    except actions.NoSuchRequest:
        abort(404)
    except InvalidInput as exc:
        return _detail_page(identity, reference, errors=exc.errors,
                            note_text=request.form.get("text", ""), status=422)
    except actions.NotNow as exc:
        flash(exc.message, "error")
    return redirect(url_for(".support_request_page", reference=reference), 303)
