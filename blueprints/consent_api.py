"""JSON API of preferences, the consent ledger, receipts, organisation policy and the
training pipeline's eligibility question."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify, request, url_for

from selfservice.identity import Identity
from selfservice.models import ConsentEvent, ConsentMethod, OrgPolicy, Purpose
from selfservice.services import (
    consent,
    consent_receipts,
    consent_types,
    eligibility,
    org_training_policy,
)
from selfservice.services.notifications import public_url
from selfservice.state import get_state
from selfservice.text import NOT_ALLOWED, is_identifier

from .body_size import allow_larger_body
from .guards import api_identity, service_auth
from .problems import problem
from .routing import Routes
from .validation import Invalid, accepts, parse_time

logger = logging.getLogger(__name__)
routes = Routes()


def event_json(event: ConsentEvent) -> dict[str, Any]:
    return consent_types.event_json(event) | {
        "receipt_url": url_for("selfservice_api.consent_receipt", event_id=event.id)}


def locked_problem(exc: consent_types.TrainingLocked) -> Response:
    return problem(403, "org-policy-locked", "Training is set by your organisation",
                   "Your organisation's training policy decides this; its owner or admins "
                   "can change it.", org_policy=exc.policy.as_json())


def _not_in_org() -> Response:
    return problem(404, "not-found", "You are not a member of an organisation")


@routes.get("/preferences")
@api_identity()
def preferences(identity: Identity) -> Response:
    return jsonify(consent.get_preferences(identity).as_json())


@routes.patch("/preferences")
@api_identity()
@accepts("PreferencesChange")
def change_preferences(identity: Identity, body: dict[str, Any]) -> Response:
    # a policy_version in the body is the one in force: its schema says so
    changes = {k: v for k, v in body.items() if k in consent_types.PREFERENCE_PURPOSES}
    try:
        view, _ = consent.change_preferences(identity, changes, method=ConsentMethod.API,
                                             version=consent_types.policy_version())
    except consent_types.TrainingLocked as exc:
        return locked_problem(exc)
    return jsonify(view.as_json())


@routes.get("/consent-events")
@api_identity()
def consent_events(identity: Identity) -> Response:
    asked = request.args.getlist("purpose")
    if len(asked) > 1 or (asked and asked[0] not in set(Purpose)):
        raise Invalid({"purpose": f"must be one of {', '.join(Purpose)}, given once"})
    purpose = asked[0] if asked else None
    events, report = consent.list_events(identity.account_id, purpose)
    return jsonify({"events": [event_json(e) for e in events], "chain_valid": report.valid,
                    "chain": report.as_json()})


@routes.get("/consent-events/<event_id>/receipt")
@api_identity()
def consent_receipt(identity: Identity, event_id: str) -> Response:
    event = consent.get_event(identity.account_id, event_id)
    if event is None:
        return problem(404, "not-found", "No such consent event")
    keys_path = url_for("selfservice_api.receipt_keys")
    try:
        document = consent_receipts.signed_receipt(
            event, identity, jwks_url=public_url(keys_path) or url_for(
                "selfservice_api.receipt_keys", _external=True))
    except consent_types.LedgerInvalid:
        logger.error("consent chain failed verification; receipt refused for event %s",
                     event.id)
        return problem(409, "ledger-invalid", "This record failed its integrity check",
                       "No receipt can be signed for it. The privacy team has been "
                       "alerted; please contact them.")
    response = jsonify(document)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="consent-receipt-{event.id}.json"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@routes.get("/consent-receipts/jwks.json")
def receipt_keys() -> Response:
    response = jsonify(consent_receipts.published_keys())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@routes.get("/org/training-policy")
@api_identity()
def org_policy(identity: Identity) -> Response:
    if identity.org is None:
        return _not_in_org()
    view = org_training_policy.get_org_policy(identity.org.id)
    return jsonify(view.as_json() | {"org_id": identity.org.id})


@routes.put("/org/training-policy")
@api_identity()
@accepts("OrgTrainingPolicyChange")
def set_org_policy(identity: Identity, body: dict[str, Any]) -> Response:
    org = identity.org
    if org is None:
        return _not_in_org()
    if not org.is_admin:
        return problem(403, "forbidden", "Only the organisation's owner or admins set its "
                       "training policy")
    view = org_training_policy.set_org_policy(identity, OrgPolicy(body["policy"]),
                                              method=ConsentMethod.API,
                                              version=consent_types.policy_version())
    return jsonify(view.as_json() | {"org_id": org.id})


def _eligibility_ids(ids: list[str]) -> dict[str, str]:
    """The ids' rule as the published pattern says it: Python's ``re`` (which checks the
    schema) also lets ``$`` match before a final line feed, JSON Schema does not."""
    bad = [i for i, v in enumerate(ids) if not is_identifier(v)]
    if bad:
        return {"account_ids": f"item {bad[0]}: {NOT_ALLOWED}"}
    return {}


def _eligibility_moment(value: Any) -> Any:
    settled = eligibility.settled_moment()
    if value is None:
        return settled
    as_of = parse_time(value, "as_of")
    if as_of > settled:
        raise Invalid({"as_of": f"must lie at least {get_state().setting('ELIGIBILITY_SETTLE')}"
                                " s in the past (changes made just before it may still be "
                                "committing); null means the latest settled moment"})
    return as_of


def _room_for_ids() -> int:
    """The bytes a question of the most ids the call takes may need beyond the general limit:
    an id of 64 characters with its quotes and separator fits in 100."""
    return int(get_state().setting("ELIGIBILITY_MAX_IDS")) * 100


@routes.post("/training-eligibility")
@service_auth
@accepts("EligibilityQuestion")
@allow_larger_body(_room_for_ids)
def training_eligibility(body: dict[str, Any]) -> Response:
    ids = body["account_ids"]
    errors = _eligibility_ids(ids)
    try:
        as_of = _eligibility_moment(body.get("as_of"))
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    eligible = eligibility.training_eligibility(ids, as_of)
    response = jsonify({"as_of": as_of.isoformat(), "eligible": eligible})
    response.headers["Cache-Control"] = "no-store"
    return response
