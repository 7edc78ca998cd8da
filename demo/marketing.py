"""The console's marketing lists: who is on them, registered as a data source with its eraser,
and their sample rows. Section 5: kept until the person unsubscribes or after two years
without activity, whichever is sooner (the sweep is in retention.py)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from selfservice import DataSource, SelfService, Subject

from .models import MarketingContact
from .source_kit import Field, counter, record_schema, streaming_exporter, subject_query

MARKETING_RETENTION = ("Until you unsubscribe, or after two years without activity (no "
                       "sign-up, opened e-mail or click), whichever is sooner.")
#: two years without activity
MARKETING_INACTIVE_DAYS = 730
#: contacts an eraser call removes at most
ERASE_BATCH = 5_000
_LISTS = ("newsletter", "product_updates", "events")


def marketing_source(engine: sa.Engine) -> DataSource:
    mc = MarketingContact
    fields = [
        Field("id", mc.id, "integer", "Contact identifier"),
        Field("email", mc.email, "string", "E-mail address on the list"),
        Field("list_name", mc.list_name, "string", "Which list: newsletter, product_updates "
              "or events"),
        Field("subscribed_at", mc.subscribed_at, "string", "When you subscribed",
              format="date-time"),
        Field("last_activity_at", mc.last_activity_at, "string",
              "Your last sign-up, opened e-mail or click", format="date-time"),
    ]
    return DataSource(
        name="marketing_contacts",
        description="The marketing lists you are on: address, list, when you subscribed and "
                    "your last activity",
        purpose="To send you the marketing e-mails you asked for, and to stop when you no "
                "longer read them.",
        legal_basis="consent", retention=MARKETING_RETENTION,
        retention_days=MARKETING_INACTIVE_DAYS, category="marketing",
        schema=record_schema("Marketing contact", fields),
        export=streaming_exporter(
            engine, fields, subject_query(fields, mc.account_id, [mc.subscribed_at, mc.id])),
        count=counter(engine, mc.account_id), erasure="erase")


def register_marketing(selfservice: SelfService, engine: sa.Engine) -> None:
    """The source and its eraser (deletes the subject's contacts, one bounded batch a call)."""
    selfservice.register_source(marketing_source(engine))
    table = MarketingContact.__table__

    @selfservice.eraser("marketing_contacts")
    def erase(subject: Subject) -> int:
        batch = (sa.select(table.c.id).where(table.c.account_id == subject.account_id)
                 .limit(ERASE_BATCH))
        with engine.begin() as connection:
            return connection.execute(sa.delete(table).where(
                table.c.id.in_(batch.scalar_subquery()))).rowcount


def contact_rows(rng: random.Random, now: datetime,
                 accounts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Sample contacts: the demo accounts given (id, e-mail) with their own activity, and
    leads without an account, about half of them inactive for more than two years."""
    rows: list[dict[str, Any]] = []
    activity = {"acct-alice": 12, "acct-bob": 800, "acct-carol": 400}
    for account_id, email in accounts:
        days = activity.get(account_id, rng.randint(0, 1400))
        rows.append(_contact(rng, now, account_id, email, days))
    for n in range(40):
        rows.append(_contact(rng, now, None, f"lead{n:02d}@example.org", rng.randint(0, 1500)))
    return rows


def _contact(rng: random.Random, now: datetime, account_id: str | None, email: str,
             idle_days: int) -> dict[str, Any]:
    last = now - timedelta(days=idle_days, seconds=rng.randrange(86400))
    return {"account_id": account_id, "email": email, "list_name": rng.choice(_LISTS),
            "subscribed_at": last - timedelta(days=rng.randint(0, 600)),
            "last_activity_at": last}
