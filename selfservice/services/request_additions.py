"""What a customer adds to a request still open: more details, appended to its description
(instead of a second request of the same type, which is refused), with a line in its timeline
and an audit event that counts the characters, never the words."""

from __future__ import annotations

import sqlalchemy as sa

from ..db import utcnow
from ..ledger import record_audit
from ..models import OPEN_STATUSES, PrivacyRequest, RequestType
from ..state import get_state
from ..text import REFUSAL, is_free_text
from .audit import account_stream
from .privacy_requests import add_event, own_for_update
from .request_details import (
    DESCRIPTION_MAX,
    DESCRIPTION_TOTAL_MAX,
    InvalidRequest,
    RequestError,
)

#: the types whose details are a description a customer can add to: not an export (formats
#: only), a deletion (its own pages) nor a dpa request (its organisation's changes)
APPENDABLE = frozenset({RequestType.CORRECTION, RequestType.RESTRICTION, RequestType.OBJECTION,
                        RequestType.AUTOMATED_DECISION_REVIEW,
                        RequestType.LIMIT_SENSITIVE_DATA, RequestType.APPEAL})
#: the timeline's note of an addition
NOTE = "Details added by you"


class TooLong(InvalidRequest):
    """The description would grow past DESCRIPTION_TOTAL_MAX: ``room`` characters still fit."""

    def __init__(self, room: int) -> None:
        super().__init__({"text": f"is too long for this request: {room:,} more characters "
                                  "fit"})
        self.room = room


class NotOpen(RequestError):
    """The request was closed meanwhile (or is of a type nothing can be added to): nothing
    was changed."""

    def __init__(self, request: PrivacyRequest) -> None:
        super().__init__(f"request {request.reference} is not open for more details")
        self.request = request


def open_request(account_id: str, type_: str) -> PrivacyRequest | None:
    """The account's open request of ``type_`` (the oldest, as creating a second one names)."""
    with get_state().db.read() as session:
        return session.scalar(sa.select(PrivacyRequest).where(
            PrivacyRequest.account_id == account_id, PrivacyRequest.type == type_,
            PrivacyRequest.status.in_(OPEN_STATUSES)).order_by(PrivacyRequest.created_at))


def checked_text(text: object) -> str:
    """The words to add, trimmed; InvalidRequest (key ``text``) says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest({"text": "is required: write what you would like to add"})
    if not is_free_text(text):
        raise InvalidRequest({"text": REFUSAL})
    if len(text.strip()) > DESCRIPTION_MAX:
        raise InvalidRequest({"text": f"must be at most {DESCRIPTION_MAX:,} characters"})
    return text.strip()


def add_details(account_id: str, request_id: str, text: object) -> PrivacyRequest | None:
    """Append ``text`` to the description of the account's open request, after a line with
    the time (UTC). None: not the account's request (the caller answers 404). InvalidRequest:
    the text is empty, too long, not plain text, or would make the description longer than
    DESCRIPTION_TOTAL_MAX; NotOpen: closed meanwhile. Nothing is changed on refusal."""
    words = checked_text(text)
    with get_state().db.transaction() as session:
        request = own_for_update(session, account_id, request_id)
        if request is None:
            return None
        if request.type not in APPENDABLE or request.status not in OPEN_STATUSES:
            session.expunge(request)
            raise NotOpen(request)
        now = utcnow()
        before = str(request.details.get("description", ""))
        joint = f"\n\n[{now:%Y-%m-%d %H:%M} UTC]\n" if before else ""
        after = before + joint + words
        if len(after) > DESCRIPTION_TOTAL_MAX:
            raise TooLong(max(0, DESCRIPTION_TOTAL_MAX - len(before) - len(joint)))
        request.details = {**request.details, "description": after}
        add_event(session, request, request.status, NOTE)
        record_audit(session, stream=account_stream(account_id),
                     action="request.details_added", actor_type="account",
                     actor_id=account_id, target_type="request", target_id=request.id,
                     details={"reference": request.reference, "characters": len(words)})
        return request
