"""Staff access to a customer's data: least privilege, every look recorded, and the customer's
own log of who looked.

Support agents and privacy officers see personal data masked (:mod:`selfservice.masking`).
Seeing a customer's full e-mail address and name takes a reason, which is recorded, with the
staff member's role, on the customer's audit stream (``staff.revealed``); every ``staff.*``
event of that stream is what the customer's "Who accessed your data" shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..db import utcnow
from ..identity import Identity
from ..masking import mask_email
from ..models import AuditEvent, PrivacyRequest
from ..schemas.base import InvalidInput
from ..schemas.staff import REASON_MAX
from ..state import get_state
from ..text import REFUSAL, is_free_text
from ..translation import N_
from .audit import account_stream, record_account_event

#: the audit actions of staff on a customer's data start with this
STAFF_ACTIONS = "staff."
REVEALED = "staff.revealed"
VIEWED = "staff.viewed"
#: a staff member opening the same request again within this long is one look, not many
LOOK_WINDOW = timedelta(minutes=30)
SUPPORT, PRIVACY_OFFICER = "support", "privacy_officer"
#: what the customer reads for each staff action (any other: the generic words)
ACTION_WORDS = {REVEALED: "Viewed your full e-mail address and name",
                VIEWED: "Opened your request (your e-mail address and name stayed hidden)",
                "staff.note_added": "Wrote an internal note on your request",
                "staff.assigned": "Assigned your request to a member of staff",
                "staff.acknowledgement_resent": "Sent you the acknowledgement of your request "
                                                "again",
                "staff.job_retried": "Started the work on your request again after it failed",
                "staff.decided": "Decided your request",
                "staff.extended": "Extended the deadline of your request",
                "staff.messaged": "Wrote to you about your request",
                "staff.step_confirmed": "Confirmed that part of your data was deleted by hand"}
OTHER_ACTION = "Worked on your request"
ROLE_WORDS = {SUPPORT: N_("Support agent"), PRIVACY_OFFICER: N_("Privacy officer")}
#: an e-mail address inside a staff member's reason (kept masked in the record)
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")


class NothingToReveal(LookupError):
    """No such request, the staff member's own, or an account that no longer exists."""


class NotStaff(PermissionError):
    """The caller has neither staff role."""


def staff_role(identity: Identity | None) -> str | None:
    """``privacy_officer``, ``support`` or ``None``, from the host's role names
    (SELFSERVICE_PRIVACY_OFFICER_ROLE, SELFSERVICE_SUPPORT_ROLE)."""
    if identity is None:
        return None
    state = get_state()
    if identity.has_role(state.setting("PRIVACY_OFFICER_ROLE")):
        return PRIVACY_OFFICER
    if identity.has_role(state.setting("SUPPORT_ROLE")):
        return SUPPORT
    return None


def checked_reason(reason: Any) -> str:
    """The reason as it is recorded: plain text, 1 to REASON_MAX characters once trimmed, any
    e-mail address in it masked. Otherwise InvalidInput."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput({"reason": "is required: say why you need to see it"})
    if not is_free_text(reason):
        raise InvalidInput({"reason": REFUSAL})
    text = reason.strip()
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": f"must be 1 to {REASON_MAX} characters"})
    return _EMAIL.sub(lambda found: mask_email(found[0]), text)


def reveal(staff: Identity, account_id: str, reason: Any,
           reference: str | None = None) -> dict[str, str]:
    """The account's full e-mail address and name for a staff member who says why; the look
    is recorded on the account's audit stream before anything is returned."""
    role = staff_role(staff)
    if role is None:
        raise NotStaff()
    text = checked_reason(reason)
    if account_id == staff.account_id:
        raise NothingToReveal("staff do not look at their own account through the staff view")
    customer = get_state().extension.load_identity(account_id)
    if customer is None:
        raise NothingToReveal("the account no longer exists")
    record_account_event(account_id, REVEALED, actor_type="support", actor_id=staff.account_id,
                         details={"role": role, "reason": text, "reference": reference,
                                  "fields": ["email", "name"]})
    return {"email": customer.email, "name": customer.name}


def reveal_for_request(staff: Identity, reference: str, reason: Any) -> dict[str, str]:
    """As :func:`reveal`, for the account that made the request quoted by ``reference``
    (``DR-7K3M-Q9XA``; case and surrounding spaces do not matter)."""
    checked_reason(reason)  # a missing reason is the answer, whatever the reference
    wanted = reference.strip().upper()
    with get_state().db.read() as session:
        found = session.execute(sa.select(PrivacyRequest.account_id, PrivacyRequest.reference)
                                .where(PrivacyRequest.reference == wanted)).first()
    if found is None:
        raise NothingToReveal("no such request")
    return reveal(staff, found.account_id, reason, reference=found.reference)


def record_look(staff: Identity, account_id: str, reference: str) -> None:
    """Record that ``staff`` opened a request of ``account_id`` (masked, but a look all the
    same): the customer's access log shows it. Opening it again within LOOK_WINDOW is the
    same look."""
    role = staff_role(staff)
    if role is None or account_id == staff.account_id:
        return
    with get_state().db.read() as session:
        recent = session.scalars(
            sa.select(AuditEvent.details)
            .where(AuditEvent.stream == account_stream(account_id),
                   AuditEvent.action == VIEWED, AuditEvent.actor_id == staff.account_id,
                   AuditEvent.at >= utcnow() - LOOK_WINDOW)).all()
    if any((details or {}).get("reference") == reference for details in recent):
        return
    record_account_event(account_id, VIEWED, actor_type="support", actor_id=staff.account_id,
                         details={"role": role, "reference": reference})


@dataclass(frozen=True)
class AccessEntry:
    """One time staff looked at or acted on a customer's data."""

    at: datetime
    #: ``support`` or ``privacy_officer``
    role: str
    #: the audit action, e.g. ``staff.revealed``
    action: str
    reason: str | None
    #: the customer's request it was about, if any
    reference: str | None

    @property
    def description(self) -> str:
        return ACTION_WORDS.get(self.action, OTHER_ACTION)

    @property
    def role_name(self) -> str:
        return ROLE_WORDS.get(self.role, self.role)

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "role": self.role, "action": self.action,
                "reason": self.reason, "reference": self.reference,
                "description": self.description, "role_name": self.role_name}


def _entry(event: AuditEvent) -> AccessEntry:
    details = event.details or {}
    reason, reference = details.get("reason"), details.get("reference")
    return AccessEntry(at=event.at, role=str(details.get("role") or SUPPORT),
                       action=event.action, reason=str(reason) if reason else None,
                       reference=str(reference) if reference else None)


def access_log(account_id: str) -> list[AccessEntry]:
    """Every time staff looked at or acted on the account's data (its ``staff.*`` audit
    events), newest first."""
    with get_state().db.read() as session:
        events = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.stream == account_stream(account_id),
                   AuditEvent.action.startswith(STAFF_ACTIONS, autoescape=True))
            .order_by(AuditEvent.seq.desc()))
        return [_entry(event) for event in events]
