"""Response headers of the plugin's pages, API and SSO: personal data is never cached
(`Cache-Control: no-store` unless a view chose its own), no content sniffing, no Referer to
other sites, nothing the host set is overridden, and the host's own pages are left alone. The
consent cookie is Secure over HTTPS, and an HTTPS request with an insecure session cookie is
logged once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from .helpers import LiveServer, Person, forms_of

API = "/privacy/api/v1"
PERSONAL = ["/privacy/", "/privacy/data", "/privacy/preferences", "/privacy/requests",
            "/privacy/cookies", f"{API}/me", f"{API}/preferences", f"{API}/consent-events",
            f"{API}/requests", f"{API}/cookie-consent", "/auth/logout"]
HARDENED = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
pytestmark = pytest.mark.backends("sqlite")


def hardened(response: requests.Response | Any) -> dict[str, str]:
    return {name: response.headers.get(name) for name in HARDENED}


def test_personal_data_is_never_cached_nor_sniffed_nor_referred_elsewhere(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    for path in PERSONAL:
        response = person.http.get(person.app_url + path, allow_redirects=False, timeout=10)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers.get("Cache-Control") == "no-store", path
        assert hardened(response) == HARDENED, path
    # redirects and errors of the plugin too
    for path, status in [("/auth/login?next=/privacy/", 302), (f"{API}/requests/nope", 404),
                         ("/privacy/requests/nope", 404)]:
        response = person.http.get(person.app_url + path, allow_redirects=False, timeout=10)
        assert response.status_code == status, path
        assert response.headers.get("Cache-Control") == "no-store", path
        assert hardened(response) == HARDENED, path


def test_what_is_cacheable_on_purpose_keeps_its_own_cache_control(
        app: Flask, live_server: LiveServer) -> None:
    for path, cache in [(f"{API}/cookie-policy", "public, max-age=300"),
                        (f"{API}/consent-receipts/jwks.json", "public, max-age=3600"),
                        ("/.well-known/gpc.json", "public, max-age=86400")]:
        response = requests.get(live_server.url + path, timeout=10)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == cache, path
        assert hardened(response) == HARDENED, path


def test_the_hosts_own_values_and_pages_are_left_alone(app: Flask) -> None:
    @app.after_request
    def host_headers(response: Response) -> Response:
        # a host hook that only fills in what is missing, like the plugin's
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.errorhandler(404)
    def host_not_found(error: Any) -> Response:
        return Response("not here", 404, headers={"Cache-Control": "public, max-age=60"})

    client = app.test_client()
    page = client.get(f"{API}/health")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    # the host's error page for a plugin route keeps the host's Cache-Control
    missing = client.get("/privacy/static/nope.css")
    assert missing.data == b"not here"
    assert missing.headers["Cache-Control"] == "public, max-age=60"
    assert missing.headers["X-Content-Type-Options"] == "nosniff"
    # a URL no plugin route serves is the host's alone
    unrouted = client.get("/privacy/cookies/nope")
    assert unrouted.headers["Cache-Control"] == "public, max-age=60"
    assert "X-Content-Type-Options" not in unrouted.headers
    host_page = client.get("/")
    assert host_page.status_code == 200
    assert "X-Content-Type-Options" not in host_page.headers
    assert "no-store" not in host_page.headers.get("Cache-Control", "")


def _decide_cookies(client: Any, **kwargs: Any) -> Any:
    page = client.get("/privacy/cookies", **kwargs)
    form = next(f for f in forms_of(page.get_data(as_text=True))
                if f["action"].endswith("/privacy/cookie-consent"))
    return client.post("/privacy/cookie-consent", data={**form["fields"],
                                                        "choice": "reject_all"}, **kwargs)


def _consent_cookie(response: Any) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie")
                if h.startswith("selfservice_consent="))


def test_the_consent_cookie_is_secure_over_https_behind_a_proxy_too(app: Flask) -> None:
    assert "Secure" not in _consent_cookie(_decide_cookies(app.test_client()))
    assert "Secure" in _consent_cookie(_decide_cookies(app.test_client(),
                                                       base_url="https://localhost"))
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    proxied = _decide_cookies(app.test_client(), headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in _consent_cookie(proxied)


def test_https_with_an_insecure_session_cookie_is_logged_once(
        app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        client.get(f"{API}/health")
        assert not [r for r in caplog.records if "SESSION_COOKIE_SECURE" in r.getMessage()]
        for _ in range(3):
            client.get(f"{API}/health", base_url="https://localhost")
    warnings = [r for r in caplog.records if "SESSION_COOKIE_SECURE" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


@pytest.mark.settings(SESSION_COOKIE_SECURE=True)
def test_https_with_a_secure_session_cookie_logs_nothing(
        app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        app.test_client().get(f"{API}/health", base_url="https://localhost")
    assert not [r for r in caplog.records if "SESSION_COOKIE_SECURE" in r.getMessage()]
