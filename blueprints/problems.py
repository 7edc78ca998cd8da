"""RFC 9457 problem details for the JSON API."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from selfservice.state import get_state

PROBLEM_TYPES: dict[str, str] = {
    "not-authenticated": "You are not logged in.",
    "reauth-required": "This action needs a fresh login. Follow reauth_url, sign in again at "
                       "the identity provider, then repeat the call.",
    "csrf-failed": "Unsafe calls made with the session cookie must send the {csrf_header} "
                   "header with the token from GET /me.",
    "forbidden": "You do not have the role this needs.",
    "not-found": "No such object (or not yours).",
    "validation-error": "Some fields are invalid; see errors.",
    "conflict": "The request conflicts with the current state.",
    "org-policy-locked": "Your organisation's training policy decides this setting; its owner "
                         "or admins can change the policy.",
    "ledger-invalid": "A record failed its integrity check, so nothing is certified from it.",
    "deletion-blocked": "Something must be done before the account can be deleted; see "
                        "blockers, each with what to do.",
    "deletion-scheduled": "The account is scheduled for deletion: until the deletion is "
                          "canceled, only GET /me, that deletion request (its plan) and its "
                          "cancel answer.",
    "erasure-begun": "Erasure has begun: the deletion can no longer be canceled.",
    "objections-closed": "The sub-processor change has taken effect: objections to it are "
                         "closed. Write to the privacy team instead.",
    "rate-limited": "Too many requests; see Retry-After.",
    "invalid-token": "The bearer token is missing or wrong.",
    "payload-too-large": "The request body is longer than this URL accepts; see detail.",
    "method-not-allowed": "This URL does not accept that method.",
    "server-error": "Something went wrong on our side.",
    "unavailable": "A service this needs is unavailable; try again shortly.",
}


def describe(slug: str) -> str:
    """The description of problem type ``slug``, naming the app's own CSRF header."""
    return PROBLEM_TYPES[slug].replace("{csrf_header}", get_state().setting("CSRF_HEADER"))


def problem_type_url(slug: str) -> str:
    return url_for("selfservice_api.problem_type", slug=slug, _external=True)


def problem(status: int, slug: str, title: str, detail: str | None = None,
            headers: dict[str, str] | None = None, **members: Any) -> Response:
    body: dict[str, Any] = {"type": problem_type_url(slug), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    body.update(members)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
