"""A bounded schemathesis run against the served OpenAPI document: signed in (session cookie and
CSRF header) or with the service token, as each operation's security says, every documented
operation is called with generated valid and invalid input. No answer may be a server error;
every answer must have a status and a body the document describes; valid input must not be
refused as invalid, nor invalid input accepted."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from .helpers import LiveServer, Person

API = "/privacy/api/v1"
TOKEN = "fuzz-test-pipeline-token"
pytestmark = pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN})

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          positive_data_acceptance, negative_data_rejection]
#: examples per operation and kind (valid, invalid): about 20 operations, a few hundred calls
EXAMPLES = 30
#: signing out would leave the rest of the run without a session
SKIPPED = {("DELETE", "/session")}


def _uses_service_token(operation: Any) -> bool:
    security = operation.definition.raw.get("security", [])
    return any("serviceToken" in requirement for requirement in security)


def _checks(operation: Any) -> list[Any]:
    """The checks; a documented 5xx (/health's 503 "degraded": no worker runs here) is an
    answer the document gives, which status-code conformance still holds to the document."""
    if any(str(code).startswith("5") for code in operation.definition.raw["responses"]):
        return [check for check in CHECKS if check is not not_a_server_error]
    return CHECKS


def _settled(case: Any) -> bool:
    """A valid eligibility question's ``as_of`` lies in the settled past: the one rule of the
    API that JSON Schema cannot state (the document says it in words)."""
    as_of = case.body.get("as_of") if isinstance(case.body, dict) else None
    if not isinstance(as_of, str):
        return True
    try:
        return datetime.fromisoformat(as_of).astimezone(UTC) < datetime.now(UTC) - timedelta(
            days=1)
    except (ValueError, OverflowError):
        return False


def _run(operation: Any, mode: GenerationMode, base_url: str, http: requests.Session,
         headers: dict[str, str]) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE and operation.path == "/training-eligibility":
        strategy = strategy.filter(_settled)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def call(case: Any) -> None:
        case.call_and_validate(base_url=base_url, session=http, headers=headers,
                               checks=_checks(operation))

    call()


def test_the_api_answers_generated_calls_as_its_document_says(
        app: Flask, live_server: LiveServer, person: Person) -> None:
    person.login("alice@example.com")
    csrf = person.me()["csrf_token"]
    # the session cookie and the CSRF header are this person's, not generated values
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_url(live_server.url + API + "/openapi.json",
                                           config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        headers = ({"Authorization": f"Bearer {TOKEN}"} if _uses_service_token(operation)
                   else {"X-CSRF-Token": csrf})
        _run(operation, GenerationMode.POSITIVE, live_server.url + API, person.http, headers)
        # Unsatisfiable: nothing of this operation can be sent invalid (no parameters, no body)
        with contextlib.suppress(Unsatisfiable):
            _run(operation, GenerationMode.NEGATIVE, live_server.url + API, person.http,
                 headers)
