"""Who the user is, as the host console tells it.

The plugin owns no accounts. The host registers two callbacks on the extension:

* ``identity_loader(account_id) -> Identity | None``: the account's e-mail, name,
  organisation and role, and privacy roles (support, privacy officer);
* ``account_resolver(claims) -> account_id | None``: only for the plugin's own SSO login, maps
  the OpenID Connect claims (``iss``, ``sub``, ``email``...) to the host's account id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flask_login import UserMixin

OrgRole = Literal["owner", "admin", "member"]
ORG_ROLES: tuple[str, ...] = ("owner", "admin", "member")


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    #: the user's role in it
    role: OrgRole

    def __post_init__(self) -> None:
        if self.role not in ORG_ROLES:
            raise ValueError(f"organisation role must be one of {ORG_ROLES}, not {self.role!r}")

    @property
    def is_admin(self) -> bool:
        return self.role in ("owner", "admin")


@dataclass(frozen=True)
class Identity:
    account_id: str
    email: str
    name: str
    org: Organisation | None = None
    #: privacy roles beyond "customer": "support", "privacy_officer"
    roles: frozenset[str] = field(default_factory=frozenset)
    #: ISO 3166-1 alpha-2 country, used later to default a request's jurisdiction
    country: str | None = None

    @property
    def all_roles(self) -> list[str]:
        return ["customer", *sorted(self.roles - {"customer"})]

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def as_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "email": self.email,
            "name": self.name,
            "org": (
                {"id": self.org.id, "name": self.org.name, "role": self.org.role}
                if self.org else None
            ),
            "roles": self.all_roles,
        }


IdentityLoader = Callable[[str], Identity | None]
AccountResolver = Callable[[Mapping[str, Any]], str | None]
OrgMembersLoader = Callable[[str], Iterable[str]]


class PrivacyUser(UserMixin):
    """The Flask-Login user the plugin logs in when it runs the SSO itself."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def get_id(self) -> str:
        return self.identity.account_id

    def __repr__(self) -> str:
        return f"<PrivacyUser {self.identity.account_id}>"
