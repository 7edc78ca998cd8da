"""The signed deletion certificate: what a deletion erased, anonymised, kept and why, signed
with the consent-receipt key (EdDSA, published JWK Set), so the same offline command verifies
it: ``python -m selfservice.receipts verify certificate.json jwks.json``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from jinja2 import TemplateNotFound
from sqlalchemy.orm import Session

from .. import mail, receipts, translation
from ..job_registry import JobRefused
from ..models import (
    Deletion,
    ErasureStep,
    LegalHold,
    PrivacyRequest,
    StepKind,
    StepStatus,
)
from ..sources import LEGAL_BASES
from ..state import get_state
from ..translation import gettext as _
from . import mail_text, outbox
from .consent_receipts import signing_key
from .notifications import public_url

CERTIFICATE_TYPE = "deletion-certificate"
CERTIFICATE_VERSION = "1"
MAIL_JOB = "mail.deletion_completed"
_HELD = "A legal obligation requires these records to be kept until the hold is reviewed"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def jwks_url() -> str:
    path = get_state().setting("API_URL_PREFIX") + "/consent-receipts/jwks.json"
    return public_url(path) or path


def _holds(session: Session | None, steps: Sequence[ErasureStep]) -> dict[str, LegalHold]:
    ids = {step.hold_id for step in steps if step.hold_id}
    if not ids or session is None:
        return {}
    return {hold.id: hold for hold in session.scalars(
        sa.select(LegalHold).where(LegalHold.id.in_(ids)))}


def _held(step: ErasureStep, holds: dict[str, LegalHold]) -> dict[str, Any] | None:
    if step.status != StepStatus.HELD:
        return None
    hold = holds.get(step.hold_id or "")
    return {"reason": _HELD, "review_at": _iso(hold.review_at) if hold else None}


def _source(step: ErasureStep, holds: dict[str, LegalHold]) -> dict[str, Any]:
    basis = step.legal_basis
    return {"name": step.name, "description": step.description, "action": step.action,
            "status": step.status, "records": step.records,
            "legal_basis": LEGAL_BASES.get(basis, basis) if basis else None,
            "reason": step.reason or None, "retained_until": _iso(step.retained_until),
            "held": _held(step, holds)}


def _recipient(step: ErasureStep, holds: dict[str, LegalHold]) -> dict[str, Any]:
    return {"name": step.name, "description": step.description,
            "notified_at": _iso(step.finished_at) if step.status == StepStatus.DONE else None,
            "reference": step.receipt, "held": _held(step, holds)}


def build(request: PrivacyRequest, deletion: Deletion, steps: Sequence[ErasureStep],
          session: Session | None = None) -> dict[str, Any]:
    """The certificate's content: no e-mail address, no account id, only the pseudonym."""
    state = get_state()
    holds = _holds(session, steps)
    completed = deletion.finished_at
    assert completed is not None
    account = next((s for s in steps if s.kind == StepKind.ACCOUNT), None)
    irreversible = list(deletion.irreversible or []) + [
        s.irreversible for s in steps if s.irreversible and s.irreversible not in
        (deletion.irreversible or [])]
    proof_days = state.setting("ERASED_PROOF_RETENTION_DAYS")
    return {
        "type": CERTIFICATE_TYPE,
        "version": CERTIFICATE_VERSION,
        "reference": request.reference,
        "controller": dict(state.setting("CONTROLLER")),
        "subject": deletion.pseudonym,
        "requested_at": _iso(request.created_at),
        "confirmed_at": _iso(deletion.confirmed_at),
        "started_at": _iso(deletion.started_at),
        "completed_at": _iso(completed),
        "sources": [_source(s, holds) for s in steps if s.kind == StepKind.SOURCE],
        "recipients": [_recipient(s, holds) for s in steps if s.kind == StepKind.RECIPIENT],
        "account": {"status": account.status if account else None,
                    "held": _held(account, holds) if account else None},
        "irreversible": irreversible,
        "consent_proof_kept_until": _iso(completed + timedelta(days=proof_days)),
        "publicKey": jwks_url(),
    }


def sign(certificate: dict[str, Any]) -> dict[str, Any]:
    """JSON with a compact JWS (EdDSA) of the certificate, as consent receipts are signed."""
    return receipts.signed_receipt(certificate, signing_key())


def digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(receipts.canonical(document)).hexdigest()


def lookup(reference: str) -> dict[str, Any] | None:
    """The signed certificate of a completed deletion, by its reference (for support)."""
    with get_state().db.read() as session:
        deletion = session.scalar(sa.select(Deletion).join(
            PrivacyRequest, PrivacyRequest.id == Deletion.request_id)
            .where(PrivacyRequest.reference == reference.strip().upper()))
        return dict(deletion.certificate) if deletion and deletion.certificate else None


# -- the completion e-mail --------------------------------------------------------------------

def schedule_mail(session: Session, deletion: Deletion) -> None:
    """Ask for the completion e-mail, in the completing transaction (without mail, the
    address is forgotten now)."""
    if not get_state().setting("SMTP_HOST"):
        deletion.notify_email = deletion.notify_language = None
    if deletion.notify_email:
        outbox.schedule(session, MAIL_JOB, target_type="request",
                        target_id=deletion.request_id,
                        dedupe_key=f"mail:deletion_completed:{deletion.request_id}")


def _text(request: PrivacyRequest, document: dict[str, Any]) -> str:
    certificate = document["receipt"]
    try:
        return mail_text.render("deletion_completed", request=request, certificate=certificate)
    except TemplateNotFound:
        return _("Your account and your data have been deleted.\n\nReference: %(reference)s\n"
                 "Completed: %(completed)s\n\nThe attached certificate, signed by us, says "
                 "what happened to each kind of data: what was erased, what was anonymised, and "
                 "what the law makes us keep, why and until when.\n\nThis e-mail address is "
                 "now deleted from our records too.\n", reference=request.reference,
                 completed=mail_text.moment(certificate["completed_at"]))


def send_completed(request_id: str) -> dict[str, str]:
    """E-mail the certificate to the address kept for it, in the language kept with it (the
    account's, which erasure deleted), then forget both."""
    state = get_state()
    with state.db.read() as session:
        request = session.get(PrivacyRequest, request_id)
        deletion = session.get(Deletion, request_id)
    if request is None or deletion is None or deletion.certificate is None:
        raise JobRefused("the deletion has no certificate")
    if not deletion.notify_email:
        return {"skipped": "sent already"}
    attachment = json.dumps(deletion.certificate, indent=2, sort_keys=True).encode()
    with translation.language(deletion.notify_language):
        text = _text(request, deletion.certificate)
        subject = _("Your account has been deleted (%(reference)s)",
                    reference=request.reference)
    mail.send(mail.compose(
        to=deletion.notify_email, subject=subject, text=text,
        message_id=f"<deletion-completed-{request_id}@selfservice>",
        attachments=[(f"deletion-certificate-{request.reference}.json", "application/json",
                      attachment)]))
    with state.db.transaction() as session:
        session.execute(sa.update(Deletion).where(Deletion.request_id == request_id)
                        .values(notify_email=None, notify_language=None))
    return {"sent": "deletion_completed"}
