"""Module-level views, wired onto a blueprint when the blueprint is made.

Each view module keeps a :class:`Routes` table and decorates its module-level view functions
with it; ``create_blueprint`` then calls ``routes.register(bp)``. Endpoint names stay the view
functions' names, so ``url_for("selfservice_api.preferences")`` works whichever module the view
lives in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Blueprint

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Routes:
    """The URL rules of one view module, waiting for a blueprint."""

    rules: list[tuple[str, Callable[..., Any], tuple[str, ...]]] = field(default_factory=list)

    def route(self, rule: str, methods: tuple[str, ...]) -> Callable[[F], F]:
        def decorator(view: F) -> F:
            self.rules.append((rule, view, methods))
            return view

        return decorator

    def get(self, rule: str) -> Callable[[F], F]:
        return self.route(rule, ("GET",))

    def post(self, rule: str) -> Callable[[F], F]:
        return self.route(rule, ("POST",))

    def put(self, rule: str) -> Callable[[F], F]:
        return self.route(rule, ("PUT",))

    def patch(self, rule: str) -> Callable[[F], F]:
        return self.route(rule, ("PATCH",))

    def delete(self, rule: str) -> Callable[[F], F]:
        return self.route(rule, ("DELETE",))

    def register(self, bp: Blueprint) -> None:
        for rule, view, methods in self.rules:
            bp.add_url_rule(rule, view_func=view, methods=list(methods))
