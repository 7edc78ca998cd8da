"""Cookie consent records, their links to accounts, and the cookie policy versions served."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .base import check_in, new_id


class CookieConsentMethod(enum.StrEnum):
    BANNER = "banner"
    SETTINGS = "settings"
    GPC = "gpc"
    API = "api"


class CookieConsentRecord(Base):
    """One cookie decision of one visitor (an anonymous consent id, and the account when
    signed in): append-only, hash-chained per consent id. The IP address is truncated before
    it is stored."""

    __tablename__ = "selfservice_cookie_consents"
    __table_args__ = (
        sa.UniqueConstraint("consent_id", "seq", name="uq_selfservice_cookie_consents_chain"),
        sa.CheckConstraint(check_in("method", CookieConsentMethod), name="method"),
        sa.Index("ix_selfservice_cookie_consents_account", "account_id", "at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    #: the anonymous id in the visitor's consent cookie
    consent_id: Mapped[str] = mapped_column(sa.String(32))
    seq: Mapped[int]
    account_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: {"necessary": true, "functional": bool, "analytics": bool, "marketing": bool}
    categories: Mapped[dict[str, bool]] = mapped_column(sa.JSON)
    policy_version: Mapped[str] = mapped_column(sa.String(40))
    #: SHA-256 of the banner or settings texts the visitor was shown, and their language
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(16))
    method: Mapped[str] = mapped_column(sa.String(16))
    #: the request carried a Global Privacy Control signal; and the visitor confirmed an
    #: explicit opt-in to marketing despite it
    gpc: Mapped[bool] = mapped_column(default=False)
    gpc_override: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    #: IPv4 /24 or IPv6 /48 network address, never the whole address
    ip_network: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class CookieConsentLink(Base):
    """An anonymous consent id that turned out to belong to an account (the visitor signed
    in): its history is the account's, and is deleted with it."""

    __tablename__ = "selfservice_cookie_consent_links"

    consent_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CookiePolicyVersion(Base):
    """Every version of the cookie registry the console has served, with its contents, so a
    returning visitor can be told what changed since they chose."""

    __tablename__ = "selfservice_cookie_policies"

    version: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    digests: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    cookies: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
