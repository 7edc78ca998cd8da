"""The host's sub-processors: who else processes personal data on the company's behalf, and the
changes to that list the company announces.

One list, configured in ``SELFSERVICE_SUBPROCESSORS``, read by every place that names them: the
DPA's Annex III and the public sub-processor page and JSON. Each entry says what a customer's
privacy officer needs to assess a transfer: the company, what it does for us, where, and under
which transfer mechanism.

``SELFSERVICE_SUBPROCESSORS`` is the list *before* every change of
``SELFSERVICE_SUBPROCESSOR_CHANGES``. The list in force on a day (:func:`listed`) is that list
with the changes effective by then applied, in the order of their effective dates (then of the
configuration). A host announces a change by adding one entry to the changes, and never edits
the list on the day the change takes effect; the changes stay in the configuration as the
list's history, so the list in force on any past day (a signed DPA's Annex III) can be told.

A change is public (page, JSON, notices) from its ``announced_at`` day, takes effect at the
start of its ``effective_at`` day (UTC), and can be objected to until then. A change announced
with less notice than ``SELFSERVICE_SUBPROCESSOR_NOTICE_DAYS`` stops the app at start-up
unless it says why (``short_notice_reason``, shown to customers with the change).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from .translation import N_

#: the fields an entry must have (non-empty text), and the optional ones
REQUIRED = ("name", "purpose", "location", "transfer_mechanism")
OPTIONAL = ("url", "data_categories")
#: each field in the customer's words (the public page, the notices, the DPA's Annex III), in
#: English, marked for the catalogue: a reader's page or e-mail shows them translated
FIELD_WORDS = {"name": N_("Company"), "purpose": N_("What it does for us"),
               "location": N_("Where"), "transfer_mechanism": N_("Transfer safeguard"),
               "url": N_("Website"), "data_categories": N_("Personal data it handles")}
#: what a change does to the list
ACTIONS = ("add", "remove", "change")
#: the keys every change has, and the one a change with short notice adds
CHANGE_KEYS = ("id", "announced_at", "effective_at", "action", "name", "description")
SHORT_NOTICE_KEY = "short_notice_reason"
#: a change's id: it is part of URLs and of the notices' records
CHANGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: the longest description or short-notice reason
MAX_TEXT = 2000

_SETTING = "SELFSERVICE_SUBPROCESSORS"
_CHANGES = "SELFSERVICE_SUBPROCESSOR_CHANGES"
_NOTICE_DAYS = "SELFSERVICE_SUBPROCESSOR_NOTICE_DAYS"


@dataclass(frozen=True)
class Subprocessor:
    name: str
    purpose: str
    location: str
    transfer_mechanism: str
    url: str | None = None
    data_categories: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "purpose": self.purpose, "location": self.location,
                "transfer_mechanism": self.transfer_mechanism, "url": self.url,
                "data_categories": self.data_categories}


@dataclass(frozen=True)
class Change:
    """One announced change to the list, with the entry as it was before and as it is after."""

    id: str
    action: str
    name: str
    announced_at: date
    effective_at: date
    #: why, in the customer's words
    description: str
    short_notice_reason: str | None = None
    #: the entry's fields the change sets (add: all it has; change: those that change)
    fields: Mapping[str, str] = field(default_factory=dict)
    #: the entry before the change (change, remove) and after it (add, change)
    before: Subprocessor | None = None
    after: Subprocessor | None = None

    @property
    def notice_days(self) -> int:
        return (self.effective_at - self.announced_at).days

    @property
    def objections_until(self) -> datetime:
        """Objections are taken before this moment: the start of the effective day, UTC."""
        return datetime.combine(self.effective_at, time(0), tzinfo=UTC)

    @property
    def last_day_to_object(self) -> date:
        return date.fromordinal(self.effective_at.toordinal() - 1)

    def changed_fields(self) -> list[tuple[str, str | None, str | None]]:
        """(field, before, after) for every field whose value the change sets or clears."""
        old = self.before.as_json() if self.before else {}
        new = self.after.as_json() if self.after else {}
        return [(key, old.get(key), new.get(key)) for key in (*REQUIRED, *OPTIONAL)
                if old.get(key) != new.get(key)]

    def as_json(self, usual_notice_days: int) -> dict[str, Any]:
        return {"id": self.id, "action": self.action, "name": self.name,
                "announced_at": self.announced_at.isoformat(),
                "effective_at": self.effective_at.isoformat(),
                "objections_until": self.objections_until.isoformat(),
                "notice_days": self.notice_days,
                "short_notice": self.notice_days < usual_notice_days,
                "description": self.description,
                "short_notice_reason": self.short_notice_reason,
                "before": self.before.as_json() if self.before else None,
                "after": self.after.as_json() if self.after else None}


class ChangeError(ValueError):
    """A configured change is malformed or does not fit the list it changes."""


def entry_problem(entry: Any) -> str | None:
    """What is wrong with one configured entry, or None."""
    if not isinstance(entry, Mapping):
        return "each entry must be a dict"
    missing = [key for key in REQUIRED
               if not isinstance(entry.get(key), str) or not entry[key].strip()]
    if missing:
        return f"an entry ({entry.get('name', 'unnamed')!r}) lacks {', '.join(missing)}"
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        return f"an entry ({entry['name']!r}) has unknown keys {', '.join(unknown)}"
    return None


def valid_list(value: Any) -> bool:
    """The setting's shape: a list of entries with distinct names, each without a problem."""
    if not isinstance(value, list | tuple):
        return False
    names = [entry.get("name") for entry in value if isinstance(entry, Mapping)]
    return (all(entry_problem(entry) is None for entry in value)
            and len(names) == len(set(names)))


def _entry(values: Any) -> Subprocessor:
    return Subprocessor(**{key: values.get(key) for key in (*REQUIRED, *OPTIONAL)})


def _day(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        raise ChangeError(f"{what} must be a day such as 2027-01-15, not a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ChangeError(f"{what} must be a day such as 2027-01-15, not {value!r}")


def _text(entry: Mapping[str, Any], key: str, what: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ChangeError(f"{what} needs {key}: text of 1 to {MAX_TEXT} characters")
    return value.strip()


def _parse(entry: Any, position: int) -> Change:
    """One configured change, on its own (the walk checks it against the list)."""
    if not isinstance(entry, Mapping):
        raise ChangeError(f"change {position + 1} must be a dict")
    change_id = entry.get("id")
    if not isinstance(change_id, str) or not CHANGE_ID.fullmatch(change_id):
        raise ChangeError(f"change {position + 1} needs an id of 1 to 64 letters, digits, "
                          f"dots, dashes or underscores (it is part of links), not "
                          f"{change_id!r}")
    what = f"change {change_id!r}"
    action = entry.get("action")
    if action not in ACTIONS:
        raise ChangeError(f"{what}: action must be one of {', '.join(ACTIONS)}, not {action!r}")
    allowed = {*CHANGE_KEYS, SHORT_NOTICE_KEY} | (
        set() if action == "remove" else set(REQUIRED + OPTIONAL))
    unknown = sorted(set(entry) - allowed)
    if unknown:
        article = "an" if action == "add" else "a"
        raise ChangeError(f"{what}: unknown keys {', '.join(map(str, unknown))} ({article} "
                          f"{action} takes {', '.join(sorted(allowed))})")
    announced = _day(entry.get("announced_at"), f"{what}: announced_at")
    effective = _day(entry.get("effective_at"), f"{what}: effective_at")
    if effective <= announced:
        raise ChangeError(f"{what}: effective_at ({effective}) must come after announced_at "
                          f"({announced})")
    reason = (_text(entry, SHORT_NOTICE_KEY, what) if entry.get(SHORT_NOTICE_KEY) is not None
              else None)
    fields = {key: entry[key] for key in (*REQUIRED, *OPTIONAL)
              if key in entry and key != "name"}
    bad = [key for key, value in fields.items() if not isinstance(value, str)
           or (key in REQUIRED and not value.strip())]
    if bad:
        raise ChangeError(f"{what}: {', '.join(bad)} must be non-empty text")
    return Change(id=change_id, action=action, name=_text(entry, "name", what),
                  announced_at=announced, effective_at=effective,
                  description=_text(entry, "description", what), short_notice_reason=reason,
                  fields=fields)


def _apply(current: dict[str, Subprocessor], change: Change) -> Change:
    """Apply ``change`` to the list (name -> entry, in order); the change with its entries."""
    what = f"change {change.id!r}"
    before = current.get(change.name)
    if change.action == "add":
        if before is not None:
            raise ChangeError(f"{what} adds {change.name!r}, which is already listed on "
                              f"{change.effective_at}")
        values = {**change.fields, "name": change.name}
        problem = entry_problem(values)
        if problem:
            raise ChangeError(f"{what}: {problem}")
        after: Subprocessor | None = _entry(values)
    elif before is None:
        raise ChangeError(f"{what} {change.action}s {change.name!r}, which is not listed on "
                          f"{change.effective_at} (names must match exactly)")
    elif change.action == "remove":
        after = None
    else:
        after = replace(before, **change.fields)
        if after == before:
            raise ChangeError(f"{what} changes none of {change.name!r}'s fields (give the "
                              f"new purpose, location, transfer_mechanism, url or "
                              f"data_categories)")
    if after is None:
        del current[change.name]
    else:
        current[change.name] = after
    return replace(change, before=before, after=after)


def _walk(config: Mapping[str, Any]) -> tuple[tuple[Change, ...], dict[str, Subprocessor]]:
    """Every change, checked and in the order it applies, and the list after all of them."""
    entries = config.get(_CHANGES) or []
    if not isinstance(entries, list | tuple):
        raise ChangeError("must be a list of changes")
    parsed = [_parse(entry, position) for position, entry in enumerate(entries)]
    seen: set[str] = set()
    for change in parsed:
        if change.id in seen:
            raise ChangeError(f"the id {change.id!r} is used twice: each change needs its own")
        seen.add(change.id)
    current = {entry.name: entry for entry in _baseline(config)}
    ordered = sorted(enumerate(parsed), key=lambda pair: (pair[1].effective_at, pair[0]))
    return tuple(_apply(current, change) for _, change in ordered), current


def _baseline(config: Mapping[str, Any]) -> tuple[Subprocessor, ...]:
    return tuple(_entry(entry) for entry in config[_SETTING])


def changes(config: Mapping[str, Any]) -> tuple[Change, ...]:
    """Every configured change, public or not yet, in the order they apply."""
    return _walk(config)[0]


def changes_problem(config: Mapping[str, Any]) -> str | None:
    """What is wrong with the configured changes (start-up refuses them), or None."""
    try:
        found = changes(config)
    except ChangeError as exc:
        return str(exc)
    notice = config[_NOTICE_DAYS]
    for change in found:
        if change.notice_days < notice and not change.short_notice_reason:
            return (f"change {change.id!r} gives {change.notice_days} days' notice "
                    f"({change.announced_at} to {change.effective_at}), less than "
                    f"SELFSERVICE_SUBPROCESSOR_NOTICE_DAYS ({notice}): move effective_at to "
                    f"{date.fromordinal(change.announced_at.toordinal() + notice)} or later, "
                    f"or say why in {SHORT_NOTICE_KEY} (customers read it with the change)")
    return None


def short_notice(config: Mapping[str, Any], change: Change) -> bool:
    """Whether the change gives less notice than SELFSERVICE_SUBPROCESSOR_NOTICE_DAYS."""
    return change.notice_days < int(config[_NOTICE_DAYS])


def listed(config: Mapping[str, Any], on: date | None = None) -> tuple[Subprocessor, ...]:
    """The sub-processors in force on ``on`` (default: today, UTC): the configured list with
    the changes effective by then applied. The entries keep the host's order; an added one
    comes last. The DPA's Annex III of a document dated ``on`` is this list."""
    day = on or datetime.now(UTC).date()
    current = {entry.name: entry for entry in _baseline(config)}
    for change in changes(config):
        if change.effective_at > day:
            break
        _apply(current, change)
    return tuple(current.values())


def published(config: Mapping[str, Any], today: date | None = None) -> tuple[Change, ...]:
    """The changes announced by ``today`` (default: today, UTC), whether in force yet or not."""
    day = today or datetime.now(UTC).date()
    return tuple(change for change in changes(config) if change.announced_at <= day)


def upcoming(config: Mapping[str, Any], today: date | None = None) -> tuple[Change, ...]:
    """The changes announced and not yet in force: customers may still object to them."""
    day = today or datetime.now(UTC).date()
    return tuple(change for change in published(config, day) if change.effective_at > day)


def find(config: Mapping[str, Any], change_id: str,
         today: date | None = None) -> Change | None:
    """The announced change with this id, in force or not; None when there is none (or it is
    not announced yet)."""
    return next((change for change in published(config, today) if change.id == change_id),
                None)
