"""Signed Data Processing Addenda: one row per organisation and version, written once when an
owner or admin signs, never changed or deleted; and separately negotiated DPAs, uploaded by a
privacy officer, kept the same way."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from .base import new_id


class DpaSignature(Base):
    """An organisation's signature of one version of the DPA, and the countersigned PDF."""

    __tablename__ = "selfservice_dpa_signatures"
    __table_args__ = (
        # one signature per organisation and version: of two admins signing at once, the
        # second finds the first's
        sa.UniqueConstraint("org_id", "version", name="uq_selfservice_dpa_signatures_org"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    #: the host's organisation id
    org_id: Mapped[str] = mapped_column(sa.String(64))
    #: the organisation's name in the console when it signed
    org_name: Mapped[str] = mapped_column(sa.String(200))
    #: the DPA version signed (SELFSERVICE_DPA_VERSIONS)
    version: Mapped[str] = mapped_column(sa.String(40))
    #: the account that signed (through single sign-on, freshly), and its e-mail then
    account_id: Mapped[str] = mapped_column(sa.String(64))
    account_email: Mapped[str] = mapped_column(sa.String(254))
    #: the customer's legal entity, as the signer entered it
    legal_name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(500))
    registration_number: Mapped[str | None] = mapped_column(sa.String(64))
    signer_name: Mapped[str] = mapped_column(sa.String(120))
    signer_title: Mapped[str] = mapped_column(sa.String(120))
    signer_email: Mapped[str] = mapped_column(sa.String(254))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the signer last authenticated at the identity provider
    authenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: where from: the client's address as the console saw it, and its browser
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
    #: SHA-256 (hex) of the bytes the company's PDF signature covers (its messageDigest)
    document_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 (hex) of the whole PDF file as downloaded
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 fingerprint of the company's signing certificate
    certificate_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: the countersigned PDF itself (a few tens of kilobytes)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)


class DpaNotice(Base):
    """That an organisation which signed an earlier version was told a new one took effect
    (written once, so each organisation is told once per version)."""

    __tablename__ = "selfservice_dpa_notices"

    version: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: the version the organisation had signed last
    signed_version: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DpaNegotiated(Base):
    """A separately negotiated DPA, signed outside the console: the PDF a privacy officer
    uploaded for an organisation, kept as uploaded, never changed or deleted."""

    __tablename__ = "selfservice_dpa_negotiated"
    __table_args__ = (
        # the same file twice for one organisation is one upload (a retried command finds it)
        sa.UniqueConstraint("org_id", "file_sha256", name="uq_selfservice_dpa_negotiated_file"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    #: the host's organisation id, and its name in the console when the PDF was uploaded
    org_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    org_name: Mapped[str] = mapped_column(sa.String(200))
    #: what the parties call this version ("Acme AI DPA, negotiated 2026-11")
    version_label: Mapped[str] = mapped_column(sa.String(120))
    #: the day the last party signed it
    signed_on: Mapped[date] = mapped_column(sa.Date)
    #: the privacy officer who uploaded it, and when
    uploaded_by: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the ``dpa`` request it answers, if any (its reference, kept if the request goes)
    request_reference: Mapped[str | None] = mapped_column(sa.String(16))
    #: SHA-256 (hex) of the file as uploaded, and its size in bytes
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    pages: Mapped[int] = mapped_column(sa.Integer)
    #: the digital signatures the PDF carries, as found when it was uploaded: a list of
    #: {field, signer, signed_at, intact} (empty: a scanned or hand-signed copy)
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    #: the PDF itself
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
