"""Separately negotiated DPAs: a privacy officer uploads the PDF both parties signed for an
organisation (from the command line or the support console). It is checked to be a PDF (its
digital signatures, if any, are listed and checked for intactness; none are required), kept as
uploaded, never changed or deleted, and recorded in the organisation's audit trail with who,
when and its SHA-256. Given the ``dpa`` request it answers, that request is completed with a
message to the customer.

The organisation's owners and admins download it; its members see that it exists and whom to
ask; anyone else is not told it exists.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from .. import pdf_inspection
from ..db import utcnow
from ..identity import Identity
from ..ledger import record_audit
from ..models import OPEN_STATUSES, DpaNegotiated, DpaSignature, PrivacyRequest, RequestType
from ..pdf_inspection import PdfFacts
from ..schemas.base import InvalidInput
from ..schemas.decisions import COMPLETED
from ..state import get_state
from ..text import LINE_PATTERN, is_identifier
from . import decisions
from .notifications import public_url
from .staff_access import PRIVACY_OFFICER, staff_role
from .support_queue import by_reference

logger = logging.getLogger(__name__)
#: the longest version label (the column's size)
LABEL_MAX = 120
UPLOADED = "dpa.negotiated_uploaded"
#: the earliest signing day taken (anything before is a typing slip)
EARLIEST = date(2000, 1, 1)


class UploadRefused(Exception):
    """Nothing was stored; the message says why, in plain words."""


class NotOfficer(UploadRefused):
    def __init__(self) -> None:
        super().__init__("Only a privacy officer can upload a negotiated DPA.")


class AlreadyUploaded(UploadRefused):
    """This very file was uploaded for the organisation before: that upload stands."""

    def __init__(self, row: DpaNegotiated) -> None:
        super().__init__(f"This file was uploaded for {row.org_name} on "
                         f"{row.uploaded_at:%Y-%m-%d %H:%M} UTC ({row.version_label}, "
                         f"SHA-256 {row.file_sha256}); nothing was stored again.")
        self.row = row


@dataclass(frozen=True)
class Upload:
    row: DpaNegotiated
    facts: PdfFacts
    #: the dpa request it answers, as it is after the upload
    request: PrivacyRequest | None
    #: why that request could not be completed (the upload stands all the same)
    request_problem: str | None = None


def max_bytes() -> int:
    return int(get_state().setting("DPA_NEGOTIATED_MAX_BYTES"))


# -- checks -----------------------------------------------------------------------------------

def _label(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > LABEL_MAX or not re.fullmatch(LINE_PATTERN, text):
        raise InvalidInput({"version_label": f"must be one line of plain text, 1 to "
                                             f"{LABEL_MAX} characters"})
    return text


def _signed_on(value: Any) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise InvalidInput({"signed_on": "must be a day, as YYYY-MM-DD"})
    tomorrow = utcnow().date() + timedelta(days=1)  # a day ahead of UTC somewhere
    if not EARLIEST <= value <= tomorrow:
        raise InvalidInput({"signed_on": f"must lie between {EARLIEST} and today"})
    return value


def _facts(pdf: Any) -> PdfFacts:
    if not isinstance(pdf, bytes) or not pdf:
        raise InvalidInput({"file": "is required: a PDF"})
    if len(pdf) > max_bytes():
        raise InvalidInput({"file": f"is {len(pdf):,} bytes; the most is {max_bytes():,} "
                                    "(SELFSERVICE_DPA_NEGOTIATED_MAX_BYTES)"})
    try:
        return pdf_inspection.inspect(pdf)
    except pdf_inspection.NotAPdf as exc:
        raise InvalidInput({"file": str(exc)}) from None


def _org_id(value: Any) -> str:
    if not isinstance(value, str) or not is_identifier(value.strip()):
        raise InvalidInput({"org_id": "must be an organisation's id"})
    return value.strip()


def _checked(org_id: Any, pdf: Any, version_label: Any, signed_on: Any
             ) -> tuple[str, PdfFacts, str, date]:
    """Every field checked; InvalidInput names each bad one."""
    errors: dict[str, str] = {}
    found: list[Any] = []
    for check, value in ((_org_id, org_id), (_facts, pdf), (_label, version_label),
                         (_signed_on, signed_on)):
        try:
            found.append(check(value))
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return found[0], found[1], found[2], found[3]


def field_errors(org_id: Any, pdf: Any, version_label: Any, signed_on: Any
                 ) -> dict[str, str]:
    """What is wrong with the fields of an upload (nothing: an empty dict)."""
    try:
        _checked(org_id, pdf, version_label, signed_on)
    except InvalidInput as exc:
        return exc.errors
    return {}


def _linked_request(officer: Identity, org_id: str, reference: str | None
                    ) -> PrivacyRequest | None:
    """The open, undecided ``dpa`` request of the organisation that ``reference`` quotes."""
    if reference is None or not reference.strip():
        return None
    with get_state().db.read() as session:
        found = by_reference(session, officer, reference)
    if found is None or found.type != RequestType.DPA:
        raise InvalidInput({"request": "must be the reference of a request for changes to the "
                                       "DPA (DR-…)"})
    if found.org_id != org_id:
        raise InvalidInput({"request": f"{found.reference} is another organisation's "
                                       "request"})
    if found.status not in OPEN_STATUSES or found.decision is not None:
        raise InvalidInput({"request": f"{found.reference} is closed already "
                                       f"({found.status.replace('_', ' ')})"})
    return found


def organisation_name(org_id: str, request: PrivacyRequest | None = None) -> str | None:
    """The organisation's name, as the host tells it (through a member's identity), else as
    the console last recorded it; None when the console knows no such organisation."""
    state = get_state()
    try:
        members = list(state.extension.org_members(org_id))
    except RuntimeError:  # the host gives no list of members
        members = []
    for account_id in members:
        identity = state.extension.load_identity(account_id)
        if identity is not None and identity.org is not None and identity.org.id == org_id:
            return identity.org.name
    if request is not None and request.details.get("organisation"):
        return str(request.details["organisation"])
    with state.db.read() as session:
        recorded = session.scalar(sa.select(DpaSignature.org_name).where(
            DpaSignature.org_id == org_id).order_by(DpaSignature.signed_at.desc()).limit(1))
    return recorded


# -- the upload -------------------------------------------------------------------------------

def _existing(org_id: str, sha256: str) -> DpaNegotiated | None:
    with get_state().db.read() as session:
        return session.scalar(sa.select(DpaNegotiated).options(defer(DpaNegotiated.pdf)).where(
            DpaNegotiated.org_id == org_id, DpaNegotiated.file_sha256 == sha256))


def _store(row: DpaNegotiated, officer: Identity) -> None:
    try:
        with get_state().db.transaction() as session:
            session.add(row)
            session.flush()  # the unique (organisation, file) answers here
            record_audit(session, stream=f"org:{row.org_id}", action=UPLOADED,
                         actor_type=PRIVACY_OFFICER, actor_id=officer.account_id,
                         target_type="organisation", target_id=row.org_id,
                         details={"negotiated_id": row.id, "version_label": row.version_label,
                                  "signed_on": row.signed_on.isoformat(),
                                  "file_sha256": row.file_sha256, "size": row.size,
                                  "digital_signatures": len(row.signatures),
                                  "reference": row.request_reference})
    except IntegrityError:
        first = _existing(row.org_id, row.file_sha256)
        if first is None:
            raise
        raise AlreadyUploaded(first) from None


def _message(row: DpaNegotiated) -> str:
    page = public_url(f"{get_state().setting('URL_PREFIX')}/dpa")
    return (f"We agreed changes to the DPA with you. The negotiated DPA, "
            f"\"{row.version_label}\", signed on {row.signed_on:%d %B %Y}, is on "
            f"{row.org_name}'s DPA page{': ' + page if page else ''}, where the "
            "organisation's owners and admins can download it.")


def _complete(officer: Identity, row: DpaNegotiated) -> tuple[PrivacyRequest | None,
                                                                str | None]:
    """Complete the request the upload answers, with a message to the customer."""
    if row.request_reference is None:
        return None, None
    try:
        done = decisions.decide(officer, row.request_reference, COMPLETED, None,
                                _message(row))
    except decisions.DecisionError as exc:
        logger.warning("negotiated DPA %s stored; request %s not completed: %s", row.id,
                       row.request_reference, exc)
        return None, str(exc)
    return done, None


def upload(officer: Identity, org_id: Any, pdf: Any, version_label: Any, signed_on: Any,
           reference: str | None = None) -> Upload:
    """Keep ``pdf`` as the organisation's negotiated DPA. InvalidInput names every bad
    field; NotOfficer, AlreadyUploaded: nothing was stored."""
    if staff_role(officer) != PRIVACY_OFFICER:
        raise NotOfficer()
    org_id, facts, label, day = _checked(org_id, pdf, version_label, signed_on)
    request = _linked_request(officer, org_id, reference)
    name = organisation_name(org_id, request)
    if name is None:
        raise InvalidInput({"org_id": f"the console knows no organisation {org_id!r}"})
    sha256 = hashlib.sha256(pdf).hexdigest()
    existing = _existing(org_id, sha256)
    if existing is not None:
        raise AlreadyUploaded(existing)
    row = DpaNegotiated(
        org_id=org_id, org_name=name[:200], version_label=label, signed_on=day,
        uploaded_by=officer.account_id, uploaded_at=utcnow(),
        request_reference=request.reference if request else None, file_sha256=sha256,
        size=len(pdf), pages=facts.pages,
        signatures=[s.as_json() for s in facts.signatures], pdf=pdf)
    _store(row, officer)
    logger.info("negotiated DPA %s stored for organisation %r by %r", row.id, org_id,
                officer.account_id)
    done, problem = _complete(officer, row)
    return Upload(row, facts, done, problem)


# -- reading ----------------------------------------------------------------------------------

def of_organisation(org_id: str) -> list[DpaNegotiated]:
    """The organisation's negotiated DPAs, newest signing first (without the PDFs)."""
    with get_state().db.read() as session:
        return list(session.scalars(
            sa.select(DpaNegotiated).options(defer(DpaNegotiated.pdf))
            .where(DpaNegotiated.org_id == org_id)
            .order_by(DpaNegotiated.signed_on.desc(), DpaNegotiated.uploaded_at.desc())))


def copy_for(identity: Identity, negotiated_id: str) -> DpaNegotiated | None:
    """The negotiated DPA with its PDF, for an owner or admin of its organisation; None for
    anyone else (who is not told it exists)."""
    if identity.org is None or not identity.org.is_admin or not is_identifier(negotiated_id):
        return None
    with get_state().db.read() as session:
        row = session.get(DpaNegotiated, negotiated_id)
    return row if row is not None and row.org_id == identity.org.id else None


def staff_copy(officer: Identity, negotiated_id: str) -> DpaNegotiated | None:
    """Any negotiated DPA with its PDF, for a privacy officer."""
    if staff_role(officer) != PRIVACY_OFFICER or not is_identifier(negotiated_id):
        return None
    with get_state().db.read() as session:
        return session.get(DpaNegotiated, negotiated_id)


def open_request_of(org_id: str) -> PrivacyRequest | None:
    """The organisation's open request for changes to the DPA, if any."""
    with get_state().db.read() as session:
        return session.scalar(sa.select(PrivacyRequest).where(
            PrivacyRequest.type == RequestType.DPA, PrivacyRequest.org_id == org_id,
            PrivacyRequest.status.in_(OPEN_STATUSES)).order_by(PrivacyRequest.created_at))
