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
from ..translation import N_
from . import languages
from .consent_types import event_json
from .cookie_consent import account_records

_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _t(schema: dict[str, Any], title: str) -> dict[str, Any]:
    """A property's schema with its ``title``: the heading of its column in the archive's
    viewer, in the customer's language (the title is marked for the catalogue with N_)."""
    return {**schema, "title": title}


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


#: what deletion keeps, said for the usual period of SELFSERVICE_ERASED_PROOF_RETENTION_DAYS
#: (3 years): marked for the catalogue, so that the deletion plan says it in the reader's
#: language; another period is written into the same words, in English
_LEDGER_KEPT = N_("Proof of the consent choices you made is kept for 3 years under a random "
                  "pseudonym that no longer leads to you, because the law asks us to be able "
                  "to prove consent; then it is deleted.")
_REQUESTS_KEPT = N_("A record of each request (when, what kind, the answer and any reason for "
                    "refusing it) is kept without your name or e-mail address for 3 years, as "
                    "the law requires; what you wrote in them and your export files are "
                    "deleted. This deletion request itself is kept the same way, as proof "
                    "that it was done.")
_USUAL_PERIOD = "3 years"


def ledger_kept(days: int) -> str:
    """What deletion keeps of the consent ledger, in the customer's words."""
    return _LEDGER_KEPT.replace(_USUAL_PERIOD, _years(days))


def own_sources(proof_days: int = 1095) -> list[DataSource]:
    """The plugin's own sources. Their words are English, marked for the catalogue (N_): the
    export's viewer and the pages show them translated."""
    return [
        DataSource(
            name="consent_events",
            description=N_("Your privacy choices and their history"),
            purpose=N_("Proving what you agreed to and when (model training, marketing, "
                       "sensitive data, sale or sharing), and honouring it"),
            legal_basis="legal_obligation",
            retention=N_("As long as the account exists"),
            category="privacy", builtin=True, export=_consent_events,
            count=_count_consent_events, erasure="anonymise",
            erasure_reason=ledger_kept(proof_days),
            schema={"type": "object", "title": "Consent event", "properties": {
                "id": _t(_STRING, N_("Record")), "subject": _t(_STRING, N_("Whose")),
                "seq": _t({"type": "integer"}, N_("Number")),
                "purpose": _t({"enum": ["training", "marketing_emails", "limit_sensitive_data",
                                        "do_not_sell_or_share"]}, N_("What for")),
                "granted": _t({"type": ["boolean", "null"]}, N_("Agreed")),
                "method": _t({"enum": ["console", "api", "gpc", "org_policy",
                                       "written_agreement"]}, N_("How")),
                "policy_version": _t(_STRING, N_("Privacy policy version")),
                "at": _t(_TIME, N_("When")),
                "actor": _t({"type": "object", "properties": {
                    "type": _STRING, "id": {"type": ["string", "null"]}}}, N_("Made by")),
                "details": _t({"type": "object"}, N_("Details")),
                "prev_hash": _t(_HASH, N_("Fingerprint of the record before")),
                "hash": _t(_HASH, N_("Fingerprint"))},
                "required": ["id", "purpose", "granted", "method", "policy_version", "at",
                             "hash", "prev_hash"]}),
        DataSource(
            name="cookie_consents",
            description=N_("Your cookie choices in this console"),
            purpose=N_("Proving the cookie choices you made, and applying them on your "
                       "devices"),
            legal_basis="legal_obligation",
            retention=N_("3 years after your last choice, or until the account is deleted"),
            category="privacy", builtin=True, export=_cookie_consents,
            count=_count_cookie_consents, erasure="erase",
            schema={"type": "object", "title": "Cookie consent record", "properties": {
                "id": _t(_STRING, N_("Record")), "consent_id": _t(_STRING, N_("Choice")),
                "seq": _t({"type": "integer"}, N_("Number")),
                "categories": _t({"type": "object",
                                  "additionalProperties": {"type": "boolean"}},
                                 N_("Cookie categories")),
                "policy_version": _t(_STRING, N_("Cookie policy version")),
                "method": _t(_STRING, N_("How")), "language": _t(_STRING, N_("Language")),
                "text_hash": _t(_HASH, N_("Fingerprint of the text shown")),
                "gpc": _t({"type": "boolean"}, N_("Global Privacy Control")),
                "gpc_override": _t({"type": "boolean"},
                                   N_("Chosen despite Global Privacy Control")),
                "at": _t(_TIME, N_("When")), "user_agent": _t(_STRING, N_("Browser")),
                "ip_network": _t({"type": ["string", "null"]}, N_("Network")),
                "prev_hash": _t(_HASH, N_("Fingerprint of the record before")),
                "hash": _t(_HASH, N_("Fingerprint"))},
                "required": ["id", "consent_id", "categories", "at", "hash"]}),
        DataSource(
            name="privacy_requests",
            description=N_("Your privacy requests and their timelines"),
            purpose=N_("Answering your requests within the legal deadlines, and proving we "
                       "did"),
            legal_basis="legal_obligation",
            retention=N_("As long as the account exists, then as the law requires"),
            category="privacy", builtin=True, export=_privacy_requests,
            count=_count_privacy_requests, erasure="anonymise",
            erasure_reason=_REQUESTS_KEPT.replace(_USUAL_PERIOD, _years(proof_days)),
            schema={"type": "object", "title": "Privacy request", "properties": {
                "reference": _t(_STRING, N_("Reference")), "type": _t(_STRING, N_("Kind")),
                "status": _t(_STRING, N_("Status")),
                "jurisdiction": _t(_STRING, N_("Law")),
                "details": _t({"type": "object"}, N_("Details")),
                "created_at": _t(_TIME, N_("Received")), "due_at": _t(_TIME, N_("Answer due")),
                "completed_at": _t({"type": ["string", "null"], "format": "date-time"},
                                   N_("Completed")),
                "reason": _t({"type": ["string", "null"]}, N_("Reason")),
                "timeline": _t({"type": "array", "items": {"type": "object", "properties": {
                    "at": _STRING, "status": _STRING, "note": _STRING}}}, N_("Timeline"))},
                "required": ["reference", "type", "status", "created_at", "due_at",
                             "timeline"]}),
        DataSource(
            name="account_language",
            description=N_("The language you read our pages and e-mails in"),
            purpose=N_("Writing our e-mails to you in your language"),
            legal_basis="legitimate_interests",
            retention=N_("Until you use another language, or until the account is deleted"),
            category="privacy", builtin=True, export=languages.export,
            count=languages.count, erasure="erase",
            schema={"type": "object", "title": "Account language", "properties": {
                "language": _t({"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]+)*$"},
                               N_("Language")),
                "updated_at": _t(_TIME, N_("Recorded"))},
                "required": ["language", "updated_at"]}),
    ]
