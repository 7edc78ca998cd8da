"""Hostile input to the plugin's pages and API: bodies over the size limit (with and without
Content-Length), bodies of many unknown keys, deep nesting, values of the wrong kind. Each is
refused with a small 4xx answer, and none reaches a server error."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, jsonify, request

from .helpers import LiveServer, Person, csrf_token

API = "/privacy/api/v1"
TOKEN = "limits-test-pipeline-token"
LIMIT = 64 * 1024
pytestmark = pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN})


def anonymous_visitor(live_server: LiveServer) -> tuple[requests.Session, str]:
    """A browser without a login, and the CSRF token of the cookie settings page."""
    http = requests.Session()
    return http, csrf_token(http.get(live_server.url + "/privacy/cookies", timeout=10).text)


def assert_problem(response: requests.Response | http.client.HTTPResponse, status: int,
                   slug: str) -> dict[str, Any]:
    body = response.read() if isinstance(response, http.client.HTTPResponse) else (
        response.content)
    assert response.status == status if isinstance(response, http.client.HTTPResponse) else (
        response.status_code == status), body[:300]
    assert response.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = json.loads(body)
    assert problem["type"].endswith(f"/problems/{slug}")
    return problem


# -- size -------------------------------------------------------------------------------------

@pytest.mark.backends("sqlite")
def test_a_body_declared_too_large_is_refused_before_it_is_read(
        app: Flask, live_server: LiveServer) -> None:
    """20 MB announced, 1 KB sent: the answer comes at once, without waiting for the rest."""
    visitor, token = anonymous_visitor(live_server)
    cookies = "; ".join(f"{c.name}={c.value}" for c in visitor.cookies)
    head = (f"PUT {API}/cookie-consent HTTP/1.1\r\nHost: 127.0.0.1:{live_server.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: 20000000\r\n"
            f"X-CSRF-Token: {token}\r\nCookie: {cookies}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(head + b'{"policy_version": "' + b"a" * 1000)
        response = http.client.HTTPResponse(sock)
        response.begin()
        problem = assert_problem(response, 413, "payload-too-large")
    assert str(LIMIT) in problem["detail"]


@pytest.mark.backends("sqlite")
def test_a_chunked_body_over_the_limit_is_refused(app: Flask, live_server: LiveServer) -> None:
    visitor, token = anonymous_visitor(live_server)

    def chunks() -> Iterator[bytes]:  # requests sends a generator chunked, without a length
        yield b'{"policy_version": "'
        for _ in range(32):
            yield b"a" * 8192
        yield b'"}'

    response = visitor.put(live_server.url + API + "/cookie-consent", data=chunks(),
                           timeout=10, headers={"Content-Type": "application/json",
                                                "X-CSRF-Token": token})
    assert_problem(response, 413, "payload-too-large")


@pytest.mark.backends("sqlite")
def test_a_chunked_body_within_the_limit_reaches_the_view_whole(
        app: Flask, live_server: LiveServer) -> None:
    visitor, token = anonymous_visitor(live_server)
    version = visitor.get(live_server.url + API + "/cookie-consent", timeout=10).json()[
        "policy_version"]
    body = json.dumps({"policy_version": version, "categories": {"analytics": True},
                       "method": "api"}).encode()
    response = visitor.put(live_server.url + API + "/cookie-consent", timeout=10,
                           data=iter([body[:10], body[10:]]),
                           headers={"Content-Type": "application/json", "X-CSRF-Token": token})
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 200, response.text[:300]
    assert response.json()["categories"]["analytics"] is True


@pytest.mark.backends("sqlite")
def test_a_page_refuses_a_form_over_the_limit(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    response = person.submit("/privacy/requests", {
        "type": "correction", "jurisdiction": "gdpr", "description": "x" * (LIMIT + 1)})
    assert response.status_code == 413


@pytest.mark.backends("sqlite")
def test_the_hosts_own_routes_keep_their_own_limit(app: Flask, live_server: LiveServer) -> None:
    @app.post("/hosttest/echo")
    def echo() -> Any:
        return jsonify(size=len(request.get_data()))

    response = requests.post(live_server.url + "/hosttest/echo", data=b"x" * (4 * LIMIT),
                             timeout=10)
    assert response.json() == {"size": 4 * LIMIT}


@pytest.mark.backends("sqlite")
def test_the_pipeline_may_ask_about_as_many_ids_as_allowed(
        app: Flask, live_server: LiveServer) -> None:
    """10,000 ids of 64 characters are far more than the general limit; the call takes them."""
    ids = [f"acct-{n:059d}" for n in range(10_000)]
    response = requests.post(live_server.url + API + "/training-eligibility", timeout=30,
                             json={"account_ids": ids},
                             headers={"Authorization": f"Bearer {TOKEN}"})
    assert len(response.request.body or b"") > 10 * LIMIT
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["eligible"]) == 10_000


@pytest.mark.backends("sqlite")
def test_the_limit_is_a_setting(app: Flask, live_server: LiveServer) -> None:
    app.config["SELFSERVICE_MAX_BODY_BYTES"] = 100
    visitor, token = anonymous_visitor(live_server)
    response = visitor.put(live_server.url + API + "/cookie-consent", timeout=10,
                           headers={"X-CSRF-Token": token},
                           json={"policy_version": "x" * 100, "categories": {}})
    assert_problem(response, 413, "payload-too-large")


# -- many keys, deep nesting, wrong kinds -----------------------------------------------------

@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_SERVICE_TOKENS={"pipeline": TOKEN},
                      SELFSERVICE_MAX_BODY_BYTES=4 * 1024 * 1024)
def test_a_body_of_100000_unknown_keys_gets_a_small_answer(
        app: Flask, live_server: LiveServer) -> None:
    visitor, token = anonymous_visitor(live_server)
    body = {f"key{n}": n for n in range(100_000)}
    response = visitor.put(live_server.url + API + "/cookie-consent", timeout=30,
                           headers={"X-CSRF-Token": token}, json=body)
    problem = assert_problem(response, 422, "validation-error")
    assert len(response.content) < 2000
    assert len(problem["errors"]) <= 6
    assert sum(e["message"] == "unknown field" for e in problem["errors"]) <= 5


NESTED = "[" * 3000
CLOSED = '{"x": ' + "[" * 3000 + "]" * 3000 + "}"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("body", [NESTED, CLOSED], ids=["open", "closed"])
def test_deep_nesting_is_refused_everywhere(app: Flask, live_server: LiveServer,
                                            person: Person, body: str) -> None:
    json_type = {"Content-Type": "application/json"}
    person.login("alice@example.com")
    for method, path in (("POST", "/requests"), ("PATCH", "/preferences")):
        response = person.api(method, API + path, data=body, headers=json_type)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert response.headers["Content-Type"] == "application/problem+json"
    visitor, token = anonymous_visitor(live_server)
    response = visitor.put(live_server.url + API + "/cookie-consent", data=body, timeout=10,
                           headers={**json_type, "X-CSRF-Token": token})
    assert 400 <= response.status_code < 500, response.status_code
    response = requests.post(live_server.url + API + "/training-eligibility", data=body,
                             timeout=10,
                             headers={**json_type, "Authorization": f"Bearer {TOKEN}"})
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("value", [[], {}, ["export"], {"export": True}, None, 7])
def test_a_request_type_of_the_wrong_kind_is_a_422(app: Flask, person: Person,
                                                   value: Any) -> None:
    person.login("alice@example.com")
    response = person.api("POST", API + "/requests", json={"type": value})
    problem = assert_problem(response, 422, "validation-error")
    assert {e["field"] for e in problem["errors"]} == {"type"}
