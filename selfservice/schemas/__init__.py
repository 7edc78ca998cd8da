"""Every JSON shape of the API, defined once.

Each capability has a module here with its ``COMPONENTS`` (named JSON Schemas, enums taken from
the models) and its ``paths()`` (the operations, without request bodies: those come from the
views' ``@accepts``). The OpenAPI document publishes the components; views validate request
bodies against the same components through :func:`validate`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import common, consent, cookies, privacy_requests, sessions
from .base import BodyValidator, InvalidInput, Schema, ref

__all__ = ["InvalidInput", "Schema", "components", "paths", "ref", "validate"]

_MODULES: tuple[Any, ...] = (common, consent, cookies, privacy_requests, sessions)


def _merge(parts: list[dict[str, Any]], what: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        twice = set(merged) & set(part)
        if twice:
            raise RuntimeError(f"{what} defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


COMPONENTS: dict[str, Schema] = _merge([m.COMPONENTS for m in _MODULES], "schema components")
_VALIDATOR = BodyValidator(COMPONENTS)


def components() -> dict[str, Schema]:
    return dict(COMPONENTS)


def paths() -> dict[str, Any]:
    """The API's operations (relative to the API prefix), from every capability."""
    builders: list[Callable[[], dict[str, Any]]] = [m.paths for m in _MODULES]
    return _merge([build() for build in builders], "API paths")


def validate(name: str, document: Any) -> Any:
    """``document`` if it has the shape of component ``name``; otherwise InvalidInput."""
    return _VALIDATOR.validate(name, document)
