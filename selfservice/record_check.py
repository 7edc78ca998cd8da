"""A cheap check, during an export, that a source's records have the shape its schema promises.

A sample of each source's records (the first ``FIRST``, then every ``EVERY``-th) is validated,
as the archive will hold it, against the source's JSON Schema (draft 2020-12). Two formats are
checked, written here so no optional jsonschema extra decides what passes: ``date-time`` is an
RFC 3339 date-time *with* a UTC offset (``Z`` or ``+02:00``), ``date`` a full date
(``YYYY-MM-DD``); other formats are annotations. A mismatch is described by its field and rule
only, never by the value, which may be personal data.

No Flask in here: the archive builder calls it directly.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError, best_match

from .schemas.base import rule_message

logger = logging.getLogger(__name__)

#: what a mismatch does: stop the export, or log it and note it in the manifest
MODES = ("strict", "warn")
#: the first records of every source are all checked, then every EVERY-th
FIRST = 50
EVERY = 1_000

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))", re.ASCII)


def is_full_date(value: object) -> bool:
    """RFC 3339 full-date: ``2026-02-28`` (and a real day of the calendar)."""
    if not isinstance(value, str):
        return True  # formats apply to strings; the type rule speaks for the rest
    found = _DATE.fullmatch(value)
    if found is None:
        return False
    try:
        date(*(int(part) for part in found.groups()))
    except ValueError:
        return False
    return True


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time: ``2026-02-28T09:30:00Z`` or ``...T09:30:00.25+02:00``. A time
    without an offset (what ``isoformat()`` gives for a naive datetime) is not one."""
    if not isinstance(value, str):
        return True
    day, separator, clock = value[:10], value[10:11], value[11:]
    found = _TIME.fullmatch(clock)
    if separator not in ("T", "t") or found is None or not is_full_date(day):
        return False
    hour, minute, second, offset_hour, offset_minute = (int(g or 0) for g in found.groups())
    return (hour <= 23 and minute <= 59 and second <= 60  # 60: a leap second
            and offset_hour <= 23 and offset_minute <= 59)


FORMATS = FormatChecker(formats=())
FORMATS.checks("date")(is_full_date)
FORMATS.checks("date-time")(is_date_time)

#: keywords of a schema path that are followed by a name or index the field path leaves out
#: (``properties`` names a field and is handled on its own)
_SKIP_NEXT = frozenset({"allOf", "anyOf", "oneOf", "dependentSchemas"})
#: keywords that step into the items of an array, or into any value of a map
_INTO_ITEMS = frozenset({"items", "prefixItems", "contains", "unevaluatedItems"})
_INTO_VALUES = frozenset({"additionalProperties", "patternProperties",
                          "unevaluatedProperties"})


def _field_parts(schema_path: list[Any]) -> Iterator[str]:
    """The field a (sub)schema describes, from the path to it in the schema: names come from
    the schema, never from the record (a map's keys may be personal data)."""
    steps = iter(schema_path)
    for step in steps:
        if step == "properties":
            yield f".{next(steps, '?')}"
        elif step in _INTO_ITEMS:
            if step == "prefixItems":
                yield f"[{next(steps, '?')}]"
            else:
                yield "[]"
        elif step in _INTO_VALUES:
            if step == "patternProperties":
                next(steps, None)
            yield ".*"
        elif step in _SKIP_NEXT:
            next(steps, None)


def describe(error: ValidationError) -> str:
    """``field: rule`` for one validation error, with no value of the record in it."""
    path = list(error.absolute_schema_path)
    field = "".join(_field_parts(path[:-1])).lstrip(".")
    keyword = error.validator
    if keyword == "required" and isinstance(error.instance, Mapping):
        required: Any = error.validator_value  # set on every error validation yields
        missing = [name for name in required if name not in error.instance]
        return f"{'.'.join(filter(None, [field, str(missing[0])]))}: is required"
    if keyword == "additionalProperties" and isinstance(error.instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = [str(name) for name in error.instance if name not in known][:1]
        return f"{field or 'record'}: has a field its schema does not list ({', '.join(extra)})"
    return f"{field or 'record'}: {rule_message(error)}"


class SchemaMismatch(Exception):
    """In strict mode: a sampled record of ``source`` does not match the source's schema.
    ``problem`` names the field and the rule (never the value)."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"source {source!r} does not match its schema: {problem}")
        self.source, self.problem = source, problem


class SampleCheck:
    """The sampled check of one source's records, for one export."""

    def __init__(self, source: str, schema: Mapping[str, Any], mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"schema check mode must be one of {MODES}, not {mode!r}")
        self.source, self.strict = source, mode == "strict"
        self.sampled = self.mismatches = 0
        self.first: str | None = None
        try:
            Draft202012Validator.check_schema(schema)
            self._validator: Draft202012Validator | None = Draft202012Validator(
                schema, format_checker=FORMATS)
        except SchemaError as exc:
            self._validator = None
            self._mismatch(f"(schema): is not valid JSON Schema 2020-12 ({exc.message})", 0)

    def sample(self, number: int, line: bytes) -> int:
        """Check record ``number`` (counted from 1), one serialised JSON line; returns the
        number of the next record to check."""
        if self._validator is not None:
            self.sampled += 1
            try:
                record = json.loads(line)
            except ValueError:
                self._mismatch("record: is not valid JSON", number)
            else:
                error = best_match(self._validator.iter_errors(record))
                if error is not None:
                    self._mismatch(describe(error), number)
        return number + 1 if number < FIRST else (number // EVERY + 1) * EVERY

    def _mismatch(self, problem: str, number: int) -> None:
        self.mismatches += 1
        if self.first is None:
            self.first = problem
        if self.strict:
            logger.error("export stopped at record %d of source %r, which does not match its "
                         "schema: %s", number, self.source, problem)
            raise SchemaMismatch(self.source, problem)

    def finish(self) -> None:
        """Log what warn mode let through (once per source)."""
        if self.mismatches:
            logger.error("source %r: %d of %d sampled records do not match its schema; the "
                         "first: %s", self.source, self.mismatches, self.sampled, self.first)

    def as_json(self) -> dict[str, Any]:
        return {"sampled": self.sampled, "mismatches": self.mismatches, "first": self.first}
