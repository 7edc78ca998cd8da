"""Rate limits on request creation, sign-in starts, callbacks and cookie decisions: counted in
Redis per account (signed in) or per client address, a 429 with Retry-After (a problem for the
API, a plain page for pages), in memory while Redis is down (never a 500), and beside a host's
own Flask-Limiter without touching it."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from flask_limiter import Limiter
from redis import Redis

from devtools.services import RedisServer

from .helpers import LiveServer, Person, csrf_token, forms_of

API = "/privacy/api/v1"


def ask(person: Person, kind: str = "correction") -> requests.Response:
    return person.api("POST", f"{API}/requests", json={"type": kind})


def assert_api_429(response: requests.Response, most: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/rate-limited")
    assert 0 < int(response.headers["Retry-After"]) <= most


def assert_page_429(response: Any, most: int) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    text = response.text if hasattr(response, "text") else response.get_data(as_text=True)
    assert "Too many attempts" in text and "Please wait" in text
    assert 0 < int(response.headers["Retry-After"]) <= most


@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_REQUESTS="20/hour")
def test_the_21st_request_in_a_row_is_refused_with_retry_after(
        app: Flask, make_person: Any, redis_server: RedisServer) -> None:
    alice: Person = make_person()
    alice.login("alice@example.com")
    for _ in range(20):
        created = ask(alice)
        assert created.status_code == 202, created.text
        assert alice.api("POST", f"{API}/requests/{created.json()['id']}/cancel"
                         ).status_code == 200
    assert_api_429(ask(alice), 3600)
    # counted in Redis, under the plugin's own prefix, for all web processes
    prefix = app.config["SELFSERVICE_QUEUE_PREFIX"]
    assert Redis.from_url(redis_server.url).keys(f"*/{prefix}-limits/account:acct-alice/*")
    # the page's form counts with the API (the page itself can still be read)
    page = alice.get("/privacy/requests")
    assert page.status_code == 200
    token = csrf_token(page.text)
    by_form = alice.http.post(alice.app_url + "/privacy/requests", timeout=10,
                              allow_redirects=False,
                              data={"csrf_token": token, "type": "correction",
                                    "jurisdiction": "gdpr"})
    assert_page_429(by_form, 3600)
    # each account has its own count
    carol: Person = make_person()
    carol.login("carol@example.com")
    assert ask(carol).status_code == 202


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_SIGN_IN="3/minute")
def test_sign_in_starts_are_limited_per_address(app: Flask, live_server: LiveServer) -> None:
    http = requests.Session()
    for path in ("/auth/login", "/auth/reauth?next=/privacy/", "/auth/login"):
        assert http.get(live_server.url + path, allow_redirects=False,
                        timeout=10).status_code == 302
    assert_page_429(http.get(live_server.url + "/auth/reauth", timeout=10), 60)
    # another browser at the same address is the same client
    assert requests.get(live_server.url + "/auth/login", timeout=10).status_code == 429


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_CALLBACK="2/minute")
def test_callbacks_are_limited_per_client_address(app: Flask) -> None:
    client = app.test_client()

    def callback(address: str) -> Any:
        return client.get("/auth/callback?state=forged", environ_base={"REMOTE_ADDR": address})

    assert [callback("192.0.2.7").status_code for _ in range(2)] == [400, 400]
    assert_page_429(callback("192.0.2.7"), 60)
    assert callback("192.0.2.8").status_code == 400
    # an IPv6 client is counted by its /64
    assert callback("2001:db8:1:2::1").status_code == 400
    assert callback("2001:db8:1:2::ffff").status_code == 400
    assert callback("2001:db8:1:2:abcd::9").status_code == 429
    assert callback("2001:db8:1:3::1").status_code == 400


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_CALLBACK=None)
def test_a_limit_set_to_none_is_off(app: Flask) -> None:
    client = app.test_client()
    assert {client.get("/auth/callback?state=x").status_code for _ in range(40)} == {400}


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_COOKIE_CONSENT="3/minute")
def test_anonymous_cookie_decisions_are_limited(app: Flask, live_server: LiveServer) -> None:
    http = requests.Session()
    settings = http.get(live_server.url + "/privacy/cookies", timeout=10).text
    form = next(f for f in forms_of(settings) if f["action"].endswith("/cookie-consent"))
    token = form["fields"]["csrf_token"]
    version = http.get(live_server.url + f"{API}/cookie-consent", timeout=10
                       ).json()["policy_version"]
    body = {"policy_version": version, "categories": {"analytics": False}}
    for _ in range(2):
        assert http.put(live_server.url + f"{API}/cookie-consent", json=body, timeout=10,
                        headers={"X-CSRF-Token": token}).status_code == 200
    # the banner's form counts with the API
    assert http.post(live_server.url + "/privacy/cookie-consent", timeout=10,
                     allow_redirects=False,
                     data={**form["fields"], "choice": "reject_all"}).status_code == 303
    assert_api_429(http.put(live_server.url + f"{API}/cookie-consent", json=body, timeout=10,
                            headers={"X-CSRF-Token": token}), 60)
    assert_page_429(http.post(live_server.url + "/privacy/cookie-consent", timeout=10,
                              data={**form["fields"], "choice": "reject_all"}), 60)


@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_REQUESTS="3/hour")
def test_limits_hold_while_redis_is_down_and_nothing_fails(
        app: Flask, person: Person, redis_server: RedisServer) -> None:
    person.login("alice@example.com")
    person.me()
    redis_server.stop()
    try:
        answers = [ask(person, kind).status_code
                   for kind in ("correction", "restriction", "objection", "appeal")]
        assert answers == [202, 202, 202, 429]  # counted in memory meanwhile
    finally:
        redis_server.start()
    again = ask(person, "automated_decision_review")
    assert again.status_code in (202, 429), again.text


@pytest.mark.backends("sqlite")
def test_the_hosts_ratelimit_settings_are_the_hosts(app_config: dict[str, Any]) -> None:
    """None of a host's RATELIMIT_* settings reaches the plugin's limiter: not its switch,
    nor its default or application-wide limits."""
    from demo.app import create_app

    app = create_app(dict(app_config, RATELIMIT_ENABLED=False, RATELIMIT_DEFAULT="1/minute",
                          RATELIMIT_APPLICATION="1/minute",
                          SELFSERVICE_RATE_LIMIT_CALLBACK="2/minute"))
    client = app.test_client()
    assert [client.get("/auth/callback?state=x").status_code for _ in range(3)] == [
        400, 400, 429]
    assert [client.get(f"{API}/openapi.json").status_code for _ in range(3)] == [200] * 3
    assert [client.get("/").status_code for _ in range(3)] == [200] * 3
    assert "limiter" not in app.extensions


@pytest.mark.backends("sqlite")
def test_a_hosts_own_flask_limiter_keeps_working_beside_the_plugins(
        app_config: dict[str, Any]) -> None:
    from demo.app import create_app

    app = create_app(dict(app_config, SELFSERVICE_RATE_LIMIT_CALLBACK="2/minute"))
    host_limiter = Limiter(lambda: "everyone", app=app, storage_uri="memory://")
    assert app.extensions["limiter"] == {host_limiter}

    @app.get("/host-limited")
    @host_limiter.limit("1/minute")
    def host_limited() -> str:
        return "host page"

    client = app.test_client()
    assert [client.get("/host-limited").status_code for _ in range(2)] == [200, 429]
    assert [client.get("/auth/callback?state=x").status_code for _ in range(3)] == [
        400, 400, 429]
    assert [client.get(f"{API}/openapi.json").status_code for _ in range(3)] == [200] * 3
