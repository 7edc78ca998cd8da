"""What a DPA says: the version's template filled in from what the console knows.

The processor is the company (``SELFSERVICE_CONTROLLER``: it controls its own customers' account
data, and processes what customers put into the Services on their behalf); the customer is the
organisation, with the legal entity its signer entered. Annex I's description of processing is
drawn from the source registry, Annex II from ``SELFSERVICE_DPA_MEASURES``, Annex III from the
sub-processor list. The same HTML fragment is shown on the page and laid out in the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import render_template

from ..dpa_versions import DpaVersion, measures
from ..sources import LEGAL_BASES
from ..state import get_state
from ..subprocessors import listed as listed_subprocessors

#: what an unsigned copy shows where the customer's entries go
BLANK = "______________________________"


@dataclass(frozen=True)
class Customer:
    """The customer's legal entity, as its signer entered it."""

    legal_name: str
    address: str
    registration_number: str | None


@dataclass(frozen=True)
class SigningRecord:
    """Who signed for the customer, and how we know it was them."""

    signer_name: str
    signer_title: str
    signer_email: str
    account_email: str
    signed_at: datetime
    authenticated_at: datetime | None
    ip_address: str | None


@dataclass(frozen=True)
class ProcessingRow:
    """One line of Annex I: a kind of personal data the Services hold."""

    category: str
    data: str
    purpose: str
    legal_basis: str
    retention: str


@dataclass(frozen=True)
class DpaDocument:
    version: DpaVersion
    #: the organisation's name in the console (None: a copy for someone without one)
    org_name: str | None
    customer: Customer | None
    signing: SigningRecord | None

    @property
    def customer_name(self) -> str:
        if self.customer is not None:
            return self.customer.legal_name
        return self.org_name or BLANK


def processor() -> dict[str, str]:
    """The company, as SELFSERVICE_CONTROLLER names it."""
    company = get_state().setting("CONTROLLER") or {}
    return {"name": str(company.get("name") or "The Processor"),
            "address": str(company.get("address") or BLANK),
            "email": str(company.get("email") or BLANK),
            "service": str(company.get("service") or "the Services")}


def _category_label(slug: str) -> str:
    return slug.replace("_", " ").capitalize()


def processing() -> list[ProcessingRow]:
    """Annex I's description of processing: every source the host registered (the plugin's
    own records are the company's, not processed for the customer)."""
    return [ProcessingRow(_category_label(s.category), s.description, s.purpose,
                          LEGAL_BASES[s.legal_basis], s.retention)
            for s in get_state().extension.sources if not s.builtin]


def document_day(document: DpaDocument) -> date:
    """The day a document speaks for: its signing day, else today (for a version that is not
    in force yet, the day it will be): Annex III lists the sub-processors in force then."""
    if document.signing is not None:
        return document.signing.signed_at.date()
    return max(datetime.now(UTC).date(), document.version.effective)


def context(document: DpaDocument) -> dict[str, Any]:
    """What a version's template is rendered with (docs/integration.md lists it)."""
    state = get_state()
    rows = processing()
    return {
        "dpa": document,
        "version": document.version,
        "processor": processor(),
        "customer": document.customer,
        "customer_name": document.customer_name,
        "org_name": document.org_name,
        "blank": BLANK,
        "processing": rows,
        "categories": sorted({row.category for row in rows}),
        "measures": measures(state.config),
        "subprocessors": listed_subprocessors(state.config, on=document_day(document)),
        "notice_days": state.setting("SUBPROCESSOR_NOTICE_DAYS"),
        "signing": document.signing,
    }


def body_html(document: DpaDocument) -> str:
    """The version's template rendered: an HTML fragment (headings from h2 down, paragraphs,
    lists, tables), the same on the page and in the PDF."""
    return render_template(document.version.template, **context(document))
