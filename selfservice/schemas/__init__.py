"""Every JSON shape of the API, defined once.

Each capability has a module here with its ``COMPONENTS`` (named JSON Schemas, enums taken from
the models), its ``paths()`` (the operations, without request bodies: those come from the
views' ``@accepts``) and, where a shape depends on the application's settings, ``configured()``
(those components with the values the application accepts filled in, from :class:`Accepted`).
The OpenAPI document publishes the components; views validate request bodies against the same
components through :func:`validate`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from . import (
    common,
    consent,
    cookies,
    decisions,
    deletion,
    dpa,
    dpa_negotiated,
    legal_holds,
    privacy_requests,
    sessions,
    staff,
    subprocessors,
    support,
)
from .base import Accepted, BodyValidator, InvalidInput, Schema, ref

__all__ = ["Accepted", "InvalidInput", "Schema", "components", "paths", "ref", "validate"]

_MODULES: tuple[Any, ...] = (common, consent, cookies, decisions, deletion, dpa, dpa_negotiated,
                              legal_holds, privacy_requests, sessions, staff, subprocessors,
                              support)
_CONFIGURED: tuple[Callable[[Accepted], dict[str, Schema]], ...] = (consent.configured,
                                                                    cookies.configured)


def _merge(parts: list[dict[str, Any]], what: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        twice = set(merged) & set(part)
        if twice:
            raise RuntimeError(f"{what} defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


COMPONENTS: dict[str, Schema] = _merge([m.COMPONENTS for m in _MODULES], "schema components")


def components(accepted: Accepted) -> dict[str, Schema]:
    """Every component, with the values ``accepted`` names filled in."""
    configured = _merge([build(accepted) for build in _CONFIGURED], "configured components")
    unknown = set(configured) - set(COMPONENTS)
    if unknown:
        raise RuntimeError(f"configured components without a shape: {sorted(unknown)}")
    return {**COMPONENTS, **configured}


def paths() -> dict[str, Any]:
    """The API's operations (relative to the API prefix), from every capability."""
    builders: list[Callable[[], dict[str, Any]]] = [m.paths for m in _MODULES]
    return _merge([build() for build in builders], "API paths")


@functools.lru_cache(maxsize=32)
def _validator(accepted: Accepted) -> BodyValidator:
    return BodyValidator(components(accepted))


def validate(name: str, document: Any, accepted: Accepted) -> Any:
    """``document`` if it has the shape of component ``name``, with the values ``accepted``
    names; otherwise InvalidInput."""
    return _validator(accepted).validate(name, document)
