"""Building blocks of the JSON shapes, and the validation of request bodies against them.

A shape is a JSON Schema (2020-12, as OpenAPI 3.1 uses) written once, in the capability's
module of this package. The OpenAPI document publishes it under ``components.schemas`` and the
views validate request bodies against the very same component, so the two cannot drift.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ..text import NOT_ALLOWED

Schema = dict[str, Any]

TIME: Schema = {"type": "string", "format": "date-time"}
OPTIONAL_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
#: unknown fields are listed in an error up to this many (a huge body is not echoed back)
MAX_LISTED_FIELDS = 5
#: validation errors looked at, at most: a list of a million wrong items is not walked whole
MAX_ERRORS_READ = 50


@dataclass(frozen=True)
class Accepted:
    """The values one application accepts where a shape depends on its settings: the OpenAPI
    document publishes them, and request bodies are validated against them."""

    #: SELFSERVICE_POLICY_VERSION
    policy_version: str
    #: the cookie registry's version
    cookie_policy_version: str
    #: the languages of the cookie texts (SELFSERVICE_COOKIE_TEXTS and the shipped ones)
    languages: tuple[str, ...]
    #: SELFSERVICE_ELIGIBILITY_MAX_IDS
    max_ids: int


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def with_properties(schema: Schema, **properties: Schema) -> Schema:
    """An object shape with some of its properties replaced."""
    return {**schema, "properties": {**schema["properties"], **properties}}


def enum_of(values: type[enum.StrEnum] | Iterable[str]) -> Schema:
    """``{"enum": [...]}`` from a model's enum (or another single source of the values)."""
    return {"enum": [str(value) for value in values]}


def json_response(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def problem_response(description: str) -> Schema:
    return {"description": description,
            "content": {"application/problem+json": {"schema": ref("Problem")}}}


def too_many_response(description: str) -> Schema:
    """429 ``rate-limited``, with the seconds to wait in ``Retry-After``."""
    return {**problem_response(description),
            "headers": {"Retry-After": {"description": "seconds to wait before trying again",
                                        "schema": {"type": "integer", "minimum": 1}}}}


def unavailable_response(description: str) -> Schema:
    """503 ``unavailable``, with the seconds to wait in ``Retry-After``."""
    return {**problem_response(description),
            "headers": {"Retry-After": {"description": "seconds to wait before trying again",
                                        "schema": {"type": "integer", "minimum": 1}}}}


class InvalidInput(Exception):
    """A request body or parameter does not have the published shape: one message per field.
    The API answers it as a 422 problem, and nothing is changed."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("invalid input")
        self.errors = dict(errors)


_TYPE_WORDS = {"boolean": "true or false", "string": "a string", "object": "a JSON object",
               "array": "a list", "integer": "a whole number", "number": "a number",
               "null": "null"}
_FORMAT_WORDS = {"date-time": "must be a date-time with a UTC offset (RFC 3339)",
                 "date": "must be a full date (YYYY-MM-DD)"}


def _where(path: Iterable[Any], message: str) -> tuple[str, str]:
    """(the top-level field, the message) of an error at ``path``: a nested place is named in
    the message, so every error belongs to a field the caller sent."""
    parts = list(path)
    if not parts:
        return "body", message
    inner = " ".join(f"item {p}" if isinstance(p, int) else repr(p) for p in parts[1:])
    return str(parts[0]), f"{inner}: {message}" if inner else message


def _value(error: ValidationError) -> Any:
    """The failed keyword's value in the schema (typed as possibly unset, which it is not on an
    error that validation yields)."""
    return error.validator_value


def _schema(error: ValidationError) -> Mapping[str, Any]:
    """The (sub)schema whose keyword failed (a boolean schema has no keywords)."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def rule_message(error: ValidationError) -> str:
    """What the failed keyword asks for, in words: from the schema, never the value."""
    keyword, value = error.validator, _value(error)
    if keyword == "type":
        kinds: list[str] = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
    if keyword == "enum":
        return "must be one of " + ", ".join(str(v) for v in value)
    if keyword == "const":
        why = _schema(error).get("description")
        return "must be " + ("true" if value is True else "false" if value is False
                             else repr(value)) + (f" ({why})" if why else "")
    if keyword == "pattern":
        return NOT_ALLOWED
    if keyword in ("minLength", "maxLength"):
        low, high = _schema(error).get("minLength", 0), _schema(error).get("maxLength")
        return (f"must be {low} to {high} characters" if high is not None
                else f"must be at least {low} characters")
    if keyword == "maxItems":
        return f"must have at most {value} items"
    if keyword == "minItems":
        return f"must have at least {value} items"
    if keyword in ("minimum", "maximum"):
        return f"must be {'at least' if keyword == 'minimum' else 'at most'} {value}"
    if keyword == "format":
        return _FORMAT_WORDS.get(value, f"must be a valid {value}")
    return "has the wrong form"


def _errors(error: ValidationError) -> Iterable[tuple[str, str]]:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(_schema(error).get("properties", {}))
        unknown = [key for key in error.instance if key not in known]
        for key in unknown[:MAX_LISTED_FIELDS]:
            yield _where([*error.absolute_path, key], "unknown field")
        if len(unknown) > MAX_LISTED_FIELDS:
            yield _where(error.absolute_path, f"has {len(unknown)} unknown fields")
    elif error.validator == "required" and isinstance(error.instance, dict):
        for key in _value(error):
            if key not in error.instance:
                yield _where([*error.absolute_path, key], "is required")
    elif error.validator in ("oneOf", "anyOf") and error.context:
        # the closest alternative says best what is wrong
        yield from _errors(best_match(error.context))
    else:
        yield _where(error.absolute_path, rule_message(error))


class BodyValidator:
    """Validates documents against the named components of one set of schemas."""

    def __init__(self, components: Mapping[str, Schema]) -> None:
        self._root = {"components": {"schemas": dict(components)}}
        self._validators: dict[str, Draft202012Validator] = {}
        Draft202012Validator.check_schema({**self._root, "$defs": dict(components)})

    def validate(self, name: str, document: Any) -> Any:
        """``document`` when it has the shape of component ``name``; else InvalidInput."""
        validator = self._validators.get(name)
        if validator is None:
            if name not in self._root["components"]["schemas"]:
                raise KeyError(f"no schema component {name!r}")
            validator = Draft202012Validator({**self._root, **ref(name)})
            self._validators[name] = validator
        found: dict[str, str] = {}
        for error in itertools.islice(validator.iter_errors(document), MAX_ERRORS_READ):
            for field, message in _errors(error):
                found.setdefault(field, message)
                # the fields a schema requires are its own, and few: each is named
                if len(found) > MAX_LISTED_FIELDS and error.validator != "required":
                    break
        if found:
            raise InvalidInput(found)
        return document
