"""What the customer sees of a privacy officer's work on their request, and may do after a
denial: where the law lets them turn (under a US state's law an appeal to us, an ``appeal``
request naming the decision, answered within 45 days, 60 in Colorado; under GDPR, UK GDPR and
CCPA a complaint to the regulator), the deadline in force, the messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..db import utcnow
from ..identity import Identity
from ..models import Jurisdiction, PrivacyRequest, RequestType
from ..schemas.decisions import COMPLETED, DENIED
from ..state import get_state
from ..translation import N_
from ..translation import gettext as _
from ..us_states import US_STATES
from . import privacy_requests
from .decisions import (
    Conflict,
    NotFound,
    decision_json,
    effective_due,
    messages_of,
)

#: how long after a denial an appeal to us may be made: US state laws ask for "a reasonable
#: period"; this is ours
APPEAL_WINDOW_DAYS = 60
#: where a customer turns after a denial, when the law gives no appeal to us (in English,
#: marked for the catalogue: :func:`recourse` says it in the reader's language)
COMPLAINTS = {
    Jurisdiction.GDPR: N_("You can complain to the data protection authority of the EU or EEA "
                          "country where you live or work, or where you think the law was "
                          "broken, and you can take the matter to court."),
    Jurisdiction.UK_GDPR: N_("You can complain to the Information Commissioner's Office "
                             "(ico.org.uk/make-a-complaint), and you can take the matter to "
                             "court."),
    Jurisdiction.CCPA: N_("If you think we broke the law, you can tell the California Privacy "
                          "Protection Agency (cppa.ca.gov) or the California Attorney General "
                          "(oag.ca.gov/privacy)."),
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# -- what the customer may do after a denial --------------------------------------------------

@dataclass(frozen=True)
class Recourse:
    """Where a customer turns after a denial, in whole or in part."""

    #: an appeal to us can be asked for from the request page until then (None: no appeal)
    appeal_until: datetime | None
    #: the days we have to answer such an appeal
    appeal_days: int | None
    #: what else the law offers, in plain words
    words: str

    def as_json(self) -> dict[str, Any]:
        return {"appeal_until": _iso(self.appeal_until), "appeal_days": self.appeal_days,
                "words": self.words}


def denied_in_part_or_whole(request: PrivacyRequest) -> bool:
    return request.decision == DENIED or (request.decision == COMPLETED
                                          and request.decision_code is not None)


def recourse(request: PrivacyRequest) -> Recourse | None:
    """None for a request not denied, in whole or in part, and for a ``dpa`` request: a
    contract negotiation, which no privacy law gives an appeal or a complaint for. The words
    are in the current language (the page's, or the e-mail's)."""
    if not denied_in_part_or_whole(request) or request.type == RequestType.DPA:
        return None
    if request.jurisdiction != Jurisdiction.US_STATE:
        return Recourse(None, None, _(COMPLAINTS[Jurisdiction(request.jurisdiction)]))
    state = request.details.get("state")
    attorney = _("the Attorney General of %(state)s", state=US_STATES[state]) \
        if state in US_STATES else _("your state's Attorney General")
    if request.type == RequestType.APPEAL:
        return Recourse(None, None, _("This was the answer to your appeal. If you disagree, "
                                      "you can contact %(attorney)s.", attorney=attorney))
    assert request.decided_at is not None
    days = 60 if state == "CO" else 45
    return Recourse(request.decided_at + timedelta(days=APPEAL_WINDOW_DAYS), days,
                    _("If we deny your appeal too, you can contact %(attorney)s.",
                      attorney=attorney))


def appealable(account_id: str) -> list[tuple[PrivacyRequest, Recourse]]:
    """The account's own decisions it can appeal to us now (denied in whole or in part under
    a US state's law, within the window, not appealed yet), the latest decision first, each
    with its recourse (the deadline to appeal, the days we have to answer)."""
    now = utcnow()
    with get_state().db.read() as session:
        decided = list(session.scalars(
            sa.select(PrivacyRequest).where(PrivacyRequest.account_id == account_id,
                                            PrivacyRequest.decided_at.is_not(None))
            .order_by(PrivacyRequest.decided_at.desc())))
        appealed = set(session.scalars(
            sa.select(PrivacyRequest.appeal_of).where(PrivacyRequest.account_id == account_id,
                                                      PrivacyRequest.appeal_of.is_not(None))))
    found = [(request, recourse(request)) for request in decided
             if request.id not in appealed]
    return [(request, way) for request, way in found
            if way is not None and way.appeal_until is not None and now < way.appeal_until]


def appeal(identity: Identity, request_id: str, words: str = "") -> PrivacyRequest:
    """The customer appeals a denial: an ``appeal`` request naming it, with its own deadline,
    and ``words``, why they disagree (optional, after the line that names the decision).
    Asking twice gives the same appeal. NotFound; Conflict: no appeal possible (any more);
    privacy_requests.OpenRequestExists: another appeal is still open; InvalidRequest: the
    words are not plain text or too long."""
    original = privacy_requests.get(identity.account_id, request_id)
    if original is None:
        raise NotFound("no such request")
    found = recourse(original)
    if found is None or found.appeal_until is None:
        raise Conflict("This decision cannot be appealed here.")
    if utcnow() > found.appeal_until:
        raise Conflict(f"The time to appeal ended on {found.appeal_until:%Y-%m-%d}.")
    named = f"Appeal of the decision on {original.reference}"
    details: dict[str, Any] = {"description": f"{named}\n\n{words.strip()}" if words.strip()
                               else named}
    if original.details.get("state"):
        details["state"] = original.details["state"]
    request, _ = privacy_requests.create(
        identity, RequestType.APPEAL, jurisdiction=original.jurisdiction, details=details,
        idempotency_key=f"appeal-of-{original.id}", appeal_of=original.id)
    return request


# -- what the customer sees -------------------------------------------------------------------

def customer_view(request: PrivacyRequest) -> dict[str, Any]:
    """The decision, the deadline in force and the messages, as the customer's request
    shows them (no staff member's id)."""
    found = recourse(request)
    decision = decision_json(request)
    if decision is not None:
        decision.pop("decided_by")
    with get_state().db.read() as session:
        appealed = (session.scalar(sa.select(PrivacyRequest.reference)
                                   .where(PrivacyRequest.id == request.appeal_of))
                    if request.appeal_of else None)
        appeals = session.execute(sa.select(PrivacyRequest.id, PrivacyRequest.reference)
                                  .where(PrivacyRequest.appeal_of == request.id)).all()
        messages = messages_of(session, request.id)
    can_appeal = (found is not None and found.appeal_until is not None and not appeals
                  and utcnow() < found.appeal_until)
    return {
        "effective_due_at": effective_due(request).isoformat(),
        "extended_due_at": _iso(request.extended_due_at),
        "extension_reason": request.extension_reason,
        "decision": decision,
        "recourse": {**found.as_json(), "can_appeal": can_appeal} if found else None,
        "appeal_of": ({"id": request.appeal_of, "reference": appealed}
                      if request.appeal_of else None),
        "appeals": [{"id": row.id, "reference": row.reference} for row in appeals],
        "messages": [{"at": m.at.isoformat(), "text": m.text} for m in messages],
    }
