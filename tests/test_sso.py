"""SSO through the real OpenID provider: login, roles, step-up, open redirects, CSRF."""

from __future__ import annotations

import pytest
from flask import Flask

from .helpers import Person, make_login_stale

DEMO_ACCOUNTS = [
    ("alice@example.com", "acct-alice", None, ["customer"]),
    ("bob@example.com", "acct-bob", ("org-acme", "Acme AI", "owner"), ["customer"]),
    ("carol@example.com", "acct-carol", ("org-acme", "Acme AI", "member"), ["customer"]),
    ("sam@example.com", "acct-sam", None, ["customer", "support"]),
    ("pat@example.com", "acct-pat", None, ["customer", "privacy_officer"]),
]


@pytest.mark.parametrize(("email", "account_id", "org", "roles"), DEMO_ACCOUNTS)
def test_each_demo_account_logs_in_and_me_shows_org_and_roles(
        person: Person, email: str, account_id: str, org: tuple[str, str, str] | None,
        roles: list[str]) -> None:
    page = person.login(email)
    assert page.url.endswith("/privacy/")
    assert person.login_forms_seen == 1
    me = person.me()
    assert me["account_id"] == account_id
    assert me["email"] == email
    assert me["roles"] == roles
    if org is None:
        assert me["org"] is None
    else:
        assert (me["org"]["id"], me["org"]["name"], me["org"]["role"]) == org
    assert me["auth_time"] and me["auth_time"].endswith("+00:00")
    assert me["csrf_token"]


def test_me_without_login_is_a_401_problem(person: Person) -> None:
    response = person.http.get(person.app_url + "/privacy/api/v1/me")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401 and body["type"].endswith("/not-authenticated")


def test_login_rotates_the_session(person: Person, app: Flask) -> None:
    person.get("/auth/login?next=/privacy/")  # stops at the provider's login form
    before = person.http.cookies.get("session")
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert "_selfservice_sso_flows" in serializer.loads(before)
    person.login("alice@example.com")
    after = serializer.loads(person.http.cookies.get("session"))
    assert after["_user_id"] == "acct-alice"
    assert not after.get("_selfservice_sso_flows"), "pre-login session data survived login"


def test_stale_login_is_refused_then_step_up_shows_the_login_form_and_succeeds(
        person: Person, app: Flask) -> None:
    person.login("alice@example.com")
    make_login_stale(app, person)
    first_auth = person.me()["auth_time"]

    page = person.http.get(person.app_url + "/hosttest/danger", allow_redirects=False)
    assert page.status_code == 302 and "/auth/reauth?next=/hosttest/danger" in page.headers[
        "Location"]
    api = person.api("POST", "/hosttest/api/danger")
    assert api.status_code == 401
    problem = api.json()
    assert problem["type"].endswith("/reauth-required")

    # following reauth_url shows the provider's login form again, although its session lives
    form_page = person.get(problem["reauth_url"])
    assert form_page.url.startswith(person.issuer)
    assert 'name="login"' in form_page.text
    done = person.follow(form_page, login="alice@example.com")
    assert done.status_code == 200 and done.url.startswith(person.app_url)

    assert person.api("POST", "/hosttest/api/danger").json() == {"done": True}
    assert person.me()["auth_time"] > first_auth
    assert person.get("/hosttest/danger").text == "dangerous page reached"


def test_step_up_as_another_user_is_refused(person: Person, app: Flask) -> None:
    person.login("alice@example.com")
    make_login_stale(app, person)
    reauth = person.api("POST", "/hosttest/api/danger").json()["reauth_url"]
    refused = person.get(reauth, login="bob@example.com")
    assert refused.status_code == 403
    assert "different user" in refused.text
    assert person.me()["account_id"] == "acct-alice"
    assert person.api("POST", "/hosttest/api/danger").status_code == 401


def test_fresh_login_reaches_the_guarded_endpoint_at_once(person: Person) -> None:
    person.login("alice@example.com")
    assert person.api("POST", "/hosttest/api/danger").json() == {"done": True}


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("target", [
    "https://evil.example/steal", "//evil.example/steal", "/\\evil.example/steal",
    "http:evil.example", "javascript:alert(1)", "\t//evil.example",
])
def test_next_cannot_redirect_off_site(person: Person, target: str) -> None:
    from urllib.parse import quote

    landed = person.get(f"/auth/login?next={quote(target)}", login="alice@example.com")
    assert landed.status_code == 200
    assert landed.url.startswith(person.app_url)
    assert "evil" not in landed.url
    stepped = person.get(f"/auth/reauth?next={quote(target)}", login="alice@example.com")
    assert stepped.url.startswith(person.app_url) and "evil" not in stepped.url


def test_unsafe_calls_without_csrf_token_get_403(person: Person) -> None:
    person.login("alice@example.com")
    for method, path in [("DELETE", "/privacy/api/v1/session"),
                         ("POST", "/hosttest/api/danger")]:
        refused = person.api(method, path, csrf=False)
        assert refused.status_code == 403, path
        assert refused.json()["type"].endswith("/csrf-failed")
        wrong = person.api(method, path, csrf=False, headers={"X-CSRF-Token": "forged"})
        assert wrong.status_code == 403
    # a junk bearer header does not turn the CSRF check off for a cookie call
    junk = person.api("DELETE", "/privacy/api/v1/session", csrf=False,
                      headers={"Authorization": "Bearer not-a-service-token"})
    assert junk.status_code in (401, 403)
    assert person.me()["account_id"] == "acct-alice"  # still logged in: nothing happened
    assert person.api("DELETE", "/privacy/api/v1/session").status_code == 204
    assert person.http.get(person.app_url + "/privacy/api/v1/me").status_code == 401


def test_logout_form_needs_its_csrf_token(person: Person) -> None:
    person.login("alice@example.com")
    forged = person.http.post(person.app_url + "/auth/logout", allow_redirects=False)
    assert forged.status_code == 400
    assert person.me()["account_id"] == "acct-alice"
    page = person.http.get(person.app_url + "/auth/logout")
    from .helpers import forms_of

    token = forms_of(page.text)[0]["fields"]["csrf_token"]
    done = person.http.post(person.app_url + "/auth/logout", data={"csrf_token": token},
                            allow_redirects=False)
    assert done.status_code == 302
    assert person.http.get(person.app_url + "/privacy/api/v1/me").status_code == 401


def test_unknown_identity_gets_no_session(person: Person) -> None:
    refused = person.get("/auth/login?next=/privacy/", login="mallory@example.org")
    assert refused.status_code == 403
    assert person.http.get(person.app_url + "/privacy/api/v1/me").status_code == 401


def test_a_replayed_callback_is_refused(person: Person) -> None:
    person.login("alice@example.com")
    callback = next(u for u in person.visited if "/auth/callback" in u)
    replay = person.http.get(callback, allow_redirects=False)
    assert replay.status_code == 400


def test_service_token_guard(person: Person) -> None:
    url = person.app_url + "/hosttest/api/pipeline"
    assert person.http.post(url).status_code == 401
    wrong = person.http.post(url, headers={"Authorization": "Bearer wrong-token-123456789"})
    assert wrong.status_code == 401 and wrong.json()["type"].endswith("/invalid-token")
    right = person.http.post(url, headers={"Authorization": "Bearer demo-pipeline-token"})
    assert right.status_code == 200 and right.json() == {"ok": True}


@pytest.mark.backends("sqlite")
# 40 sign-ins within a minute are over the sign-in rate limit (test_rate_limits.py)
@pytest.mark.settings(SELFSERVICE_RATE_LIMIT_SIGN_IN=None)
def test_abandoned_sign_ins_do_not_grow_the_cookie_and_the_newest_still_completes(
        person: Person) -> None:
    """Every sign-in started and never finished left Authlib's state in the cookie: 40 of
    them made it 7.8 KB, more than browsers keep."""
    for _ in range(40):
        form_page = person.get("/auth/login?next=/privacy/")  # stops at the login form
        assert 'name="login"' in form_page.text
    assert len(person.http.cookies["session"]) < 2000
    done = person.follow(form_page, login="alice@example.com")
    assert done.status_code == 200 and done.url == person.app_url + "/privacy/"
    assert person.me()["account_id"] == "acct-alice"
