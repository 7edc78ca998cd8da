"""Cookie consent over HTTP, without a browser: the registry and policy, server-side
enforcement of Set-Cookie, the consent cookie, the API, proof records, GPC, re-consent,
languages, accounts and retention."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from selfservice import receipts
from selfservice.db import utcnow
from selfservice.models import CookieConsentLink, CookieConsentRecord

from .helpers import LiveServer, Person, csrf_token

API = "/privacy/api/v1/cookie-consent"
NECESSARY = {"session", "selfservice_consent"}


class Visitor:
    """An anonymous browser without JavaScript (requests), optionally sending GPC."""

    def __init__(self, live_server: LiveServer, gpc: bool = False, lang: str | None = None):
        self.url = live_server.url
        self.http = requests.Session()
        if gpc:
            self.http.headers["Sec-GPC"] = "1"
        if lang:
            self.http.headers["Accept-Language"] = lang

    def get(self, path: str = "/") -> requests.Response:
        return self.http.get(self.url + path, timeout=10)

    def banner(self, path: str = "/") -> dict[str, str]:
        page = self.get(path)
        assert 'id="ss-cookies"' in page.text, "no banner"
        return {
            "csrf_token": csrf_token(page.text),
            "version": re.search(r'data-version="([^"]+)"', page.text)[1],
            "html": page.text,
        }

    def put(self, categories: dict[str, bool], **extra: Any) -> requests.Response:
        """Decide through the API, with the token of the settings page (always there)."""
        settings = self.get("/privacy/cookies").text
        token = csrf_token(settings)
        return self.http.put(self.url + API, timeout=10, headers={"X-CSRF-Token": token},
                             json={"policy_version": self.state()["policy_version"],
                                   "categories": categories, **extra})

    def state(self) -> dict[str, Any]:
        return self.http.get(self.url + API, timeout=10).json()  # type: ignore[no-any-return]

    def cookie_names(self) -> set[str]:
        return {c.name for c in self.http.cookies}


def decide_as(person: Person, categories: dict[str, bool]) -> requests.Response:
    """A signed-in person decides through the API (token from the settings page)."""
    token = csrf_token(person.get("/privacy/cookies").text)
    api = person.app_url + API
    version = person.http.get(api, timeout=10).json()["policy_version"]
    return person.http.put(api, timeout=10, headers={"X-CSRF-Token": token},
                           json={"policy_version": version, "categories": categories})


def records(app: Flask, consent_id: str | None = None) -> list[CookieConsentRecord]:
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        query = sa.select(CookieConsentRecord).order_by(CookieConsentRecord.at,
                                                       CookieConsentRecord.seq)
        if consent_id:
            query = query.where(CookieConsentRecord.consent_id == consent_id)
        return list(session.scalars(query))


ALL = {"functional": True, "analytics": True, "marketing": True}
NONE = {"functional": False, "analytics": False, "marketing": False}


def test_the_policy_is_generated_from_the_registry(app: Flask, live_server: LiveServer) -> None:
    body = requests.get(live_server.url + "/privacy/api/v1/cookie-policy", timeout=10).json()
    assert set(body["categories"]) == {"necessary", "functional", "analytics", "marketing"}
    necessary = {c["name"] for c in body["categories"]["necessary"]["cookies"]}
    assert necessary >= NECESSARY
    assert {c["name"] for c in body["categories"]["marketing"]["cookies"]} == {"_gcl_au",
                                                                               "li_fat_id"}
    page = requests.get(live_server.url + "/privacy/cookie-policy", timeout=10)
    assert page.status_code == 200 and body["version"] in page.text and "li_fat_id" in page.text
    # the version follows the contents
    from selfservice.services import cookie_consent

    with app.app_context():
        before = cookie_consent.registry()
        app.config["SELFSERVICE_COOKIES"] = [*app.config["SELFSERVICE_COOKIES"], {
            "name": "hj_session", "provider": "Hotjar", "category": "analytics",
            "purpose": "Heatmaps.", "duration": "30 minutes", "party": "third"}]
        after = cookie_consent.reload_registry()
    assert after.version != before.version
    changed = {c for c in before.digests if before.digests[c] != after.digests[c]}
    assert changed == {"analytics"}


@pytest.mark.backends("sqlite")
def test_a_malformed_registry_stops_the_app(app_config: dict[str, Any]) -> None:
    from demo.app import create_app
    from selfservice.cookies import CookieRegistryError

    for entry in ({"name": "x", "provider": "p", "purpose": "p", "duration": "d",
                   "category": "tracking"},
                  {"name": "x", "provider": "p", "category": "analytics"}):
        with pytest.raises(CookieRegistryError):
            create_app(dict(app_config, SELFSERVICE_COOKIES=[entry]))


def test_nothing_optional_is_set_before_a_decision(app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    page = visitor.get("/")
    assert 'id="ss-cookies"' in page.text
    assert visitor.cookie_names() <= NECESSARY
    # the console's HttpOnly analytics cookie was dropped on the server
    assert "_pk_ses.demo" not in page.headers.get("Set-Cookie", "")
    # non-essential scripts are shipped inert
    assert 'type="text/plain" data-ss-category="analytics"' in page.text
    assert 'type="text/plain" data-ss-category="marketing"' in page.text
    assert visitor.state()["decided"] is False


def test_accepting_lets_the_categorys_cookies_and_scripts_through(
        app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    response = visitor.put({"functional": False, "analytics": True, "marketing": False})
    assert response.status_code == 200, response.text
    assert response.json()["categories"] == {"necessary": True, "functional": False,
                                             "analytics": True, "marketing": False}
    page = visitor.get("/")
    assert 'id="ss-cookies"' not in page.text
    assert "_pk_ses.demo" in visitor.cookie_names()
    assert re.search(r'<script nonce="[^"]+" src="[^"]*demo-analytics.js">', page.text)
    assert 'data-ss-category="marketing"' in page.text


def test_a_refused_category_is_dropped_and_its_old_cookies_deleted(
        app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    assert visitor.put(NONE).status_code == 200
    # an analytics cookie left from before (set by a script, say)
    visitor.http.cookies.set("_pk_id.demo", "stale", domain="127.0.0.1", path="/")
    page = visitor.get("/")
    headers = page.raw.headers.getlist("Set-Cookie")
    assert any(h.startswith("_pk_id.demo=;") and "Max-Age=0" in h for h in headers)
    assert not any(h.startswith("_pk_ses.demo=1") for h in headers)


def test_unknown_cookies_are_blocked_unless_allowed(app: Flask) -> None:
    @app.get("/hosttest/mystery")
    def mystery() -> Any:
        from flask import make_response

        response = make_response("ok")
        response.set_cookie("mystery_tracker", "1", httponly=True)
        response.set_cookie("session_hint", "", max_age=0)  # a deletion always passes
        return response

    client = app.test_client()
    response = client.get("/hosttest/mystery")
    headers = response.headers.getlist("Set-Cookie")
    assert not any(h.startswith("mystery_tracker=") for h in headers)
    assert any(h.startswith("session_hint=;") for h in headers)
    app.config["SELFSERVICE_COOKIE_UNKNOWN"] = "allow"
    headers = client.get("/hosttest/mystery").headers.getlist("Set-Cookie")
    assert any(h.startswith("mystery_tracker=") for h in headers)


def test_the_consent_cookie_is_signed_and_lasts_12_or_6_months(
        app: Flask, live_server: LiveServer) -> None:
    accepting, refusing = Visitor(live_server), Visitor(live_server)
    yes = accepting.put({"functional": True, "analytics": False, "marketing": False})
    no = refusing.put(NONE)
    assert "Max-Age=31536000" in yes.headers["Set-Cookie"]   # 365 days
    assert "Max-Age=15724800" in no.headers["Set-Cookie"]    # 182 days
    assert "HttpOnly" in yes.headers["Set-Cookie"]
    # tampered: no decision at all
    value = accepting.http.cookies["selfservice_consent"]
    accepting.http.cookies.set("selfservice_consent", value[:-3] + "AAA", domain="127.0.0.1",
                               path="/")
    assert accepting.state()["decided"] is False
    assert 'id="ss-cookies"' in accepting.get("/").text


@pytest.mark.backends("sqlite")
def test_an_expired_decision_asks_again(app: Flask, live_server: LiveServer) -> None:
    from selfservice.services import cookie_consent

    visitor = Visitor(live_server)
    visitor.put(NONE)
    with app.app_context():
        decision = cookie_consent.decode(visitor.http.cookies["selfservice_consent"],
                                         app.secret_key)
        assert decision is not None
        old = cookie_consent.Decision(decision.consent_id, decision.version, {},
                                      time.time() - 183 * 86400)
        visitor.http.cookies.set("selfservice_consent",
                                 cookie_consent.encode(old, app.secret_key),
                                 domain="127.0.0.1", path="/")
    assert visitor.state()["decided"] is False


def test_the_api_refuses_bad_input_and_forged_requests(app: Flask,
                                                       live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    banner = visitor.banner()
    forged = visitor.http.put(live_server.url + API, timeout=10,
                              json={"policy_version": banner["version"], "categories": ALL})
    assert forged.status_code == 403
    for body, field in [
        ({"policy_version": "old", "categories": ALL}, "policy_version"),
        ({"policy_version": banner["version"], "categories": {"tracking": True}}, "categories"),
        ({"policy_version": banner["version"], "categories": {"analytics": "yes"}},
         "categories"),
        ({"policy_version": banner["version"], "categories": {"necessary": False}},
         "categories"),
        ({"policy_version": banner["version"], "categories": ALL, "method": "magic"}, "method"),
        ({"policy_version": banner["version"], "categories": ALL, "extra": 1}, "extra"),
    ]:
        response = visitor.http.put(live_server.url + API, json=body, timeout=10,
                                    headers={"X-CSRF-Token": banner["csrf_token"]})
        assert response.status_code == 422, (body, response.text)
        assert field in {e["field"] for e in response.json()["errors"]}
    assert records(app) == []
    assert visitor.state()["decided"] is False


@pytest.mark.backends("sqlite")
def test_the_csrf_check_comes_before_the_body_is_read(app: Flask,
                                                      live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        for kwargs in ({"json": {"categories": "all", "extra": 1}}, {"data": "not json"}):
            forged = visitor.http.put(live_server.url + API, timeout=10, headers=headers,
                                      **kwargs)
            assert forged.status_code == 403, (headers, kwargs, forged.text)
            assert forged.json()["type"].endswith("/csrf-failed")


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_CSRF_HEADER="X-Other-Token")
def test_the_banner_and_the_problem_type_name_the_configured_csrf_header(
        app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    banner = visitor.banner()
    assert 'data-csrf-header="X-Other-Token"' in banner["html"]
    body = {"policy_version": banner["version"], "categories": NONE, "method": "banner"}
    default = visitor.http.put(live_server.url + API, json=body, timeout=10,
                               headers={"X-CSRF-Token": banner["csrf_token"]})
    assert default.status_code == 403
    configured = visitor.http.put(live_server.url + API, json=body, timeout=10,
                                  headers={"X-Other-Token": banner["csrf_token"]})
    assert configured.status_code == 200, configured.text
    assert [r.method for r in records(app)] == ["banner"]
    described = requests.get(live_server.url + "/privacy/api/v1/problems/csrf-failed",
                             timeout=10).json()["description"]
    assert "X-Other-Token" in described and "X-CSRF-Token" not in described


def test_every_decision_is_recorded_with_proof_and_a_truncated_address(
        app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    visitor.http.headers["User-Agent"] = "TestBrowser/1.0"
    visitor.put(NONE, method="banner")
    visitor.put({"functional": False, "analytics": True, "marketing": False}, method="settings")
    consent_id = visitor.state()["consent_id"]
    first, second = records(app, consent_id)
    assert (first.method, first.categories["analytics"], second.method,
            second.categories["analytics"]) == ("banner", False, "settings", True)
    assert first.ip_network == "127.0.0.0" and first.user_agent == "TestBrowser/1.0"
    assert len(first.text_hash) == 64 and first.language == "en"
    assert second.prev_hash == first.hash
    with app.app_context():
        from selfservice.services import cookie_consent

        assert cookie_consent.verify(consent_id).valid
    # the visitor can download a signed receipt of the current choice
    document = visitor.http.get(live_server.url + API + "/receipt", timeout=10).json()
    keys = requests.get(live_server.url + "/privacy/api/v1/consent-receipts/jwks.json",
                        timeout=10).json()
    receipt = receipts.verify(document, keys)
    assert receipt["ledger"]["categories"]["analytics"] is True
    assert receipt["ledger"]["hash"] == second.hash


def test_ip_addresses_are_truncated_never_stored_whole() -> None:
    from selfservice.services.cookie_consent import truncate_ip

    assert truncate_ip("203.0.113.77") == "203.0.113.0"
    assert truncate_ip("2001:db8:85a3:8d3:1319:8a2e:370:7348") == "2001:db8:85a3::"
    assert truncate_ip("not an address") is None and truncate_ip(None) is None


def test_gpc_turns_marketing_off_and_an_opt_in_needs_confirming(
        app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server, gpc=True)
    page = visitor.get("/")
    assert re.search(r'<p class="ss-cb-gpc" id="ss-cb-gpc-notice">', page.text)
    assert visitor.state()["categories"]["marketing"] is False
    refused = visitor.put(ALL)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/gpc-confirmation-required")
    assert records(app) == []
    confirmed = visitor.put(ALL, confirm_gpc_override=True)
    assert confirmed.status_code == 200 and confirmed.json()["categories"]["marketing"] is True
    [entry] = records(app)
    assert entry.gpc is True and entry.gpc_override is True
    # without JavaScript: the form post gets a confirmation page
    plain = Visitor(live_server, gpc=True)
    banner = plain.banner()
    response = plain.http.post(live_server.url + "/privacy/cookie-consent", timeout=10, data={
        "csrf_token": banner["csrf_token"], "choice": "accept_all", "next": "/"})
    assert response.status_code == 409 and 'id="gpc-confirm"' in response.text
    kept_off = plain.http.post(live_server.url + "/privacy/cookie-consent", timeout=10, data={
        "csrf_token": banner["csrf_token"], "choice": "gpc_no", "functional": "on",
        "analytics": "on", "marketing": "on", "next": "/"})
    assert kept_off.status_code == 200
    assert plain.state()["categories"] == {"necessary": True, "functional": True,
                                           "analytics": True, "marketing": False}


def test_gpc_withdraws_an_earlier_marketing_consent_once(app: Flask,
                                                        live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    visitor.put(ALL)
    visitor.http.headers["Sec-GPC"] = "1"
    visitor.get("/")
    visitor.get("/privacy/cookies")
    consent_id = visitor.state()["consent_id"]
    methods = [(r.method, r.categories["marketing"]) for r in records(app, consent_id)]
    assert methods == [("api", True), ("gpc", False)]


def test_a_policy_change_asks_again_only_those_it_affects(app: Flask,
                                                         live_server: LiveServer) -> None:
    from selfservice.services import cookie_consent

    accepted, refused = Visitor(live_server), Visitor(live_server)
    accepted.put({"functional": False, "analytics": True, "marketing": False})
    refused.put(NONE)
    app.config["SELFSERVICE_COOKIES"] = [*app.config["SELFSERVICE_COOKIES"], {
        "name": "hj_session", "provider": "Hotjar", "category": "analytics",
        "purpose": "Heatmaps.", "duration": "30 minutes", "party": "third"}]
    with app.app_context():
        cookie_consent.reload_registry()
    state = accepted.state()
    assert state["decided"] is False and state["reask"] == ["analytics"]
    assert state["changes"] == {"analytics": {"added": ["hj_session"], "removed": [],
                                              "changed": []}}
    assert state["categories"]["analytics"] is False  # not until asked again
    page = accepted.get("/")
    assert "Our cookies changed since you chose" in page.text and "hj_session" in page.text
    assert refused.state()["decided"] is True
    assert 'id="ss-cookies"' not in refused.get("/").text


def test_the_banner_speaks_german_and_records_what_was_shown(app: Flask,
                                                            live_server: LiveServer) -> None:
    german = Visitor(live_server, lang="de-DE,de;q=0.9,en;q=0.5")
    page = german.get("/")
    assert "Alle ablehnen" in page.text and "Alle akzeptieren" in page.text
    german.put(NONE, language="de")
    english = Visitor(live_server)
    english.put(NONE)
    de, en = records(app)
    assert (de.language, en.language) == ("de", "en")
    assert de.text_hash != en.text_hash


def test_a_signed_in_choice_follows_the_account(app: Flask, make_person: Any,
                                                live_server: LiveServer) -> None:
    laptop: Person = make_person()
    # anonymous first, then signs in: the history becomes the account's
    page = laptop.get("/")
    token = csrf_token(page.text)
    version = re.search(r'data-version="([^"]+)"', page.text)[1]
    laptop.http.put(live_server.url + API, timeout=10, headers={"X-CSRF-Token": token},
                    json={"policy_version": version, "categories": {"analytics": True}})
    consent_id = laptop.http.get(live_server.url + API, timeout=10).json()["consent_id"]
    laptop.login("alice@example.com")
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        assert session.get(CookieConsentLink, (consent_id, "acct-alice")) is not None
    # a new device: signing in brings the decision along
    phone: Person = make_person()
    phone.login("alice@example.com")
    state = phone.http.get(live_server.url + API, timeout=10).json()
    assert state["decided"] is True and state["categories"]["analytics"] is True
    assert "selfservice_consent" in {c.name for c in phone.http.cookies}


def test_records_are_deleted_with_the_account_and_after_retention(
        app: Flask, live_server: LiveServer, make_person: Any) -> None:
    from selfservice.services import cookie_consent

    person: Person = make_person()
    person.login("alice@example.com")
    decide_as(person, NONE)
    stranger = Visitor(live_server)
    stranger.put(NONE)
    assert len(records(app)) == 2
    with app.app_context():
        assert cookie_consent.forget_account("acct-alice") == 1
    [left] = records(app)
    assert left.account_id is None
    with app.app_context():
        assert cookie_consent.sweep(utcnow()) == 0
        assert cookie_consent.sweep(utcnow() + timedelta(days=1096)) == 1
    assert records(app) == []


def test_gpc_is_declared(app: Flask, live_server: LiveServer) -> None:
    response = requests.get(live_server.url + "/.well-known/gpc.json", timeout=10)
    assert response.status_code == 200
    assert response.json()["gpc"] is True


def test_the_settings_page_and_footer_link_work_without_javascript(
        app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    home = visitor.get("/")
    assert 'id="cookie-settings-link"' in home.text
    settings = visitor.get("/privacy/cookies")
    assert settings.status_code == 200 and 'id="ss-cookies"' not in settings.text
    token = csrf_token(settings.text)
    saved = visitor.http.post(live_server.url + "/privacy/cookie-consent", timeout=10, data={
        "csrf_token": token, "choice": "save", "source": "settings", "functional": "on",
        "next": "/privacy/cookies"})
    assert saved.status_code == 200 and saved.url.endswith("/privacy/cookies")
    assert visitor.state()["categories"]["functional"] is True
    assert records(app)[-1].method == "settings"
    # withdrawing is as easy: one button
    visitor.http.post(live_server.url + "/privacy/cookie-consent", timeout=10, data={
        "csrf_token": token, "choice": "reject_all", "source": "settings",
        "next": "/privacy/cookies"})
    assert visitor.state()["categories"]["functional"] is False
    # a post without its token saves nothing
    forged = visitor.http.post(live_server.url + "/privacy/cookie-consent", timeout=10,
                               data={"choice": "accept_all"})
    assert forged.status_code == 400
    assert visitor.state()["categories"]["functional"] is False


def test_the_retention_sweep_is_asked_for_once_a_day_and_runs(app: Flask,
                                                              live_server: LiveServer) -> None:
    from selfservice.models import BackgroundJob
    from selfservice.services import cookie_consent, outbox

    with app.app_context():
        daily = app.extensions["selfservice"].jobs.daily
        assert outbox.schedule_daily() == len(daily) >= 2  # the cookie and export sweeps
        assert outbox.schedule_daily() == 0  # the same day: nothing new
        app.extensions["selfservice"].daily_done.clear()  # another worker process
        assert outbox.schedule_daily() == 0
        outbox.work(burst=True)
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        [job] = session.scalars(sa.select(BackgroundJob).where(
            BackgroundJob.kind == cookie_consent.SWEEP_JOB))
        assert job.status == "succeeded" and job.result == {"deleted": 0}


def test_a_page_shown_before_a_policy_change_records_nothing(app: Flask,
                                                            live_server: LiveServer) -> None:
    from selfservice.services import cookie_consent

    visitor = Visitor(live_server)
    banner = visitor.banner()
    app.config["SELFSERVICE_COOKIES"] = [*app.config["SELFSERVICE_COOKIES"], {
        "name": "hj_session", "provider": "Hotjar", "category": "analytics",
        "purpose": "Heatmaps.", "duration": "30 minutes", "party": "third"}]
    with app.app_context():
        cookie_consent.reload_registry()
    response = visitor.http.post(live_server.url + "/privacy/cookie-consent", timeout=10, data={
        "csrf_token": banner["csrf_token"], "policy_version": banner["version"],
        "choice": "accept_all", "next": "/"})
    assert response.status_code == 409 and "changed while this page was open" in response.text
    assert records(app) == []


def test_customise_without_javascript_returns_to_the_page(app: Flask,
                                                         live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    banner = visitor.banner("/?from=x")
    customise = visitor.http.post(live_server.url + "/privacy/cookie-consent", timeout=10,
                                  data={"csrf_token": banner["csrf_token"],
                                        "choice": "customise", "next": "/console"},
                                  allow_redirects=False)
    assert customise.status_code == 303
    settings = visitor.http.get(live_server.url + customise.headers["Location"], timeout=10)
    assert 'id="cookies-back" href="/console"' in settings.text or \
        'href="/console" id="cookies-back"' in settings.text


def test_enforcement_holds_whatever_order_the_hosts_hooks_run_in(app: Flask) -> None:
    from flask import make_response

    @app.before_request
    def maintenance() -> Any:
        from flask import request

        if request.path == "/hosttest/maintenance":
            response = make_response("down for maintenance", 503)
            response.set_cookie("_gcl_au", "early")
            return response
        return None

    @app.get("/hosttest/plain")
    def plain() -> Any:
        return "ok"

    # registered after the plugin: Flask runs it before the plugin's filter
    @app.after_request
    def late_tracker(response: Any) -> Any:
        response.set_cookie("_gcl_au", "late")
        return response

    client = app.test_client()
    for path in ("/hosttest/maintenance", "/hosttest/plain"):
        headers = client.get(path).headers.getlist("Set-Cookie")
        assert not any(h.startswith("_gcl_au=") for h in headers), (path, headers)


def test_only_a_real_deletion_passes_as_one() -> None:
    from selfservice.blueprints.cookie_enforcement import _is_deletion

    assert _is_deletion("_pk_id.demo=; Max-Age=0; Path=/")
    assert _is_deletion("_pk_id.demo=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/")
    assert not _is_deletion("_pk_id.demo=uid123max-age=0; Max-Age=34128000; Path=/")
    assert not _is_deletion("_pk_id.demo=1; Path=/max-age=0")
    assert not _is_deletion("_pk_id.demo=1; Max-Age=0; Max-Age=31536000")
    assert not _is_deletion("_pk_id.demo=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT")


def test_a_shared_browser_never_mixes_two_peoples_records(
        app: Flask, live_server: LiveServer, make_person: Any) -> None:
    from selfservice.services import cookie_consent

    browser: Person = make_person()
    browser.login("alice@example.com")
    decide_as(browser, ALL)
    alice_id = browser.http.get(live_server.url + API, timeout=10).json()["consent_id"]
    browser.http.post(live_server.url + "/auth/logout", timeout=10, data={
        "csrf_token": csrf_token(browser.get("/privacy/cookies").text)})
    # Bob on the same browser (signed out at the identity provider too): Alice's choice
    # is not his
    for name in ("_session", "_session.sig", "_interaction", "_interaction.sig"):
        browser.http.cookies.pop(name, None)
    browser.login("bob@example.com")
    assert browser.me()["account_id"] == "acct-bob"
    state = browser.http.get(live_server.url + API, timeout=10).json()
    assert state["decided"] is False and state["consent_id"] is None
    assert alice_id not in browser.get("/privacy/cookies").text
    decide_as(browser, NONE)
    bob_id = browser.http.get(live_server.url + API, timeout=10).json()["consent_id"]
    assert bob_id != alice_id
    with app.app_context():
        alice = cookie_consent.latest_for_account("acct-alice")
        assert alice is not None and alice.accepted  # still hers: accepted
        assert cookie_consent.forget_account("acct-bob") == 1
        assert len(cookie_consent.history(alice_id)) == 1


def test_a_withdrawal_reaches_the_accounts_other_devices(
        app: Flask, live_server: LiveServer, make_person: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from selfservice.blueprints import cookie_state

    monkeypatch.setattr(cookie_state, "ACCOUNT_CHECK_EVERY", 0.0)
    laptop: Person = make_person()
    phone: Person = make_person()
    for device, categories in ((laptop, ALL), (phone, NONE)):
        device.login("alice@example.com")
        assert decide_as(device, categories).status_code == 200
    state = laptop.http.get(live_server.url + API, timeout=10).json()
    assert state["categories"]["marketing"] is False  # the phone's later withdrawal


def test_a_client_that_keeps_no_cookies_gets_the_newer_choice_without_a_new_session(
        app: Flask, live_server: LiveServer, make_person: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The look for a choice the account made on another device: once per interval while the
    client's consent cookie holds the account's latest choice, on every request while it is
    behind; timed in the web process, so a client that sends the same cookies every time (a
    script with a saved session) is never sent a new session cookie for it."""
    from selfservice.blueprints import cookie_state

    monkeypatch.setattr(cookie_state, "ACCOUNT_CHECK_EVERY", 3600.0)
    laptop: Person = make_person()
    phone: Person = make_person()
    laptop.login("alice@example.com")
    assert decide_as(laptop, ALL).status_code == 200
    saved = {c.name: c.value for c in laptop.http.cookies}
    phone.login("alice@example.com")
    assert decide_as(phone, NONE).status_code == 200

    def call(cookies: dict[str, str]) -> tuple[bool, list[str]]:
        answer = requests.get(live_server.url + API, cookies=cookies, timeout=10)
        return answer.json()["categories"]["marketing"], answer.raw.headers.getlist(
            "Set-Cookie")

    # the laptop's session looked less than an interval ago, its cookie up to date then
    assert call(saved) == (True, [])
    app.extensions["selfservice"].cookie_account_checks.clear()  # the interval has passed
    for _ in range(2):  # behind the phone's withdrawal: looked up on every request
        marketing, set_cookies = call(saved)
        assert marketing is False
        assert [h.split("=", 1)[0] for h in set_cookies] == ["selfservice_consent"]
    saved["selfservice_consent"] = set_cookies[0].split(";", 1)[0].split("=", 1)[1]
    assert call(saved) == (False, [])  # caught up: the next look is an interval away
    assert decide_as(phone, ALL).status_code == 200
    assert call(saved) == (False, [])
    app.extensions["selfservice"].cookie_account_checks.clear()
    assert call(saved)[0] is True


def test_cookie_api_rejects_non_string_language(app: Flask, live_server: LiveServer) -> None:
    visitor = Visitor(live_server)
    response = visitor.put(NONE, language=["de"])
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"language"}


def test_reordering_or_removing_cookies_asks_no_one_again(app: Flask,
                                                          live_server: LiveServer) -> None:
    from selfservice.services import cookie_consent

    visitor = Visitor(live_server)
    visitor.put(ALL)
    entries = list(app.config["SELFSERVICE_COOKIES"])
    app.config["SELFSERVICE_COOKIES"] = list(reversed(entries))
    with app.app_context():
        cookie_consent.reload_registry()
    assert visitor.state()["decided"] is True
    app.config["SELFSERVICE_COOKIES"] = [e for e in entries if e["name"] != "li_fat_id"]
    with app.app_context():
        cookie_consent.reload_registry()
    state = visitor.state()
    assert state["decided"] is True and state["categories"]["marketing"] is True
