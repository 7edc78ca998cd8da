"""The served OpenAPI document says exactly what the server accepts, in the places where the
two disagreed: the values that come from the app's settings (the privacy policy version, the
cookie policy version and languages, the most ids of an eligibility question), the rules of
ids and keys, the purposes, the statuses an operation can answer, and problem+json for every
path and method under the API prefix."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from flask import Flask

from selfservice.models import Purpose

from .helpers import LiveServer, Person, csrf_token

API = "/privacy/api/v1"
TOKEN = "agreement-test-pipeline-token"
pytestmark = pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN})


def document(live_server: LiveServer) -> dict[str, Any]:
    response = requests.get(live_server.url + API + "/openapi.json", timeout=10)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def schemas(live_server: LiveServer) -> dict[str, Any]:
    return document(live_server)["components"]["schemas"]  # type: ignore[no-any-return]


def fields(response: requests.Response) -> set[str]:
    if response.status_code != 422:
        return set()
    assert response.headers["Content-Type"] == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


def documented(schema: dict[str, Any], value: str) -> bool:
    """Whether a string meets a published string schema (its pattern read as JSON Schema
    reads it, the whole value matching)."""
    return (schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
            and re.fullmatch(schema.get("pattern", ".*").strip("^$"), value) is not None)


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN},
                      SELFSERVICE_POLICY_VERSION="2031-01-02")
def test_the_document_names_the_privacy_policy_version_in_force(
        app: Flask, live_server: LiveServer, person: Person) -> None:
    published = schemas(live_server)
    for name in ("PreferencesChange", "OrgTrainingPolicyChange"):
        assert published[name]["properties"]["policy_version"]["const"] == "2031-01-02", name
    person.login("bob@example.com")
    changed = person.api("PATCH", API + "/preferences",
                         json={"marketing_emails": True, "policy_version": "2031-01-02"})
    assert changed.status_code == 200, changed.text[:300]
    stale = person.api("PATCH", API + "/preferences",
                       json={"marketing_emails": False, "policy_version": "2026-05-08"})
    assert fields(stale) == {"policy_version"}
    assert "2031-01-02" in stale.json()["errors"][0]["message"]
    policy = person.api("PUT", API + "/org/training-policy",
                        json={"policy": "members_choose", "policy_version": "2031-01-02"})
    assert policy.status_code == 200, policy.text[:300]


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN},
                      SELFSERVICE_COOKIE_TEXTS={"fr": {"title": "Cookies"}})
def test_the_document_names_the_cookie_policy_version_and_languages(
        app: Flask, live_server: LiveServer, person: Person) -> None:
    published = schemas(live_server)
    decision = published["CookieDecision"]["properties"]
    state = person.http.get(person.app_url + API + "/cookie-consent", timeout=10).json()
    assert decision["policy_version"]["const"] == state["policy_version"]
    assert sorted(decision["language"]["enum"]) == ["de", "en", "fr"]
    assert published["CookieCategories"]["properties"]["necessary"]["const"] is True
    token = csrf_token(person.get("/privacy/cookies").text)

    def put(**body: Any) -> requests.Response:
        return person.http.put(person.app_url + API + "/cookie-consent", timeout=10,
                               headers={"X-CSRF-Token": token},
                               json={"policy_version": state["policy_version"],
                                     "categories": {"necessary": True}, **body})

    assert put(language="fr").status_code == 200
    assert fields(put(language="it")) == {"language"}
    assert fields(put(categories={"necessary": False})) == {"categories"}
    assert fields(put(policy_version="0" * 12)) == {"policy_version"}


@pytest.mark.backends("sqlite")
def test_the_idempotency_key_rule_is_the_documented_one(
        app: Flask, live_server: LiveServer, person: Person) -> None:
    [parameter] = [p for p in document(live_server)["paths"]["/requests"]["post"]["parameters"]
                   if p["name"] == "Idempotency-Key"]
    schema = parameter["schema"]
    person.login("alice@example.com")
    for key in ["k" * 80, "k" * 81, "", "retry key", "clé", "a:b/c?d=e#1", "tab\tkey"]:
        response = person.api("POST", API + "/requests", json={"type": "appeal"},
                              headers={"Idempotency-Key": key})
        refused = "Idempotency-Key" in fields(response)
        assert refused is not documented(schema, key), (key, response.status_code)


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN},
                      SELFSERVICE_ELIGIBILITY_MAX_IDS=3)
def test_the_eligibility_id_rules_are_the_documented_ones(
        app: Flask, live_server: LiveServer) -> None:
    ids = schemas(live_server)["EligibilityQuestion"]["properties"]["account_ids"]
    assert ids["maxItems"] == 3

    def ask(account_ids: list[str]) -> requests.Response:
        return requests.post(live_server.url + API + "/training-eligibility", timeout=10,
                             json={"account_ids": account_ids},
                             headers={"Authorization": f"Bearer {TOKEN}"})

    assert ask(["a", "b", "c"]).status_code == 200
    assert fields(ask(["a", "b", "c", "d"])) == {"account_ids"}
    for account_id in ["a" * 64, "a" * 65, "", "no\u00a0break", "zero\u200bwidth", "tab\t",
                       "nul\x00", "c1\x85", "line\n", "acct 42", "ü-ß-🙂"]:
        refused = "account_ids" in fields(ask([account_id]))
        assert refused is not documented(ids["items"], account_id), repr(account_id)


@pytest.mark.backends("sqlite")
def test_the_purposes_are_the_documented_ones(app: Flask, live_server: LiveServer,
                                              person: Person) -> None:
    [parameter] = document(live_server)["paths"]["/consent-events"]["get"]["parameters"]
    assert parameter["schema"] == {"type": "string", "enum": list(Purpose)}
    person.login("alice@example.com")
    url = person.app_url + API + "/consent-events"
    for purpose in Purpose:
        assert person.http.get(url, params={"purpose": purpose}, timeout=10).status_code == 200
    for query in ({"purpose": "cookies"}, {"purpose": ""},
                  {"purpose": ["training", "marketing_emails"]}):
        response = person.http.get(url, params=query, timeout=10)
        assert fields(response) == {"purpose"}, query


@pytest.mark.backends("sqlite")
def test_every_operation_documents_the_problems_it_can_answer(
        app: Flask, live_server: LiveServer, person: Person) -> None:
    paths = document(live_server)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert "503" in statuses, (method, path)  # the database out of reach
            if any("csrf" in requirement for requirement in operation.get("security", [])):
                assert "403" in statuses, (method, path)
            if "requestBody" in operation:
                assert {"413", "422"} <= statuses, (method, path)
    assert "409" in paths["/consent-events/{event_id}/receipt"]["get"]["responses"]
    person.login("alice@example.com")
    response = person.http.post(person.app_url + API + "/requests", json={"type": "appeal"},
                                timeout=10)
    assert response.status_code == 403
    assert "403" in paths["/requests"]["post"]["responses"]


def problem_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.request.method, response.url)
    assert response.headers["Content-Type"] == "application/problem+json", response.text[:200]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


@pytest.mark.backends("sqlite")
def test_every_path_under_the_api_prefix_answers_problem_json(
        app: Flask, live_server: LiveServer) -> None:
    base = live_server.url + API
    for url in (base + "/no-such-thing", base + "/", base, base + "/requests/a/b/c",
                base + "/me/"):
        assert problem_of(requests.get(url, timeout=10), 404)["type"].endswith("/not-found")
        problem_of(requests.post(url, timeout=10), 404)
    problem = problem_of(requests.post(base + "/me", timeout=10), 405)
    assert problem["type"].endswith("/method-not-allowed")
    response = requests.post(base + "/me", timeout=10)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    response = requests.delete(base + "/preferences", timeout=10)
    problem_of(response, 405)
    assert {"GET", "PATCH"} <= set(response.headers["Allow"].split(", "))
    response = requests.request("FROB", base + "/preferences", timeout=10)
    problem_of(response, 405)
    assert requests.options(base + "/preferences", timeout=10).status_code == 200


@pytest.mark.backends("sqlite")
def test_the_hosts_other_routes_keep_their_own_error_handling(
        app: Flask, live_server: LiveServer) -> None:
    app.register_error_handler(404, lambda error: ("the host's own 404", 404))
    host = requests.get(live_server.url + "/no-such-page", timeout=10)
    assert (host.status_code, host.text) == (404, "the host's own 404")
    wrong_method = requests.post(live_server.url + "/hosttest/danger", timeout=10)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Content-Type"].startswith("text/html")
    ours = requests.get(live_server.url + API + "/no-such-thing", timeout=10)
    problem_of(ours, 404)
