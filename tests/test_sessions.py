"""Server-side sessions: logging out, "sign out of all other sessions" and an account lock end
a session on the server, so a copy of its cookie is worth nothing afterwards."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from .helpers import Person, csrf_token, forms_of

API = "/privacy/api/v1"


def replay(person: Person, cookie: str, method: str, path: str,
           **kwargs: Any) -> requests.Response:
    """The request a thief holding a copy of the session cookie makes."""
    return requests.request(method, person.app_url + path, cookies={"session": cookie},
                            allow_redirects=False, timeout=10, **kwargs)


def me_status(person: Person) -> int:
    return person.http.get(person.app_url + API + "/me", timeout=10).status_code


def form_logout(person: Person) -> None:
    token = csrf_token(person.http.get(person.app_url + "/auth/logout", timeout=10).text)
    done = person.http.post(person.app_url + "/auth/logout", data={"csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert done.status_code == 302


def audit_actions(app: Flask, account_id: str) -> list[tuple[str, dict[str, Any]]]:
    from selfservice.models import AuditEvent

    with app.extensions["selfservice"].db.read() as session:
        rows = session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == f"account:{account_id}").order_by(AuditEvent.seq))
        return [(row.action, row.details) for row in rows]


def test_a_cookie_saved_before_logout_is_refused_after_it(person: Person, app: Flask) -> None:
    person.login("alice@example.com")
    saved = person.http.cookies["session"]
    assert replay(person, saved, "GET", API + "/me").status_code == 200
    form_logout(person)

    me = replay(person, saved, "GET", API + "/me")
    assert me.status_code == 401 and me.json()["type"].endswith("/not-authenticated")
    assert replay(person, saved, "GET", API + "/requests").status_code == 401
    page = replay(person, saved, "GET", "/privacy/")
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]
    console = replay(person, saved, "GET", "/console")  # the host's own login_required page
    assert console.status_code == 302 and "/auth/login" in console.headers["Location"]
    assert ("session.ended", {"reason": "logout"}) in [
        (action, {"reason": details.get("reason")})
        for action, details in audit_actions(app, "acct-alice")]


def test_a_cookie_saved_before_the_api_logout_is_refused_after_it(person: Person) -> None:
    person.login("alice@example.com")
    saved = person.http.cookies["session"]
    assert person.api("DELETE", API + "/session").status_code == 204
    assert replay(person, saved, "GET", API + "/me").status_code == 401
    assert replay(person, saved, "GET", API + "/requests").status_code == 401


def test_a_fresh_cookie_copied_before_logout_is_neither_signed_in_nor_fresh(
        person: Person) -> None:
    person.login("alice@example.com")
    saved = person.http.cookies["session"]
    csrf = person.me()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    assert replay(person, saved, "POST", "/hosttest/api/danger",
                  headers=headers).json() == {"done": True}
    form_logout(person)

    refused = replay(person, saved, "POST", "/hosttest/api/danger", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/not-authenticated")
    page = replay(person, saved, "GET", "/hosttest/danger")
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]


def test_signing_in_again_ends_the_session_the_browser_had(person: Person) -> None:
    person.login("alice@example.com")
    first = person.http.cookies["session"]
    person.login("alice@example.com")
    assert person.me()["account_id"] == "acct-alice"
    assert replay(person, first, "GET", API + "/me").status_code == 401


def _other_sessions_form(page_html: str) -> dict[str, Any]:
    found = [f for f in forms_of(page_html) if f["action"].endswith("/sessions/revoke-others")]
    assert len(found) == 1, page_html
    return found[0]


def test_sign_out_of_all_other_sessions_from_the_privacy_page(
        make_person: Any, app: Flask) -> None:
    here, laptop, phone, bob = make_person(), make_person(), make_person(), make_person()
    here.login("alice@example.com")
    laptop.login("alice@example.com")
    phone.login("alice@example.com")
    bob.login("bob@example.com")

    page = here.get("/privacy/")
    assert "signed in on 2 other devices or browsers" in page.text
    form = _other_sessions_form(page.text)
    forged = here.http.post(here.app_url + form["action"], allow_redirects=False, timeout=10)
    assert forged.status_code == 400  # no CSRF token: nothing happens
    assert laptop.me()["account_id"] == "acct-alice"

    done = here.http.post(here.app_url + form["action"], data=form["fields"],
                          allow_redirects=False, timeout=10)
    assert done.status_code == 303
    after = here.get(done.headers["Location"])
    assert "Signed out of 2 other sessions" in after.text
    assert "not signed in anywhere else" in after.text
    for other in (laptop, phone):
        assert me_status(other) == 401
    assert here.me()["account_id"] == "acct-alice"
    assert bob.me()["account_id"] == "acct-bob"
    assert ("session.others_ended", 2) in [
        (action, details.get("ended")) for action, details in audit_actions(app, "acct-alice")]


def test_sign_out_of_all_other_sessions_through_the_api(make_person: Any) -> None:
    here, other = make_person(), make_person()
    here.login("alice@example.com")
    other.login("alice@example.com")
    without_csrf = here.api("POST", API + "/sessions/revoke-others", csrf=False)
    assert without_csrf.status_code == 403
    assert other.me()["account_id"] == "acct-alice"

    done = here.api("POST", API + "/sessions/revoke-others")
    assert done.status_code == 200 and done.json() == {"ended": 1}
    assert me_status(other) == 401
    assert here.api("POST", API + "/sessions/revoke-others").json() == {"ended": 0}
    anonymous = requests.post(here.app_url + API + "/sessions/revoke-others", timeout=10)
    assert anonymous.status_code == 401


def test_an_account_lock_ends_every_session_of_the_account(
        make_person: Any, app: Flask) -> None:
    from selfservice.services import sessions

    first, second, bob = make_person(), make_person(), make_person()
    first.login("alice@example.com")
    second.login("alice@example.com")
    bob.login("bob@example.com")
    with app.app_context():
        assert sessions.end_all_sessions("acct-alice", "account_deletion") == 2
        assert sessions.end_all_sessions("acct-alice", "account_deletion") == 0
    for person in (first, second):
        assert me_status(person) == 401
    assert bob.me()["account_id"] == "acct-bob"
    assert ("session.all_ended", "account_deletion") in [
        (action, details.get("reason")) for action, details in audit_actions(app, "acct-alice")]


def _signed(app: Flask, data: dict[str, Any]) -> str:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.dumps(data))


def test_a_signed_in_cookie_without_a_session_id_counts_as_signed_out(
        person: Person, app: Flask) -> None:
    """Sessions made before server-side sessions existed (or by a host login that never
    called record_authentication) cannot be ended by logout: they are not adopted."""
    legacy = _signed(app, {"_user_id": "acct-alice", "_fresh": True, "_selfservice_auth": {
        "account": "acct-alice", "at": time.time(), "iss": None, "sub": None}})
    assert replay(person, legacy, "GET", API + "/me").status_code == 401
    danger = replay(person, legacy, "GET", "/hosttest/danger")
    assert danger.status_code == 302 and "/auth/login" in danger.headers["Location"]
    unknown = _signed(app, {"_user_id": "acct-alice", "_fresh": True, "_selfservice_auth": {
        "account": "acct-alice", "at": time.time(), "iss": None, "sub": None,
        "sid": "made-up-session-id"}})
    assert replay(person, unknown, "GET", API + "/me").status_code == 401


def test_a_session_of_another_account_does_not_carry_over(make_person: Any,
                                                         app: Flask) -> None:
    """A cookie naming one account's session for another account is refused."""
    alice, bob = make_person(), make_person()
    alice.login("alice@example.com")
    bob.login("bob@example.com")
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    bobs = serializer.loads(bob.http.cookies["session"])
    swapped = dict(bobs, _user_id="acct-alice",
                   _selfservice_auth=dict(bobs["_selfservice_auth"], account="acct-alice"))
    assert replay(alice, _signed(app, swapped), "GET", API + "/me").status_code == 401


def test_an_idle_session_ends_and_is_swept(person: Person, app: Flask) -> None:
    from selfservice.db import utcnow
    from selfservice.models import AccountSession
    from selfservice.services import sessions

    person.login("alice@example.com")
    saved = person.http.cookies["session"]
    days = app.config["SELFSERVICE_SESSION_IDLE_DAYS"]
    db = app.extensions["selfservice"].db
    with db.transaction() as session:
        session.execute(sa.update(AccountSession).values(
            last_seen_at=utcnow() - timedelta(days=days, minutes=1)))
    assert replay(person, saved, "GET", API + "/me").status_code == 401
    with app.app_context():
        assert sessions.sweep(now=utcnow() + timedelta(days=days, minutes=2)) == 1
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AccountSession)) == 0


def test_the_device_summary_is_plain_and_short() -> None:
    from selfservice.services.sessions import device_summary

    firefox = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    chrome_android = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, "
                      "like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
    safari_iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1"
                     ".15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
    edge = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0")
    assert device_summary(firefox) == "Firefox on Linux"
    assert device_summary(chrome_android) == "Chrome on Android"
    assert device_summary(safari_iphone) == "Safari on iPhone"
    assert device_summary(edge) == "Edge on Windows"
    assert device_summary("python-requests/2.32") == "Another program"
    assert device_summary("") == "Unknown browser"
