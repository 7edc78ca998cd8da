"""Guards of the staff routes (support agents and privacy officers): everyone else, signed in
or not, gets exactly what a route that does not exist answers, never 401 or 403, so nobody
learns that the route exists.

A guarded view is marked hidden (:data:`unrouted.HIDDEN`), so the blueprint's URL value
preprocessor (``unrouted.register`` for the API, ``unrouted.hide_routes`` for the pages) answers
before any ``before_request`` function: before the CSRF check, the body limit and the rate
limits, and with any method. The decorators check again, and hand the view the staff member's
identity as its first argument.

``privacy_officer_only``: support staff, who know the staff routes, get 403 (a problem for the
API); everyone else still gets 404. :func:`officer_api` hides a route from support too (legal
holds and the retention plan: support has no business knowing they exist).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from flask import abort

from selfservice.auth import current_identity
from selfservice.identity import Identity
from selfservice.services.staff_access import PRIVACY_OFFICER, staff_role
from selfservice.translation import gettext as _

from .guards import IdentityView, has_bearer
from .problems import problem
from .unrouted import HIDDEN

P = ParamSpec("P")


def current_staff() -> tuple[Identity, str] | None:
    """The signed-in staff member and their role (``support`` or ``privacy_officer``), or
    ``None``. A bearer call is never staff: staff routes take the session."""
    if has_bearer():
        return None
    identity = current_identity()
    role = staff_role(identity)
    return (identity, role) if identity is not None and role is not None else None


def not_staff() -> bool:
    """Whether this request's caller must not learn that staff routes exist."""
    return current_staff() is None


def not_officer() -> bool:
    """Whether this request's caller is anything but a privacy officer."""
    found = current_staff()
    return found is None or found[1] != PRIVACY_OFFICER


def _officer_refusal(api: bool) -> Any:
    if api:
        return problem(403, "forbidden", "Not allowed", "Only a privacy officer can do this.")
    abort(403, _("Only a privacy officer can do this."))


def _guard(api: bool, privacy_officer_only: bool, hidden: Callable[[], bool] = not_staff
           ) -> Callable[[IdentityView[P, Any]], Callable[P, Any]]:
    def decorator(view: IdentityView[P, Any]) -> Callable[P, Any]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            found = current_staff()
            if found is None or hidden():
                abort(404)  # the blueprint answers as for a route that does not exist
            identity, role = found
            if privacy_officer_only and role != PRIVACY_OFFICER:
                return _officer_refusal(api)
            return view(identity, *args, **kwargs)

        setattr(wrapper, HIDDEN, hidden)
        return wrapper

    return decorator


def staff_api(*, privacy_officer_only: bool = False
              ) -> Callable[[IdentityView[P, Any]], Callable[P, Any]]:
    """For the staff JSON views: support and privacy officers; anyone else gets the 404
    problem of a path that does not exist (with ``privacy_officer_only``, support gets a 403
    problem)."""
    return _guard(True, privacy_officer_only)


def officer_api() -> Callable[[IdentityView[P, Any]], Callable[P, Any]]:
    """For JSON views only privacy officers may know of: everyone else, support included,
    gets the 404 problem of a path that does not exist."""
    return _guard(True, True, not_officer)


def staff_page(*, privacy_officer_only: bool = False
               ) -> Callable[[IdentityView[P, Any]], Callable[P, Any]]:
    """For the staff pages: support and privacy officers; anyone else, signed in or not, gets
    the normal 404 page (no sign-in redirect: it would tell that the page exists). With
    ``privacy_officer_only``, support gets the 403 page."""
    return _guard(False, privacy_officer_only)
