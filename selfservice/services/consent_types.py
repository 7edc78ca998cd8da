"""What the consent services share: the four preferences and their purposes, the privacy policy
version in force, the errors a refused change raises, who acts (:class:`Actor`), the views of
an account's preferences and of an organisation's training policy, and a consent event as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..models import ConsentEvent, OrgPolicy, Purpose
from ..state import get_state

#: the preferences a customer can change, and the purpose each one's events carry
PREFERENCE_PURPOSES: dict[str, Purpose] = {
    "training_opt_in": Purpose.TRAINING,
    "marketing_emails": Purpose.MARKETING_EMAILS,
    "limit_sensitive_data": Purpose.LIMIT_SENSITIVE_DATA,
    "do_not_sell_or_share": Purpose.DO_NOT_SELL_OR_SHARE,
}
#: the preference (a column of ``selfservice_preferences``) each purpose's events set
PREFERENCE_OF: dict[Purpose, str] = {
    purpose: field for field, purpose in PREFERENCE_PURPOSES.items()}


def policy_version() -> str:
    """The privacy policy version in force (``SELFSERVICE_POLICY_VERSION``)."""
    return str(get_state().setting("POLICY_VERSION"))


# -- errors -----------------------------------------------------------------------------------

class ConsentError(Exception):
    """A change the ledger refuses; nothing was written."""


class TrainingLocked(ConsentError):
    def __init__(self, policy: OrgPolicyView) -> None:
        super().__init__("training is decided by your organisation's policy")
        self.policy = policy


class NoOrganisation(ConsentError):
    pass


class NotOrgAdmin(ConsentError):
    pass


class LedgerInvalid(ConsentError):
    """A chain failed verification: nothing is certified from it."""


class UnknownPolicyVersion(ConsentError):
    def __init__(self, given: str, current: str) -> None:
        super().__init__(f"policy version {given!r} is not the one in force ({current!r})")
        self.current = current


# -- views ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """Who made a change: ``account`` (the customer, an org admin, a privacy officer),
    ``service`` (a token's name) or ``system``."""

    type: str
    id: str | None = None

    @classmethod
    def account(cls, account_id: str) -> Actor:
        return cls("account", account_id)

    def as_json(self) -> dict[str, str | None]:
        return {"type": self.type, "id": self.id}


SYSTEM = Actor("system")


class PreferencesRow(Protocol):
    """What a view reads of a ``selfservice_preferences`` row: the ORM object, or the plain
    row a lookup by key returns (no ORM object made for a read)."""

    @property
    def account_id(self) -> str: ...
    @property
    def training_opt_in(self) -> bool: ...
    @property
    def own_training_opt_in(self) -> bool: ...
    @property
    def training_org_id(self) -> str | None: ...
    @property
    def marketing_emails(self) -> bool: ...
    @property
    def limit_sensitive_data(self) -> bool: ...
    @property
    def do_not_sell_or_share(self) -> bool: ...
    @property
    def gpc_honoured_at(self) -> datetime | None: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def head_seq(self) -> int: ...


@dataclass(frozen=True)
class NoPreferences:
    """The preferences of an account that never chose anything: every one off."""

    account_id: str
    training_opt_in: bool = False
    own_training_opt_in: bool = False
    training_org_id: str | None = None
    marketing_emails: bool = False
    limit_sensitive_data: bool = False
    do_not_sell_or_share: bool = False
    gpc_honoured_at: datetime | None = None
    updated_at: datetime | None = None
    head_seq: int = 0


class OrgPolicyRow(Protocol):
    """What a view reads of a ``selfservice_org_policies`` row (ORM object or plain row)."""

    @property
    def org_id(self) -> str: ...
    @property
    def policy(self) -> str: ...
    @property
    def set_by(self) -> str | None: ...
    @property
    def set_at(self) -> datetime: ...
    @property
    def head_seq(self) -> int: ...


@dataclass(frozen=True)
class OrgPolicyView:
    org_id: str
    policy: str
    set_by: str | None
    set_at: datetime | None

    @property
    def locks_training(self) -> bool:
        return self.policy != OrgPolicy.MEMBERS_CHOOSE

    def as_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "set_by": self.set_by,
                "set_at": self.set_at.isoformat() if self.set_at else None}


@dataclass(frozen=True)
class PreferencesView:
    account_id: str
    training_opt_in: bool
    own_training_opt_in: bool
    marketing_emails: bool
    limit_sensitive_data: bool
    do_not_sell_or_share: bool
    #: the organisation policy that decides training now, if one does
    org_policy: OrgPolicyView | None
    gpc_honoured_at: datetime | None
    updated_at: datetime | None
    #: position of the account's chain head: a form shows it and is refused when it moved
    head_seq: int = 0

    @property
    def training_locked_by_org(self) -> bool:
        return self.org_policy is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "training_opt_in": self.training_opt_in,
            "training_locked_by_org": self.training_locked_by_org,
            "marketing_emails": self.marketing_emails,
            "limit_sensitive_data": self.limit_sensitive_data,
            "do_not_sell_or_share": self.do_not_sell_or_share,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "org_policy": self.org_policy.as_json() | {"org_id": self.org_policy.org_id}
            if self.org_policy else None,
            "gpc_honoured_at": (self.gpc_honoured_at.isoformat()
                                if self.gpc_honoured_at else None),
        }


def event_json(event: ConsentEvent) -> dict[str, Any]:
    """A consent event as the API, receipts and exports show it."""
    return {
        "id": event.id,
        "subject": f"{event.subject_type}:{event.subject_id}",
        "seq": event.seq,
        "purpose": event.purpose,
        "granted": event.granted,
        "method": event.method,
        "policy_version": event.policy_version,
        "at": event.at.isoformat(),
        "actor": {"type": event.actor_type, "id": event.actor_id},
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
