"""The host's Data Processing Addendum: its versions, and what Annex II lists.

One place for each fact, read by the DPA page, its PDF and the API: ``SELFSERVICE_DPA_VERSIONS``
lists every version the company has published (a Jinja template each, the day it takes effect
and what changed), ``SELFSERVICE_DPA_MEASURES`` the technical and organisational measures of
Annex II, ``SELFSERVICE_DPA_FONTS`` the TrueType fonts of the PDF. No Flask in it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

#: a version's name: what signatures record and URLs carry (``?version=2026-12-01``)
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
#: the fields a version must have, and the optional ones
VERSION_FIELDS = ("version", "effective", "template", "changes")
MEASURE_FIELDS = ("title", "description")
#: the faces of ``SELFSERVICE_DPA_FONTS``: regular and bold are needed, italic is optional
FONT_FACES = ("regular", "bold", "italic")


@dataclass(frozen=True)
class DpaVersion:
    """One published version of the DPA."""

    #: its name, e.g. "2026-12-01"
    version: str
    #: the day it takes effect (00:00 UTC): from then on it is the one customers sign
    effective: date
    #: the Jinja template of the document's body (an HTML fragment: see docs/integration.md)
    template: str
    #: what changed from the version before, in a sentence or two
    changes: str

    @property
    def effective_at(self) -> datetime:
        return datetime.combine(self.effective, time(0), tzinfo=UTC)

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version,
                "effective_at": self.effective_at.isoformat(timespec="seconds"),
                "changes": self.changes}


@dataclass(frozen=True)
class Measure:
    """One technical or organisational measure (Annex II)."""

    title: str
    description: str


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _day(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def version_problem(entry: Any) -> str | None:
    """What is wrong with one configured version, or None."""
    if not isinstance(entry, Mapping):
        return "each version must be a dict"
    name = entry.get("version")
    if not isinstance(name, str) or not VERSION_PATTERN.match(name):
        return (f"version {name!r} must be 1 to 40 letters, digits, dots, dashes or "
                "underscores")
    unknown = sorted(set(entry) - set(VERSION_FIELDS))
    if unknown:
        return f"version {name!r} has unknown keys {', '.join(unknown)}"
    if _day(entry.get("effective")) is None:
        return f"version {name!r} needs effective: a date (YYYY-MM-DD)"
    for key in ("template", "changes"):
        if not _text(entry.get(key)):
            return f"version {name!r} lacks {key}"
    return None


def versions_problem(value: Any) -> str | None:
    """What is wrong with the whole list, or None."""
    if not isinstance(value, list | tuple):
        return "must be a list"
    for entry in value:
        problem = version_problem(entry)
        if problem:
            return problem
    names = [entry["version"] for entry in value]
    days = [_day(entry["effective"]) for entry in value]
    if len(set(names)) != len(names):
        return "two versions have the same name"
    if len(set(days)) != len(days):
        return "two versions take effect on the same day"
    return None


def measures_problem(value: Any) -> str | None:
    if not isinstance(value, list | tuple):
        return "must be a list"
    for entry in value:
        if not isinstance(entry, Mapping) or set(entry) != set(MEASURE_FIELDS) or not all(
                _text(entry[key]) for key in MEASURE_FIELDS):
            return "each measure must be {title, description}, both non-empty text"
    return None


def fonts_problem(value: Any) -> str | None:
    """None is allowed (the PDF's built-in Helvetica); otherwise TrueType files that exist."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not {"regular", "bold"} <= set(value) or not set(
            value) <= set(FONT_FACES):
        return "must be None or {regular, bold, italic?}: paths of TrueType fonts"
    missing = [face for face, path in value.items()
               if not isinstance(path, str) or not os.path.isfile(path)]
    if missing:
        return f"names no readable file for {', '.join(missing)}"
    return None


def listed(config: Mapping[str, Any]) -> tuple[DpaVersion, ...]:
    """Every configured version, oldest first."""
    found = []
    for entry in config["SELFSERVICE_DPA_VERSIONS"]:
        day = _day(entry["effective"])
        assert day is not None  # checked at start-up
        found.append(DpaVersion(entry["version"], day, entry["template"],
                                entry["changes"].strip()))
    return tuple(sorted(found, key=lambda v: v.effective))


def in_force(config: Mapping[str, Any], now: datetime) -> tuple[DpaVersion, ...]:
    """The versions that have taken effect by ``now``, oldest first (the last is current)."""
    return tuple(v for v in listed(config) if v.effective_at <= now)


def current(config: Mapping[str, Any], now: datetime) -> DpaVersion | None:
    found = in_force(config, now)
    return found[-1] if found else None


def upcoming(config: Mapping[str, Any], now: datetime) -> DpaVersion | None:
    """The next version announced, not in force yet."""
    return next((v for v in listed(config) if v.effective_at > now), None)


def find(config: Mapping[str, Any], name: str) -> DpaVersion | None:
    return next((v for v in listed(config) if v.version == name), None)


def measures(config: Mapping[str, Any]) -> tuple[Measure, ...]:
    return tuple(Measure(m["title"], m["description"])
                 for m in config["SELFSERVICE_DPA_MEASURES"])
