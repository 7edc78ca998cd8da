"""What the plugin keeps about an account besides its choices and requests: the language it
reads (its e-mails are written in it)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class AccountLanguage(Base):
    """The language of the account's latest sign-in or action in the plugin's pages: the
    e-mails to the account are written in it. Erased with the account, exported with it."""

    __tablename__ = "selfservice_account_languages"

    account_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: a language the plugin ships ("en", "de"), as ``translation.current_language()`` says
    language: Mapped[str] = mapped_column(sa.String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
