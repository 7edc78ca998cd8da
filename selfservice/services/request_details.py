"""What a privacy request may say about itself (its ``details``), per type, checked; and why a
request is refused before anything is recorded.

- an export: the formats;
- a ``dpa`` request (an organisation's owner or admin asks for changes to the DPA): the
  changes wanted, in plain text;
- every other right: an optional description and, under a US state's law, the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..identity import Identity
from ..models import RequestType
from ..sources import EXPORT_FORMATS
from ..text import REFUSAL, is_free_text
from ..us_states import US_STATES

#: the longest description of a right asked for
DESCRIPTION_MAX = 2000
#: the longest a description grows to with what the customer adds while the request is open
#: (services/request_additions.py; one addition is at most DESCRIPTION_MAX)
DESCRIPTION_TOTAL_MAX = 2 * DESCRIPTION_MAX
#: the longest text of the changes an organisation asks for in its DPA (a list of clauses and
#: what to change in each; a marked-up draft is then exchanged with the privacy officer)
CHANGES_MAX = 4000
#: the days we take to answer a ``dpa`` request: our own promise, not a deadline of the
#: privacy laws (a DPA's terms are a contract negotiation)
DPA_ANSWER_DAYS = 30


class RequestError(Exception):
    pass


class InvalidRequest(RequestError):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("invalid request")
        self.errors = dict(errors)


class NoOrganisation(RequestError):
    """A ``dpa`` request from an account in no organisation (the API answers 404)."""

    message = ("You are not a member of an organisation: only an organisation's owner or "
               "admins can ask for changes to its DPA.")


class NotOrgAdmin(RequestError):
    """A ``dpa`` request from a member (the API answers 403)."""

    message = "Only the organisation's owner or admins can ask for changes to its DPA."


def _unknown(details: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(details) - allowed
    if unknown:
        raise InvalidRequest({"details": f"unknown keys: {sorted(unknown)}"})


def export_details(details: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(details, {"formats"})
    formats = details.get("formats", ["jsonl"])
    if (not isinstance(formats, list) or "jsonl" not in formats
            or not set(formats) <= set(EXPORT_FORMATS)):
        raise InvalidRequest({"details": 'formats must be ["jsonl"] or ["jsonl", "csv"]'})
    return {"formats": sorted(set(formats), key=EXPORT_FORMATS.index)}


def described_details(details: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(details, {"description", "state"})
    text, state = details.get("description", ""), details.get("state")
    if state is not None and state not in US_STATES:
        raise InvalidRequest({"details": "state must be a US state's two-letter code"})
    if not isinstance(text, str) or len(text) > DESCRIPTION_MAX:
        raise InvalidRequest({"details": "description must be text of at most 2,000 "
                                         "characters"})
    if not is_free_text(text):
        raise InvalidRequest({"details": f"description {REFUSAL}"})
    clean = {"description": text.strip()} if text.strip() else {}
    return {**clean, "state": state} if state else clean


def dpa_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """The changes asked for: required, plain text (line breaks and tabs are fine), at most
    CHANGES_MAX characters once trimmed."""
    _unknown(details, {"changes"})
    text = details.get("changes")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest({"details": "changes is required: say what you would like "
                                         "changed in the DPA"})
    if not is_free_text(text):
        raise InvalidRequest({"details": f"changes {REFUSAL}"})
    if len(text.strip()) > CHANGES_MAX:
        raise InvalidRequest({"details": f"changes must be at most {CHANGES_MAX:,} "
                                         "characters"})
    return {"changes": text.strip()}


def checked(type_: str, details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The details of a request of ``type_`` (a known type), cleaned; InvalidRequest says
    what is wrong."""
    if type_ == RequestType.DPA:
        return dpa_details(details or {})
    if not details:
        return {"formats": ["jsonl"]} if type_ == RequestType.EXPORT else {}
    return (export_details(details) if type_ == RequestType.EXPORT
            else described_details(details))


def organisation_of(identity: Identity, type_: str) -> tuple[str, str] | None:
    """The organisation (id, name) a ``dpa`` request is for: the account's, which it must own
    or administer (NoOrganisation, NotOrgAdmin); None for any other type."""
    if type_ != RequestType.DPA:
        return None
    if identity.org is None:
        raise NoOrganisation(NoOrganisation.message)
    if not identity.org.is_admin:
        raise NotOrgAdmin(NotOrgAdmin.message)
    return identity.org.id, identity.org.name
