"""The cookie registry: every cookie (and script) the console sets, what for, for how long.

The host lists its cookies in ``SELFSERVICE_COOKIES``; the plugin adds the ones it needs
itself (the session, the consent cookie). The public Cookie Policy, the banner's categories and
the server-side enforcement all read this one registry. Each category has a digest of its
contents; the policy version is a digest of those, so adding a cookie to "analytics" changes
the version and the analytics digest, and only visitors who had accepted analytics are asked
again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

CATEGORIES: tuple[str, ...] = ("necessary", "functional", "analytics", "marketing")
OPTIONAL: tuple[str, ...] = CATEGORIES[1:]
PARTIES = ("first", "third")
_FIELDS = ("name", "provider", "purpose", "category", "duration", "party")


class CookieRegistryError(ValueError):
    """A cookie entry is incomplete or names an unknown category."""


@dataclass(frozen=True)
class CookieSpec:
    #: the cookie's name; a trailing ``*`` matches any suffix (``_ga_*``)
    name: str
    provider: str
    purpose: str
    category: str
    #: as people read it: "session", "12 months"
    duration: str
    party: str = "first"

    def matches(self, name: str) -> bool:
        if self.name.endswith("*"):
            return name.startswith(self.name[:-1])
        return name == self.name

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "provider": self.provider, "purpose": self.purpose,
                "duration": self.duration, "party": self.party}


def _digest(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


class CookieRegistry:
    def __init__(self, cookies: Iterable[CookieSpec]) -> None:
        self.cookies: tuple[CookieSpec, ...] = tuple(cookies)
        names = [c.name for c in self.cookies]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise CookieRegistryError(f"cookies listed twice: {sorted(duplicates)}")
        self._exact = {c.name: c for c in self.cookies if not c.name.endswith("*")}
        self._prefixed = sorted((c for c in self.cookies if c.name.endswith("*")),
                                key=lambda c: -len(c.name))
        # in name order: listing the same cookies in another order is the same policy
        self.digests: dict[str, str] = {
            category: _digest(sorted((asdict(c) for c in self.in_category(category)),
                                     key=lambda entry: entry["name"]))
            for category in CATEGORIES}
        self.version = _digest(self.digests)[:12]

    @classmethod
    def from_config(cls, entries: Iterable[Mapping[str, Any]],
                    builtin: Iterable[CookieSpec] = ()) -> CookieRegistry:
        specs = list(builtin)
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise CookieRegistryError(f"SELFSERVICE_COOKIES[{index}] must be a dict")
            unknown = set(entry) - set(_FIELDS)
            missing = {f for f in _FIELDS if f != "party"} - set(entry)
            if unknown or missing:
                raise CookieRegistryError(
                    f"SELFSERVICE_COOKIES[{index}]: "
                    + (f"unknown keys {sorted(unknown)} " if unknown else "")
                    + (f"missing {sorted(missing)}" if missing else ""))
            if entry["category"] not in CATEGORIES:
                raise CookieRegistryError(f"SELFSERVICE_COOKIES[{index}]: category must be "
                                          f"one of {CATEGORIES}")
            if entry.get("party", "first") not in PARTIES:
                raise CookieRegistryError(f"SELFSERVICE_COOKIES[{index}]: party must be "
                                          "first or third")
            specs.append(CookieSpec(**{k: str(v) for k, v in entry.items()}))
        return cls(specs)

    def in_category(self, category: str) -> list[CookieSpec]:
        return [c for c in self.cookies if c.category == category]

    def lookup(self, name: str) -> CookieSpec | None:
        exact = self._exact.get(name)
        if exact is not None:
            return exact
        return next((c for c in self._prefixed if c.matches(name)), None)

    def category_of(self, name: str) -> str | None:
        spec = self.lookup(name)
        return spec.category if spec else None

    def snapshot(self) -> dict[str, list[dict[str, str]]]:
        return {category: [c.as_json() for c in self.in_category(category)]
                for category in CATEGORIES}


def describe_changes(old: Mapping[str, Sequence[Mapping[str, str]]],
                     new: Mapping[str, Sequence[Mapping[str, str]]],
                     categories: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """What changed in each of ``categories`` between two snapshots: cookies added, removed
    and changed (same name, other provider, purpose or duration), by name."""
    changes: dict[str, dict[str, list[str]]] = {}
    for category in categories:
        before = {c["name"]: c for c in old.get(category, [])}
        after = {c["name"]: c for c in new.get(category, [])}
        entry = {
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "changed": sorted(n for n in set(before) & set(after) if before[n] != after[n]),
        }
        if any(entry.values()):
            changes[category] = entry
    return changes
