"""JSON API of preferences, the consent ledger, receipts, organisation policy and the
training pipeline's eligibility question (API.md)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from selfservice.auth import current_identity
from selfservice.identity import Identity, Organisation
from selfservice.models import ConsentEvent, ConsentMethod, OrgPolicy, Purpose
from selfservice.services import consent, receipts
from selfservice.services.notifications import public_url
from selfservice.state import get_state

from .guards import api_auth, service_auth
from .problems import problem
from .validation import Invalid, invalid_response, is_identifier, json_object, parse_time

logger = logging.getLogger(__name__)


def event_json(event: ConsentEvent) -> dict[str, Any]:
    return consent.event_json(event) | {
        "receipt_url": url_for("selfservice_api.consent_receipt", event_id=event.id)}


def locked_problem(exc: consent.TrainingLocked) -> Response:
    return problem(403, "org-policy-locked", "Training is set by your organisation",
                   "Your organisation's training policy decides this; its owner or admins "
                   "can change it.", org_policy=exc.policy.as_json())


def register(bp: Blueprint) -> None:
    @bp.errorhandler(Invalid)
    def invalid(exc: Invalid) -> Response:
        return invalid_response(exc.errors)

    @bp.get("/preferences")
    @api_auth()
    def preferences() -> Response:
        identity = current_identity()
        assert identity is not None
        return jsonify(consent.get_preferences(identity).as_json())

    @bp.patch("/preferences")
    @api_auth()
    def change_preferences() -> Response:
        identity = current_identity()
        assert identity is not None
        body = json_object([*consent.PREFERENCE_PURPOSES, "policy_version"])
        errors = {key: "must be true or false" for key, value in body.items()
                  if key in consent.PREFERENCE_PURPOSES and not isinstance(value, bool)}
        version = body.get("policy_version")
        current = consent.policy_version()
        if "policy_version" in body and version != current:
            errors["policy_version"] = f"must be the policy version in force, {current!r}"
        if errors:
            raise Invalid(errors)
        changes = {k: v for k, v in body.items() if k in consent.PREFERENCE_PURPOSES}
        try:
            view, _ = consent.change_preferences(identity, changes, method=ConsentMethod.API,
                                                 version=current)
        except consent.TrainingLocked as exc:
            return locked_problem(exc)
        return jsonify(view.as_json())

    @bp.get("/consent-events")
    @api_auth()
    def consent_events() -> Response:
        identity = current_identity()
        assert identity is not None
        purpose = request.args.get("purpose")
        if purpose is not None and purpose not in set(Purpose):
            raise Invalid({"purpose": f"must be one of {', '.join(Purpose)}"})
        events, report = consent.list_events(identity.account_id, purpose)
        return jsonify({"events": [event_json(e) for e in events], "chain_valid": report.valid,
                        "chain": report.as_json()})

    @bp.get("/consent-events/<event_id>/receipt")
    @api_auth()
    def consent_receipt(event_id: str) -> Response:
        identity = current_identity()
        assert identity is not None
        event = consent.get_event(identity.account_id, event_id)
        if event is None:
            return problem(404, "not-found", "No such consent event")
        keys_path = url_for("selfservice_api.receipt_keys")
        try:
            document = receipts.signed_receipt(
                event, identity, jwks_url=public_url(keys_path) or url_for(
                    "selfservice_api.receipt_keys", _external=True))
        except consent.LedgerInvalid:
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

    @bp.get("/consent-receipts/jwks.json")
    def receipt_keys() -> Response:
        response = jsonify(receipts.published_keys())
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    def org_member() -> tuple[Identity, Organisation] | Response:
        identity = current_identity()
        assert identity is not None
        if identity.org is None:
            return problem(404, "not-found", "You are not a member of an organisation")
        return identity, identity.org

    @bp.get("/org/training-policy")
    @api_auth()
    def org_policy() -> Response:
        member = org_member()
        if isinstance(member, Response):
            return member
        identity, _ = member
        assert identity.org is not None
        view = consent.get_org_policy(identity.org.id)
        return jsonify(view.as_json() | {"org_id": identity.org.id})

    @bp.put("/org/training-policy")
    @api_auth()
    def set_org_policy() -> Response:
        member = org_member()
        if isinstance(member, Response):
            return member
        identity, org = member
        if not org.is_admin:
            return problem(403, "forbidden", "Only the organisation's owner or admins set its "
                           "training policy")
        body = json_object(["policy", "policy_version"])
        errors = {}
        if not isinstance(body.get("policy"), str) or body["policy"] not in set(OrgPolicy):
            errors["policy"] = f"must be one of {', '.join(OrgPolicy)}"
        current = consent.policy_version()
        if "policy_version" in body and body["policy_version"] != current:
            errors["policy_version"] = f"must be the policy version in force, {current!r}"
        if errors:
            raise Invalid(errors)
        view = consent.set_org_policy(identity, OrgPolicy(body["policy"]),
                                      method=ConsentMethod.API, version=current)
        return jsonify(view.as_json() | {"org_id": org.id})

    @bp.post("/training-eligibility")
    @service_auth
    def training_eligibility() -> Response:
        body = json_object(["account_ids", "as_of"])
        limit = get_state().setting("ELIGIBILITY_MAX_IDS")
        errors: dict[str, str] = {}
        ids = body.get("account_ids")
        if not isinstance(ids, list):
            errors["account_ids"] = "must be a list of account ids"
        elif len(ids) > limit:
            errors["account_ids"] = f"at most {limit} ids per call, not {len(ids)}"
        else:
            bad = [i for i, v in enumerate(ids) if not is_identifier(v)]
            if bad:
                errors["account_ids"] = (f"every id must be a printable string of 1-64 "
                                         f"characters (item {bad[0]} is not)")
        settled = consent.settled_moment()
        as_of = settled
        if body.get("as_of") is not None:
            try:
                as_of = parse_time(body["as_of"], "as_of")
            except Invalid as exc:
                errors.update(exc.errors)
            else:
                if as_of > settled:
                    errors["as_of"] = (
                        f"must lie at least {get_state().setting('ELIGIBILITY_SETTLE')} s in "
                        "the past (changes made just before it may still be committing); "
                        "null means the latest settled moment")
        if errors:
            raise Invalid(errors)
        eligible = consent.training_eligibility(ids, as_of)
        response = jsonify({"as_of": as_of.isoformat(), "eligible": eligible})
        response.headers["Cache-Control"] = "no-store"
        return response
