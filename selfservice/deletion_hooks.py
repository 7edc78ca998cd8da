"""What deletion and retention ask of the host: its callbacks, kept per extension object.

- ``account_eraser(account_id)``: deletes the account itself, last of all.
- ``lock(account_id)`` at confirmation (revoke API keys, stop billing) and ``restore(account_id)``
  when the customer cancels during the grace period.
- ``blockers(account_id)``: what must be done before the account can be deleted (an organisation
  to hand over, running instances, unpaid invoices), each with what to do about it.
- recipients: the host's processors (CRM, e-mail service, analytics vendor) told of an erasure.
- sweepers: the retention rules of section 5, one function per rule of a source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Blocker:
    """Something that stops a deletion now, and what the customer can do about it."""

    #: stable machine-readable code ("org_owner_with_members")
    code: str
    #: what is wrong and what to do, in plain words
    message: str
    #: where to do it (a console page), if there is one
    action_url: str | None = None
    #: the link's text ("Transfer ownership")
    action_label: str | None = None
    #: the plugin's own blockers: the catalogue id ``message`` was written from, and its values,
    #: so that a page says it in its reader's language (a host's message is looked up whole)
    message_id: str | None = None
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Recipient:
    """A processor the host shares personal data with, told when an account is erased
    (GDPR article 19). ``notify(account_id)`` must be idempotent; it may return the
    recipient's ticket or reference, which the certificate lists."""

    name: str
    description: str
    notify: Callable[[str], str | None]


#: deletes (at most ``batch``) records of the rule older than ``cutoff``, sparing the accounts
#: in ``held``; returns how many. The plugin calls it until it returns fewer than ``batch``.
Sweep = Callable[[datetime, Collection[str], int], int]
#: how many records a sweep with this cutoff would delete, sparing ``held``
SweepCount = Callable[[datetime, Collection[str]], int]


@dataclass(frozen=True)
class RetentionRule:
    """One retention rule of one source: records older than ``days`` are removed."""

    source: str
    rule: str
    days: int
    description: str
    sweep: Sweep
    count: SweepCount

    def __post_init__(self) -> None:
        for value in (self.source, self.rule):
            if not _NAME.match(value):
                raise ValueError(f"retention rule {value!r}: names must match {_NAME.pattern}")
        if self.days < 1:
            raise ValueError(f"retention rule {self.source}.{self.rule}: days must be >= 1")
        if not self.description.strip():
            raise ValueError(f"retention rule {self.source}.{self.rule}: describe it")


@dataclass
class DeletionHooks:
    account_eraser: Callable[[str], None] | None = None
    lock: Callable[[str], None] | None = None
    restore: Callable[[str], None] | None = None
    blocker_checks: list[Callable[[str], Iterable[Blocker]]] = field(default_factory=list)
    recipients: dict[str, Recipient] = field(default_factory=dict)
    rules: dict[tuple[str, str], RetentionRule] = field(default_factory=dict)

    def add_recipient(self, recipient: Recipient) -> None:
        if not _NAME.match(recipient.name):
            raise ValueError(f"recipient {recipient.name!r}: name must match {_NAME.pattern}")
        if recipient.name in self.recipients:
            raise ValueError(f"a recipient named {recipient.name!r} is already registered")
        self.recipients[recipient.name] = recipient

    def add_rule(self, rule: RetentionRule) -> None:
        key = (rule.source, rule.rule)
        if key in self.rules:
            raise ValueError(f"retention rule {rule.source}.{rule.rule} is already registered")
        self.rules[key] = rule

    def blockers(self, account_id: str) -> list[Blocker]:
        return [blocker for check in self.blocker_checks for blocker in check(account_id)]
