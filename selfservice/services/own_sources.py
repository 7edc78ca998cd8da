"""The plugin's own records about a person, as data sources: they are exported (and, later,
erased) like the host's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from ..models import (
    ConsentEvent,
    CookieConsentRecord,
    PrivacyRequest,
    PrivacyRequestEvent,
    SubjectType,
)
from ..sources import DataSource, Subject
from ..state import get_state
from .consent_types import event_json
from .cookie_consent import account_records

_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _consent_events(subject: Subject) -> Iterator[dict[str, Any]]:
    query = (sa.select(ConsentEvent)
             .where(ConsentEvent.subject_type == SubjectType.ACCOUNT.value,
                    ConsentEvent.subject_id == subject.account_id)
             .order_by(ConsentEvent.seq))
    with get_state().db.read() as session:
        for event in session.scalars(query.execution_options(yield_per=500)):
            yield event_json(event)


def _cookie_consents(subject: Subject) -> Iterator[dict[str, Any]]:
    query = (sa.select(CookieConsentRecord).where(account_records(subject.account_id))
             .order_by(CookieConsentRecord.at, CookieConsentRecord.seq))
    with get_state().db.read() as session:
        for r in session.scalars(query.execution_options(yield_per=500)):
            yield {"id": r.id, "consent_id": r.consent_id, "seq": r.seq,
                   "categories": r.categories, "policy_version": r.policy_version,
                   "method": r.method, "language": r.language, "text_hash": r.text_hash,
                   "gpc": r.gpc, "gpc_override": r.gpc_override, "at": r.at.isoformat(),
                   "user_agent": r.user_agent, "ip_network": r.ip_network,
                   "prev_hash": r.prev_hash, "hash": r.hash}


def _privacy_requests(subject: Subject) -> Iterator[dict[str, Any]]:
    with get_state().db.read() as session:
        items = list(session.scalars(sa.select(PrivacyRequest)
                                     .where(PrivacyRequest.account_id == subject.account_id)
                                     .order_by(PrivacyRequest.created_at)))
        for item in items:
            events = session.scalars(sa.select(PrivacyRequestEvent)
                                     .where(PrivacyRequestEvent.request_id == item.id)
                                     .order_by(PrivacyRequestEvent.id))
            yield {"reference": item.reference, "type": item.type, "status": item.status,
                   "jurisdiction": item.jurisdiction, "details": item.details,
                   "created_at": item.created_at.isoformat(),
                   "due_at": item.due_at.isoformat(),
                   "completed_at": item.completed_at.isoformat() if item.completed_at
                   else None, "reason": item.reason,
                   "timeline": [{"at": e.at.isoformat(), "status": e.status, "note": e.note}
                                for e in events]}


def _count_consent_events(subject: Subject) -> int:
    with get_state().db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).where(
            ConsentEvent.subject_type == SubjectType.ACCOUNT.value,
            ConsentEvent.subject_id == subject.account_id)) or 0)


def _count_cookie_consents(subject: Subject) -> int:
    with get_state().db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).where(
            account_records(subject.account_id))) or 0)


def _count_privacy_requests(subject: Subject) -> int:
    with get_state().db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).where(
            PrivacyRequest.account_id == subject.account_id)) or 0)


def _years(days: int) -> str:
    return f"{days // 365} years" if days % 365 == 0 and days >= 730 else f"{days} days"


def ledger_kept(days: int) -> str:
    """What deletion keeps of the consent ledger, in the customer's words."""
    return (f"Proof of the consent choices you made is kept for {_years(days)} under a random "
            "pseudonym that no longer leads to you, because the law asks us to be able to "
            "prove consent; then it is deleted.")


def own_sources(proof_days: int = 1095) -> list[DataSource]:
    return [
        DataSource(
            name="consent_events",
            description="Your privacy choices: the consent ledger",
            purpose="Proving what you agreed to and when (model training, marketing, "
                    "sensitive data, sale or sharing), and honouring it",
            legal_basis="legal_obligation",
            retention="As long as the account exists",
            category="privacy", builtin=True, export=_consent_events,
            count=_count_consent_events, erasure="anonymise",
            erasure_reason=ledger_kept(proof_days),
            schema={"type": "object", "title": "Consent event", "properties": {
                "id": _STRING, "subject": _STRING, "seq": {"type": "integer"},
                "purpose": {"enum": ["training", "marketing_emails", "limit_sensitive_data",
                                     "do_not_sell_or_share"]},
                "granted": {"type": ["boolean", "null"]},
                "method": {"enum": ["console", "api", "gpc", "org_policy",
                                    "written_agreement"]},
                "policy_version": _STRING, "at": _TIME,
                "actor": {"type": "object", "properties": {
                    "type": _STRING, "id": {"type": ["string", "null"]}}},
                "details": {"type": "object"}, "prev_hash": _HASH, "hash": _HASH},
                "required": ["id", "purpose", "granted", "method", "policy_version", "at",
                             "hash", "prev_hash"]}),
        DataSource(
            name="cookie_consents",
            description="Your cookie choices in this console",
            purpose="Proving the cookie choices you made, and applying them on your devices",
            legal_basis="legal_obligation",
            retention="3 years after your last choice, or until the account is deleted",
            category="privacy", builtin=True, export=_cookie_consents,
            count=_count_cookie_consents, erasure="erase",
            schema={"type": "object", "title": "Cookie consent record", "properties": {
                "id": _STRING, "consent_id": _STRING, "seq": {"type": "integer"},
                "categories": {"type": "object", "additionalProperties": {"type": "boolean"}},
                "policy_version": _STRING, "method": _STRING, "language": _STRING,
                "text_hash": _HASH, "gpc": {"type": "boolean"},
                "gpc_override": {"type": "boolean"}, "at": _TIME, "user_agent": _STRING,
                "ip_network": {"type": ["string", "null"]}, "prev_hash": _HASH,
                "hash": _HASH},
                "required": ["id", "consent_id", "categories", "at", "hash"]}),
        DataSource(
            name="privacy_requests",
            description="Your privacy requests and their timelines",
            purpose="Answering your requests within the legal deadlines, and proving we did",
            legal_basis="legal_obligation",
            retention="As long as the account exists, then as the law requires",
            category="privacy", builtin=True, export=_privacy_requests,
            count=_count_privacy_requests, erasure="anonymise",
            erasure_reason="A record of each request (when, what kind, the answer and any "
                           "reason for refusing it) is kept without your name or e-mail "
                           f"address for {_years(proof_days)}, as the law requires; what you "
                           "wrote in them and your export files are deleted. This deletion "
                           "request itself is kept the same way, as proof that it was done.",
            schema={"type": "object", "title": "Privacy request", "properties": {
                "reference": _STRING, "type": _STRING, "status": _STRING,
                "jurisdiction": _STRING, "details": {"type": "object"},
                "created_at": _TIME, "due_at": _TIME,
                "completed_at": {"type": ["string", "null"], "format": "date-time"},
                "reason": {"type": ["string", "null"]},
                "timeline": {"type": "array", "items": {"type": "object", "properties": {
                    "at": _TIME, "status": _STRING, "note": _STRING}}}},
                "required": ["reference", "type", "status", "created_at", "due_at",
                             "timeline"]}),
    ]
