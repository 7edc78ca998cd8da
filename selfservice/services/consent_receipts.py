"""Consent receipts of ledger events, signed with the plugin's published key."""

from __future__ import annotations

import os
from typing import Any

from .. import receipts
from ..identity import Identity
from ..models import ConsentEvent, ConsentMethod, CookieConsentRecord
from ..purposes import METHODS, PURPOSES
from ..state import get_state
from .consent_types import LedgerInvalid, event_json
from .consent_verification import verify_subject


def signing_key() -> receipts.SigningKey:
    """The receipt key, loaded once per application (``SELFSERVICE_RECEIPT_KEY``)."""
    state = get_state()
    key: receipts.SigningKey | None = state.receipt_key
    if key is None:
        default = os.path.join(state.instance_path, "selfservice-receipt-key.pem")
        key = receipts.key_from_setting(state.setting("RECEIPT_KEY"), default)
        state.receipt_key = key
    return key


def published_keys() -> dict[str, Any]:
    return receipts.jwks(signing_key(), get_state().setting("RECEIPT_RETIRED_KEYS"))


def build_receipt(event: ConsentEvent, identity: Identity | None, *, jwks_url: str,
                  language: str = "en") -> dict[str, Any]:
    """The event as a Kantara-shaped consent receipt (v1.1 fields, plus ``ledger``: where the
    event sits in its hash chain)."""
    state = get_state()
    controller = state.setting("CONTROLLER")
    text = PURPOSES[event.purpose]
    withdrawn = event.granted is False
    return {
        "version": receipts.RECEIPT_VERSION,
        "jurisdiction": controller.get("jurisdiction", ""),
        "consentTimestamp": int(event.at.timestamp()),
        "collectionMethod": METHODS.get(event.method, event.method),
        "consentReceiptID": event.id,
        "publicKey": jwks_url,
        "language": language,
        "piiPrincipalId": event.subject_id,
        "piiControllers": [{
            "piiController": controller.get("name", ""),
            "onBehalf": False,
            "contact": controller.get("contact", controller.get("name", "")),
            "address": controller.get("address", ""),
            "email": controller.get("email", ""),
            "phone": controller.get("phone", ""),
            "piiControllerUrl": controller.get("url", ""),
        }],
        "policyUrl": state.setting("POLICY_URL") or "",
        "services": [{
            "service": controller.get("service", "Services"),
            "purposes": [{
                "purpose": text.title,
                "purposeCategory": [text.category],
                "consentType": ("EXPLICIT" if event.method in (
                    ConsentMethod.CONSOLE, ConsentMethod.API, ConsentMethod.WRITTEN_AGREEMENT)
                    else "IMPLICIT"),
                "piiCategory": list(text.pii_categories),
                "primaryPurpose": False,
                "termination": ("Withdrawn by this event" if withdrawn else
                                "Until withdrawn in Privacy settings, at any time"),
                "thirdPartyDisclosure": False,
            }],
        }],
        "sensitive": False,
        "spiCat": [],
        "ledger": event_json(event),
    }


def signed_receipt(event: ConsentEvent, identity: Identity | None, *,
                   jwks_url: str) -> dict[str, Any]:
    """Sign the event's receipt, after checking its whole chain: a record that fails
    verification (edited in the database, say) is never certified."""
    report = verify_subject(event.subject_type, event.subject_id)
    if not report.valid:
        raise LedgerInvalid(f"the consent chain of event {event.id} does not verify: "
                            f"{report.reason}")
    return receipts.signed_receipt(build_receipt(event, identity, jwks_url=jwks_url),
                                   signing_key())


def signed_cookie_receipt(record: CookieConsentRecord, *, jwks_url: str) -> dict[str, Any]:
    """A cookie decision as a Kantara-shaped receipt: one purpose per cookie category."""
    state = get_state()
    controller = state.setting("CONTROLLER")
    receipt = {
        "version": receipts.RECEIPT_VERSION,
        "jurisdiction": controller.get("jurisdiction", ""),
        "consentTimestamp": int(record.at.timestamp()),
        "collectionMethod": f"cookie {record.method}",
        "consentReceiptID": record.id,
        "publicKey": jwks_url,
        "language": record.language,
        "piiPrincipalId": f"cookie-consent:{record.consent_id}",
        "piiControllers": [{"piiController": controller.get("name", ""), "onBehalf": False,
                            "contact": controller.get("contact", ""),
                            "address": controller.get("address", ""),
                            "email": controller.get("email", ""),
                            "phone": controller.get("phone", ""),
                            "piiControllerUrl": controller.get("url", "")}],
        "policyUrl": state.setting("POLICY_URL") or "",
        "services": [{"service": controller.get("service", "Services"), "purposes": [
            {"purpose": f"{category} cookies", "purposeCategory": [category],
             "consentType": "EXPLICIT" if record.method != "gpc" else "IMPLICIT",
             "piiCategory": ["Device identifiers", "Usage data"],
             "primaryPurpose": category == "necessary",
             "termination": "granted" if granted else "refused",
             "thirdPartyDisclosure": False}
            for category, granted in record.categories.items()]}],
        "sensitive": False,
        "spiCat": [],
        "ledger": {"record_id": record.id, "consent_id": record.consent_id,
                   "seq": record.seq, "categories": record.categories,
                   "policy_version": record.policy_version, "method": record.method,
                   "text_hash": record.text_hash, "gpc": record.gpc,
                   "gpc_override": record.gpc_override, "at": record.at.isoformat(),
                   "prev_hash": record.prev_hash, "hash": record.hash},
    }
    return receipts.signed_receipt(receipt, signing_key())
