"""Sub-processor changes for the tests, dated from today: one announced and upcoming, one that
took effect yesterday, one announced with short notice and its reason."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from babel.dates import format_date

from selfservice.db import utcnow


def day(offset: int) -> str:
    """Today (UTC) plus ``offset`` days, as the configuration writes a day."""
    return (utcnow().date() + timedelta(days=offset)).isoformat()


def shown(offset: int) -> str:
    """``day(offset)`` as an English page writes it ("10 January 2027")."""
    return format_date(date.fromisoformat(day(offset)), "d MMMM y", locale="en")


#: announced five days ago, in effect in 40 days: customers can object
ADD: dict[str, Any] = {
    "id": "2026-mailer", "action": "add", "announced_at": day(-5), "effective_at": day(40),
    "name": "Mailer GmbH", "purpose": "Sending account and privacy e-mails",
    "location": "Germany (EU)", "transfer_mechanism": "None needed (processing in the EU)",
    "data_categories": "Name, e-mail address",
    "description": "We are moving our e-mail to a provider in the EU.",
}
#: took effect yesterday: the time to object is over
PAST: dict[str, Any] = {
    "id": "2026-no-cdn", "action": "remove", "announced_at": day(-60), "effective_at": day(-1),
    "name": "Cloudflare, Inc.", "description": "We serve the console from our own network.",
}
#: ten days' notice, with the reason it must be short
SHORT: dict[str, Any] = {
    "id": "2026-stripe-us", "action": "change", "announced_at": day(-2), "effective_at": day(8),
    "name": "Stripe Payments Europe Ltd.", "location": "United States",
    "description": "Card payments move to Stripe's US entity.",
    "short_notice_reason": "Stripe ends its EU processing for our plan on that day.",
}
#: announced yesterday, in effect in 35 days
REMOVE: dict[str, Any] = {
    "id": "2026-no-postmark", "action": "remove", "announced_at": day(-1),
    "effective_at": day(35), "name": "Postmark (ActiveCampaign, LLC)",
    "description": "Mailer GmbH sends our e-mails from then on.",
}
