"""The Data Processing Addendum: which version is in force, who may sign it for an
organisation, and signing itself (the PDF rendered, countersigned and kept, once per
organisation and version, with an audit event).

Signing happens in the request: rendering and countersigning take well under a second, and
the signer gets the document's hash in the answer.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from .. import dpa_versions
from ..dpa_signing import Countersigner, signed_digest
from ..dpa_versions import DpaVersion
from ..identity import Identity
from ..ledger import record_audit
from ..models import DpaSignature
from ..schemas.base import InvalidInput
from ..state import get_state
from . import dpa_document, dpa_pdf
from .dpa_document import Customer, DpaDocument, SigningRecord

logger = logging.getLogger(__name__)


class DpaRefused(Exception):
    """Why a signature is not made; nothing was recorded."""

    message = "This DPA cannot be signed."


class NoOrganisation(DpaRefused):
    message = "You are not a member of an organisation: there is nothing to sign for."


class NotOrgAdmin(DpaRefused):
    message = "Only the organisation's owner or admins can sign its DPA."


class SigningUnavailable(DpaRefused):
    message = ("The DPA cannot be signed in the console at the moment; the standard DPA can "
               "still be downloaded.")


class NotCurrentVersion(DpaRefused):
    def __init__(self, current: DpaVersion | None) -> None:
        super().__init__()
        self.current = current
        self.message = (f"Only the version in force ({current.version}) can be signed."
                        if current else "No version of the DPA is in force.")


class AlreadySigned(DpaRefused):
    def __init__(self, signature: DpaSignature) -> None:
        super().__init__()
        self.signature = signature
        self.message = (f"{signature.signer_name} already signed version {signature.version} "
                        f"for {signature.org_name} on {signature.signed_at:%Y-%m-%d %H:%M} UTC.")


@dataclass(frozen=True)
class SignatureEntries:
    """What the signer enters (checked for shape by the form or the API schema)."""

    version: str
    legal_name: str
    address: str
    registration_number: str | None
    signer_name: str
    signer_title: str
    signer_email: str


@dataclass(frozen=True)
class Origin:
    """Where and how the signer signed in: recorded with the signature."""

    ip_address: str | None
    user_agent: str | None
    authenticated_at: datetime | None


def now() -> datetime:
    return datetime.now(UTC)


def current_version() -> DpaVersion | None:
    return dpa_versions.current(get_state().config, now())


def find_version(name: str) -> DpaVersion | None:
    return dpa_versions.find(get_state().config, name)


def countersigner() -> Countersigner | None:
    signer: Countersigner | None = get_state().dpa_countersigner
    return signer


def signatures_of(org_id: str) -> list[DpaSignature]:
    """The organisation's signatures, newest first (without the PDFs)."""
    with get_state().db.read() as session:
        return list(session.scalars(
            sa.select(DpaSignature).options(defer(DpaSignature.pdf))
            .where(DpaSignature.org_id == org_id).order_by(DpaSignature.signed_at.desc())))


def _signature_for(org_id: str, version: str) -> DpaSignature | None:
    with get_state().db.read() as session:
        return session.scalar(sa.select(DpaSignature).options(defer(DpaSignature.pdf)).where(
            DpaSignature.org_id == org_id, DpaSignature.version == version))


@dataclass(frozen=True)
class Overview:
    """The DPA as one account sees it."""

    current: DpaVersion | None
    upcoming: DpaVersion | None
    #: the organisation's signatures, newest first
    signatures: list[DpaSignature]
    can_sign: bool
    #: the organisation signed an earlier version, not the one in force
    new_version_available: bool
    #: the company's signing certificate (None: signing is off)
    certificate_sha256: str | None

    @property
    def signed_current(self) -> DpaSignature | None:
        return next((s for s in self.signatures
                     if self.current and s.version == self.current.version), None)


def overview(identity: Identity) -> Overview | None:
    """The DPA in force, what is coming, and the account's organisation's signatures; None
    when the host publishes no DPA."""
    config = get_state().config
    if not dpa_versions.listed(config):
        return None
    moment = now()
    current = dpa_versions.current(config, moment)
    signatures = signatures_of(identity.org.id) if identity.org else []
    signed = current is not None and any(s.version == current.version for s in signatures)
    signer = countersigner()
    return Overview(
        current=current, upcoming=dpa_versions.upcoming(config, moment),
        signatures=signatures,
        can_sign=bool(identity.org and identity.org.is_admin and current and signer
                      and not signed),
        new_version_available=bool(signatures and current and not signed),
        certificate_sha256=signer.certificate_sha256 if signer else None)


def unsigned_document(identity: Identity | None, version: DpaVersion) -> DpaDocument:
    return DpaDocument(version, identity.org.name if identity and identity.org else None,
                       None, None)


def unsigned_pdf(identity: Identity | None, version: DpaVersion) -> bytes:
    """The standard DPA of ``version``, pre-filled with the organisation's name."""
    document = unsigned_document(identity, version)
    return dpa_pdf.render(document, dpa_document.body_html(document))


def _check_showable(entries: SignatureEntries) -> None:
    errors = {}
    for field in ("legal_name", "address", "registration_number", "signer_name",
                  "signer_title", "signer_email"):
        missing = dpa_pdf.unshowable(getattr(entries, field) or "")
        if missing:
            errors[field] = (f"has characters the document's font cannot show ({missing}): "
                             "write them in Latin letters")
    if errors:
        raise InvalidInput(errors)


def _refusal(identity: Identity, version: str) -> tuple[DpaVersion, Countersigner]:
    """The version in force and the countersigner, or why this account cannot sign it."""
    if identity.org is None:
        raise NoOrganisation()
    if not identity.org.is_admin:
        raise NotOrgAdmin()
    current = current_version()
    if current is None or current.version != version:
        raise NotCurrentVersion(current)
    signer = countersigner()
    if signer is None:
        raise SigningUnavailable()
    existing = _signature_for(identity.org.id, current.version)
    if existing is not None:
        raise AlreadySigned(existing)
    return current, signer


def sign(identity: Identity, entries: SignatureEntries, origin: Origin) -> DpaSignature:
    """An owner or admin signs the version in force for its organisation: the PDF is rendered
    with their entries, countersigned by the company, and kept with who, when, from where and
    the SHA-256 of what was signed. Raises a :class:`DpaRefused` (nothing recorded) or
    InvalidInput."""
    current, signer = _refusal(identity, entries.version)
    _check_showable(entries)
    assert identity.org is not None
    signed_at = now().replace(microsecond=0)
    document = DpaDocument(
        current, identity.org.name,
        Customer(entries.legal_name, entries.address, entries.registration_number),
        SigningRecord(entries.signer_name, entries.signer_title, entries.signer_email,
                      identity.email, signed_at, origin.authenticated_at, origin.ip_address))
    company = dpa_document.processor()["name"]
    pdf = signer.sign(dpa_pdf.render(document, dpa_document.body_html(document),
                                     signer.certificate_sha256),
                      name=company, reason=f"Countersigned DPA version {current.version} "
                                           f"signed by {identity.org.name}")
    row = DpaSignature(
        org_id=identity.org.id, org_name=identity.org.name, version=current.version,
        account_id=identity.account_id, account_email=identity.email,
        legal_name=entries.legal_name, address=entries.address,
        registration_number=entries.registration_number, signer_name=entries.signer_name,
        signer_title=entries.signer_title, signer_email=entries.signer_email,
        signed_at=signed_at, authenticated_at=origin.authenticated_at,
        ip_address=origin.ip_address, user_agent=origin.user_agent,
        document_sha256=signed_digest(pdf), file_sha256=hashlib.sha256(pdf).hexdigest(),
        certificate_sha256=signer.certificate_sha256, pdf=pdf)
    try:
        with get_state().db.transaction() as session:
            session.add(row)
            session.flush()  # the unique (org, version) answers here when another won
            record_audit(session, stream=f"org:{row.org_id}", action="dpa.signed",
                         actor_type="account", actor_id=identity.account_id,
                         target_type="organisation", target_id=row.org_id,
                         details={"signature_id": row.id, "version": row.version,
                                  "document_sha256": row.document_sha256,
                                  "ip_address": row.ip_address})
    except IntegrityError:
        first = _signature_for(row.org_id, row.version)
        if first is None:
            raise
        raise AlreadySigned(first) from None
    logger.info("DPA %s signed for organisation %r by %r", row.version, row.org_id,
                identity.account_id)
    return row


def signed_copy(identity: Identity, signature_id: str) -> DpaSignature | None:
    """The signature with its PDF, for an owner or admin of the organisation that signed;
    None for anyone else (who is not told it exists)."""
    if identity.org is None or not identity.org.is_admin:
        return None
    with get_state().db.read() as session:
        row = session.get(DpaSignature, signature_id)
    return row if row is not None and row.org_id == identity.org.id else None


def admins_of(identity: Identity) -> list[Identity]:
    """The owners and admins of the account's organisation, whom a member can ask for the
    signed copy (empty when the host gives no list of members)."""
    if identity.org is None:
        return []
    state = get_state()
    try:
        members = state.extension.org_members(identity.org.id)
    except RuntimeError:
        return []
    found = [state.extension.load_identity(account_id) for account_id in members]
    return [m for m in found if m is not None and m.org is not None
            and m.org.id == identity.org.id and m.org.is_admin]
