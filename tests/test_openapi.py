"""The served OpenAPI document and the server agree: every request body is checked against the
very schema the document publishes, and the enums come from the models."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from flask import Flask

from selfservice.blueprints.rate_limits import RATE_LIMIT
from selfservice.models import (
    ConsentMethod,
    Jurisdiction,
    OrgPolicy,
    Purpose,
    RequestStatus,
    RequestType,
)

from .helpers import LiveServer, Person

API = "/privacy/api/v1"
TOKEN = "openapi-test-pipeline-token"
pytestmark = [pytest.mark.backends("sqlite"),
              pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN})]

#: every operation that takes a JSON body, and the component it must be checked against
BODIES = {
    ("/preferences", "patch"): "PreferencesChange",
    ("/org/training-policy", "put"): "OrgTrainingPolicyChange",
    ("/training-eligibility", "post"): "EligibilityQuestion",
    ("/cookie-consent", "put"): "CookieDecision",
    ("/requests", "post"): "PrivacyRequestCreate",
    ("/legal-holds", "post"): "LegalHoldCreate",
    ("/legal-holds/{hold_id}/release", "post"): "LegalHoldRelease",
    ("/support/requests/{reference}/reveal", "post"): "RevealRequest",
    ("/requests/{request_id}/confirm", "post"): "DeletionConfirm",
    ("/requests/{request_id}/details", "post"): "RequestAddition",
    ("/support/requests/{reference}/notes", "post"): "SupportNoteCreate",
    ("/support/requests/{reference}/assign", "post"): "SupportAssign",
    ("/support/requests/{reference}/decision", "post"): "DecisionRequest",
    ("/support/requests/{reference}/extend", "post"): "ExtensionRequest",
    ("/support/requests/{reference}/messages", "post"): "CustomerMessage",
    ("/support/requests/{reference}/deletion-steps/{source}/confirm", "post"):
        "StepConfirmation",
    ("/dpa/subprocessor-subscription", "put"): "SubprocessorSubscriptionChange",
    ("/dpa/subprocessor-changes/{change_id}/objection", "post"): "SubprocessorObjectionCreate",
    ("/support/subprocessor-objections/{objection_id}/resolve", "post"):
        "SubprocessorObjectionResolve",
    ("/dpa/signatures", "post"): "DpaSign",
}
#: operations only a privacy officer reaches (anyone else gets 404 before the body is read)
OFFICER_ONLY = ("/legal-holds",)
#: staff paths (sent by a privacy officer, who is staff too), for a reference: the body is
#: checked before the reference is looked up
STAFF_PATHS = {"/support/requests/{reference}/reveal": "/support/requests/DR-0000-0000/reveal",
               "/support/requests/{reference}/notes": "/support/requests/DR-0000-0000/notes",
               "/support/requests/{reference}/assign": "/support/requests/DR-0000-0000/assign",
               "/support/requests/{reference}/decision":
                   "/support/requests/DR-0000-0000/decision",
               "/support/requests/{reference}/extend": "/support/requests/DR-0000-0000/extend",
               "/support/requests/{reference}/messages":
                   "/support/requests/DR-0000-0000/messages",
               "/support/requests/{reference}/deletion-steps/{source}/confirm":
                   "/support/requests/DR-0000-0000/deletion-steps/any/confirm",
               "/support/subprocessor-objections/{objection_id}/resolve":
                   "/support/subprocessor-objections/any/resolve"}


def _document(live_server: LiveServer) -> dict[str, Any]:
    response = requests.get(live_server.url + API + "/openapi.json", timeout=10)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _wrong_value(schema: dict[str, Any]) -> Any:
    """A value the published schema refuses."""
    if "enum" in schema:
        return "not-one-of-them"
    kind = schema.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return ["a list"]
    if "boolean" in kinds:
        return "yes"
    return "a string"


def _send(person: Person, officer: Person, path: str, method: str,
          body: Any) -> requests.Response:
    if path in STAFF_PATHS:
        return officer.api(method.upper(), API + STAFF_PATHS[path], json=body)
    if path == "/training-eligibility":
        return requests.request(method, person.app_url + API + path, json=body, timeout=10,
                                headers={"Authorization": f"Bearer {TOKEN}"})
    who = officer if path.startswith(OFFICER_ONLY) else person
    return who.api(method.upper(), API + path.replace("{hold_id}", "any-hold")
                   .replace("{change_id}", "any-change"), json=body)


def _fields(response: requests.Response) -> set[str]:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


def test_every_request_body_is_checked_against_the_schema_the_document_publishes(
        app: Flask, live_server: LiveServer, person: Person, make_person: Any) -> None:
    person.login("alice@example.com")
    officer = make_person()
    officer.login("pat@example.com")
    document = _document(live_server)
    published = {
        (path, method): operation["requestBody"]["content"]["application/json"]["schema"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})}
    assert published == {key: {"$ref": f"#/components/schemas/{name}"}
                         for key, name in BODIES.items()}
    components = document["components"]["schemas"]
    for (path, method), name in BODIES.items():
        schema = components[name]
        assert schema["additionalProperties"] is False, name
        assert "not_a_field" in _fields(_send(person, officer, path, method, {"not_a_field": 1}))
        for field, field_schema in schema["properties"].items():
            body = {field: _wrong_value(field_schema)}
            assert field in _fields(_send(person, officer, path, method, body)), (name, field)
        for field in schema.get("required", []):
            assert field in _fields(_send(person, officer, path, method, {})), (name, field)


def test_every_rate_limited_call_documents_its_429(app: Flask, live_server: LiveServer) -> None:
    document = _document(live_server)
    limited = set()
    for rule in app.url_map.iter_rules():
        spec = getattr(app.view_functions[rule.endpoint], RATE_LIMIT, None)
        if spec is None or not rule.endpoint.startswith("selfservice_api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API):])
        methods = spec.methods or rule.methods - {"HEAD", "OPTIONS"}
        limited |= {(path, method.lower()) for method in methods}
    assert limited == {("/requests", "post"), ("/cookie-consent", "put")}
    for path, method in limited:
        answer = document["paths"][path][method]["responses"]["429"]
        assert answer["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"}, (path, method)
        assert "Retry-After" in answer["headers"], (path, method)


def test_the_published_enums_are_the_models(app: Flask, live_server: LiveServer) -> None:
    schemas = _document(live_server)["components"]["schemas"]
    assert schemas["ConsentEvent"]["properties"]["purpose"]["enum"] == list(Purpose)
    assert schemas["ConsentEvent"]["properties"]["method"]["enum"] == list(ConsentMethod)
    assert schemas["OrgTrainingPolicyChange"]["properties"]["policy"]["enum"] == list(OrgPolicy)
    request = schemas["PrivacyRequest"]["properties"]
    assert request["type"]["enum"] == list(RequestType)
    assert request["status"]["enum"] == list(RequestStatus)
    assert request["jurisdiction"]["enum"] == list(Jurisdiction)


def test_every_reference_in_the_document_resolves(app: Flask, live_server: LiveServer) -> None:
    document = _document(live_server)
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                found.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert len(found) > 20
    for ref in found:
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_the_negotiated_dpa_upload_is_the_one_multipart_body_and_checked_as_published(
        app: Flask, live_server: LiveServer, make_person: Any) -> None:
    document = _document(live_server)
    multipart = {(path, method): operation["requestBody"]["content"]
                 for path, operations in document["paths"].items()
                 for method, operation in operations.items()
                 if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})}
    assert list(multipart) == [("/support/dpa/negotiated", "post")]
    body = multipart[("/support/dpa/negotiated", "post")]["multipart/form-data"]
    assert body["schema"] == {"$ref": "#/components/schemas/DpaNegotiatedUpload"}
    schema = document["components"]["schemas"]["DpaNegotiatedUpload"]
    officer = make_person()
    officer.login("pat@example.com")
    refused = officer.api("POST", API + "/support/dpa/negotiated", data={"x": "1"},
                          files={"unrelated": ("a.txt", b"a")})
    assert schema["required"] == ["org_id", "version_label", "signed_on", "file"]
    assert _fields(refused) == {*schema["required"], "x", "unrelated"}
    assert schema["additionalProperties"] is False
