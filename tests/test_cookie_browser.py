"""The cookie consent manager in a real browser (Debian Chromium driven by Playwright): what a
visitor sees, which cookies and scripts run before and after choosing, by mouse, by keyboard,
without JavaScript, under Global Privacy Control and a strict Content-Security-Policy."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .helpers import LiveServer

ESSENTIAL = {"session", "selfservice_consent"}
AXE = Path(__file__).resolve().parent.parent / "devtools/browser/node_modules/axe-core/axe.min.js"
CSP_WATCH = ("window.__csp = [];"
             "document.addEventListener('securitypolicyviolation',"
             " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
SAVED = "Your cookie choices are saved."


@pytest.fixture
def contexts(browser: Any) -> Iterator[Callable[..., Any]]:
    """Fresh browser contexts (one per visitor), closed after the test."""
    opened: list[Any] = []

    def new_context(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(5000)
        opened.append(context)
        return context

    yield new_context
    for context in opened:
        context.close()


def visit(context: Any, url: str) -> Any:
    page = context.new_page()
    page.goto(url)
    return page


def non_essential(context: Any) -> set[str]:
    return {c["name"] for c in context.cookies()} - ESSENTIAL


def gated_scripts_ran(page: Any) -> dict[str, bool]:
    return page.evaluate("""() => ({
        analytics: document.documentElement.getAttribute('data-demo-analytics') === 'on',
        marketing: document.documentElement.getAttribute('data-demo-marketing') === 'on'})""")


def banner(page: Any) -> Any:
    return page.locator("#ss-cookies")


def button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def active(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => { const a = document.activeElement;
        return {id: a.id, text: a.textContent.trim(), tag: a.tagName.toLowerCase(),
                focusVisible: a.matches(':focus-visible')}; }""")


def wait_saved(page: Any) -> None:
    # wait_for_function takes functions only: a string would be eval()ed, which the CSP forbids
    page.wait_for_function("saved => document.getElementById('ss-cb-status').textContent "
                           "=== saved", arg=SAVED)
    assert not banner(page).is_visible()
    assert page.locator("#ss-cb-status").is_visible()  # where the banner was, it says so


def consent_api(page: Any, live_server: LiveServer) -> dict[str, Any]:
    response = page.request.get(live_server.url + "/privacy/api/v1/cookie-consent")
    assert response.ok
    return response.json()  # type: ignore[no-any-return]


def records(app: Flask, consent_id: str) -> list[Any]:
    from selfservice.services import cookie_consent

    with app.app_context():
        return cookie_consent.history(consent_id)


# -- first visit, reject, accept, customise ---------------------------------------------------

@pytest.mark.backends("sqlite")
def test_first_visit_shows_the_banner_and_sets_no_optional_cookie_or_script(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = context.new_page()
    response = page.goto(live_server.url + "/")
    assert response.ok
    assert banner(page).is_visible()
    assert banner(page).get_attribute("role") == "dialog"
    page.wait_for_function("() => document.activeElement.id === 'ss-cb-title'")
    # the heading has the focus for screen readers only: no ring that looks like a text field
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "none"
    # three equal-weight choices: same size, same colours, same type
    looks = [button(page, name).evaluate("""b => { const s = getComputedStyle(b),
        r = b.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height),
        s.backgroundColor, s.color, s.fontWeight, s.fontSize, s.borderColor]; }""")
             for name in ("Accept all", "Reject all", "Customise")]
    assert looks[0] == looks[1] == looks[2]
    assert not page.locator("#ss-cb-choices").is_visible()
    assert not page.locator("#ss-cb-gpc-notice").is_visible()
    assert "_pk_ses.demo" not in (response.headers.get("set-cookie") or "")
    page.wait_for_load_state("networkidle")
    assert non_essential(context) == set()
    assert gated_scripts_ran(page) == {"analytics": False, "marketing": False}
    # the gated scripts are in the page, inert, and were never fetched
    assert page.locator('script[type="text/plain"][data-ss-category]').count() == 2
    assert page.evaluate("performance.getEntriesByType('resource')"
                         ".filter(r => r.name.includes('/static/js/demo-')).length") == 0


@pytest.mark.backends("sqlite")
def test_reject_all_keeps_optional_cookies_and_scripts_off_across_pages(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = visit(context, live_server.url + "/")
    button(page, "Reject all").click()
    wait_saved(page)
    for path in ("/", "/privacy/cookie-policy", "/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert not banner(page).is_visible(), path
        assert gated_scripts_ran(page) == {"analytics": False, "marketing": False}, path
        assert non_essential(context) == set(), path
    assert consent_api(page, live_server)["decided"] is True


@pytest.mark.backends("sqlite")
def test_accept_all_runs_the_gated_scripts_in_place_without_a_reload(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = visit(context, live_server.url + "/")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.__marker = 1")
    button(page, "Accept all").click()
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on][data-demo-marketing=on]",
                           state="attached")
    assert page.evaluate("window.__marker") == 1  # the same document: no reload
    assert navigations == []
    assert page.locator('script[type="text/plain"][data-ss-category]').count() == 0
    assert {"_pk_id.demo", "_gcl_au"} <= non_essential(context)
    # the server-side analytics cookie comes with the next page, HttpOnly
    assert "_pk_ses.demo" not in non_essential(context)
    page.reload()
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["_pk_ses.demo"]["httpOnly"] is True
    assert cookies["selfservice_consent"]["httpOnly"] is True
    assert not banner(page).is_visible()
    page.wait_for_selector("html[data-demo-analytics=on][data-demo-marketing=on]",
                           state="attached")


@pytest.mark.backends("sqlite")
def test_only_the_servers_own_inert_scripts_are_activated(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    # an HTML injection elsewhere on the page must not become script execution on consent
    page = visit(contexts(), live_server.url + "/")
    page.evaluate("""() => { const s = document.createElement('script');
        s.type = 'text/plain'; s.setAttribute('data-ss-category', 'analytics');
        s.setAttribute('data-src', 'data:text/javascript,window.__pwned=1');
        document.body.appendChild(s); }""")
    button(page, "Accept all").click()
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on]", state="attached")
    assert page.evaluate("window.__pwned") is None


@pytest.mark.backends("sqlite")
def test_customising_one_category_runs_only_that_category(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = visit(context, live_server.url + "/")
    button(page, "Customise").click()
    choices = page.locator("#ss-cb-choices")
    assert choices.is_visible()
    assert button(page, "Customise").get_attribute("aria-expanded") == "true"
    assert page.locator("#ss-cb-necessary").is_checked()
    assert page.locator("#ss-cb-necessary").is_disabled()
    page.get_by_label("Analytics").check()
    button(page, "Save my choices").click()
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on]", state="attached")
    page.wait_for_load_state("networkidle")
    assert gated_scripts_ran(page) == {"analytics": True, "marketing": False}
    assert page.locator('script[type="text/plain"][data-ss-category=marketing]').count() == 1
    assert "_pk_id.demo" in non_essential(context)
    assert "_gcl_au" not in non_essential(context)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert gated_scripts_ran(page) == {"analytics": True, "marketing": False}
    assert non_essential(context) == {"_pk_id.demo", "_pk_ses.demo"}
    assert consent_api(page, live_server)["categories"] == {
        "necessary": True, "functional": False, "analytics": True, "marketing": False}


# -- keyboard ---------------------------------------------------------------------------------

@pytest.mark.backends("sqlite")
def test_a_keyboard_only_visitor_customises_and_saves(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = visit(context, live_server.url + "/")
    page.wait_for_function("() => document.activeElement.id === 'ss-cb-title'")
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(active(page))
    # the three first-layer choices, one after the other, in the banner's order
    assert [a["text"] for a in order] == ["Accept all", "Reject all", "Customise"]
    assert all(a["focusVisible"] for a in order)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    page.keyboard.press("Enter")
    assert page.locator("#ss-cb-choices").is_visible()
    assert active(page)["id"] == "ss-cb-functional"  # focus moved into the choices
    page.keyboard.press("Escape")
    assert not page.locator("#ss-cb-choices").is_visible()
    assert active(page)["text"] == "Customise"
    assert button(page, "Customise").get_attribute("aria-expanded") == "false"

    page.keyboard.press("Enter")
    assert active(page)["id"] == "ss-cb-functional"
    page.keyboard.press("Tab")
    assert active(page)["id"] == "ss-cb-analytics"
    assert active(page)["focusVisible"]
    page.keyboard.press("Space")
    assert page.locator("#ss-cb-analytics").is_checked()
    for _ in range(4):
        if active(page)["text"] == "Save my choices":
            break
        page.keyboard.press("Tab")
    assert active(page)["text"] == "Save my choices"
    page.keyboard.press("Enter")
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on]", state="attached")
    assert gated_scripts_ran(page) == {"analytics": True, "marketing": False}
    # focus is not lost on the hidden banner
    assert page.evaluate("document.activeElement.closest('#ss-cookies') === null")


@pytest.mark.backends("sqlite")
def test_enter_on_a_category_checkbox_never_accepts_all(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = visit(context, live_server.url + "/")
    button(page, "Customise").click()
    page.locator("#ss-cb-analytics").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.wait_for_load_state("networkidle")
    state = consent_api(page, live_server)
    assert state["categories"]["marketing"] is False
    assert state["categories"]["functional"] is False
    assert gated_scripts_ran(page)["marketing"] is False


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720},
                                      {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_the_banner_never_hides_the_element_that_has_keyboard_focus(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object,
        viewport: dict[str, int]) -> None:
    page = visit(contexts(viewport=viewport), live_server.url + "/")
    hidden = []
    for _ in range(40):
        page.keyboard.press("Tab")
        where = page.evaluate("""() => { const a = document.activeElement;
            if (a === document.body || a.closest('#ss-cookies')) return [a.tagName, false];
            const r = a.getBoundingClientRect(),
              points = [[r.left + 3, r.top + 3], [r.right - 3, r.top + 3],
                        [r.left + 3, r.bottom - 3], [r.right - 3, r.bottom - 3],
                        [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
            return [a.textContent.trim(), points.every(([x, y]) =>
              document.elementFromPoint(x, y)?.closest('#ss-cookies') != null)]; }""")
        if where[1]:
            hidden.append(where[0])
        if where[0] == "BODY":
            break
    assert hidden == []


@pytest.mark.backends("sqlite")
def test_a_german_banner_is_marked_as_german(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    page = visit(contexts(locale="de-DE"), live_server.url + "/")
    assert page.locator("#ss-cb-title").inner_text() == "Cookies in dieser Konsole"
    langs = page.evaluate("""() => ['ss-cookies', 'ss-cb-status'].map(id =>
        document.getElementById(id).closest('[lang]').lang)""")
    assert langs == ["de", "de"]


# -- Global Privacy Control -------------------------------------------------------------------

@pytest.mark.backends("sqlite")
def test_gpc_keeps_marketing_off_and_asks_before_accept_all_turns_it_on(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    # "No": marketing stays off, the rest is accepted
    context = contexts(extra_http_headers={"Sec-GPC": "1"})
    page = visit(context, live_server.url + "/")
    assert page.locator("#ss-cb-gpc-notice").is_visible()
    assert "Global Privacy Control" in page.locator("#ss-cb-gpc-notice").inner_text()
    button(page, "Accept all").click()
    confirm = page.locator("#ss-cb-confirm")
    confirm.wait_for()
    assert "Turn marketing cookies on anyway?" in confirm.inner_text()
    assert active(page)["text"] == "Yes, turn marketing on"
    button(page, "No, keep it off").click()
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on]", state="attached")
    page.wait_for_load_state("networkidle")
    assert gated_scripts_ran(page) == {"analytics": True, "marketing": False}
    assert "_gcl_au" not in non_essential(context)
    state = consent_api(page, live_server)
    assert state["gpc"] is True
    assert state["categories"]["marketing"] is False
    assert state["categories"]["analytics"] is True
    (only,) = records(app, state["consent_id"])
    assert only.gpc is True and only.gpc_override is False
    assert only.categories["marketing"] is False

    # another visitor says "Yes": marketing on, recorded as an override of the signal
    context = contexts(extra_http_headers={"Sec-GPC": "1"})
    page = visit(context, live_server.url + "/")
    button(page, "Accept all").click()
    page.locator("#ss-cb-confirm").wait_for()
    button(page, "Yes, turn marketing on").click()
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on][data-demo-marketing=on]",
                           state="attached")
    assert "_gcl_au" in non_essential(context)
    state = consent_api(page, live_server)
    assert state["categories"]["marketing"] is True
    (only,) = records(app, state["consent_id"])
    assert only.method == "banner"
    assert only.gpc is True and only.gpc_override is True
    assert only.categories["marketing"] is True
    # and it holds on the next page, the signal still being sent
    page.reload()
    assert not banner(page).is_visible()
    page.wait_for_selector("html[data-demo-marketing=on]", state="attached")
    assert len(records(app, state["consent_id"])) == 1  # no GPC withdrawal recorded


# -- policy change ----------------------------------------------------------------------------

@pytest.mark.backends("sqlite")
def test_a_policy_change_asks_again_only_those_who_accepted_the_changed_category(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    from selfservice.services import cookie_consent

    accepted = contexts()
    page_a = visit(accepted, live_server.url + "/")
    button(page_a, "Customise").click()
    page_a.get_by_label("Analytics").check()
    button(page_a, "Save my choices").click()
    wait_saved(page_a)
    rejected = contexts()
    page_b = visit(rejected, live_server.url + "/")
    button(page_b, "Reject all").click()
    wait_saved(page_b)

    original = copy.deepcopy(app.config["SELFSERVICE_COOKIES"])
    app.config["SELFSERVICE_COOKIES"] = [*original, {
        "name": "_pk_ref.*", "provider": "Matomo (self-hosted)", "category": "analytics",
        "purpose": "Remembers which site referred the visitor.", "duration": "6 months"}]
    try:
        with app.app_context():
            cookie_consent.reload_registry()
        page_a.goto(live_server.url + "/")
        assert banner(page_a).is_visible()
        changed = page_a.locator(".ss-cb-changed")
        assert changed.inner_text().startswith("Our cookies changed since you chose")
        changes = page_a.locator(".ss-cb-changes li")
        assert changes.count() == 1
        assert re.search(r"Analytics.*added: _pk_ref\.\*", changes.inner_text())
        page_a.wait_for_load_state("networkidle")
        # until asked again, analytics is off for A
        assert gated_scripts_ran(page_a)["analytics"] is False
        assert non_essential(accepted) == set()
        assert consent_api(page_a, live_server)["reask"] == ["analytics"]

        page_b.goto(live_server.url + "/")
        assert not banner(page_b).is_visible()
        assert consent_api(page_b, live_server)["decided"] is True
    finally:
        app.config["SELFSERVICE_COOKIES"] = original
        with app.app_context():
            cookie_consent.reload_registry()


# -- Content-Security-Policy ------------------------------------------------------------------

@pytest.mark.backends("sqlite")
def test_the_consent_flows_cause_no_content_security_policy_violation(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    context.add_init_script(CSP_WATCH)
    console: list[str] = []
    violations: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))

    def collect() -> None:
        page.wait_for_load_state("networkidle")
        violations.extend(f"{page.url}: {v}" for v in page.evaluate("window.__csp"))

    response = page.goto(live_server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "'nonce-" in policy and "'strict-dynamic'" in policy
    button(page, "Accept all").click()
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on][data-demo-marketing=on]",
                           state="attached")
    collect()
    for path in ("/privacy/cookies", "/privacy/cookie-policy", "/"):
        response = page.goto(live_server.url + path)
        assert "'unsafe-inline'" not in response.headers["content-security-policy"], path
        collect()
    page.wait_for_selector("html[data-demo-analytics=on][data-demo-marketing=on]",
                           state="attached")
    assert violations == []
    assert [m for m in console if "Content Security Policy" in m or "pageerror" in m] == []
    # the watch works: an inline style attribute is a violation under this policy
    page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("() => window.__csp.length > 0")


# -- accessibility ----------------------------------------------------------------------------

def axe_serious(page: Any, inside: str | None = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page; with ``inside``, also check
    that axe did look at that element (a scan of nothing passes too)."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => { const r = await axe.run();
        return {passed: r.passes.flatMap(p => p.nodes.map(n => n.target.join(' '))),
                violations: r.violations.map(v => ({
                    id: v.id, impact: v.impact, nodes: v.nodes.length,
                    targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))}; }""")
    if inside is not None:
        inspected = page.evaluate("""([inside, targets]) => targets.some(t => {
            try { return document.querySelector(t)?.closest(inside) != null; }
            catch (e) { return false; } })""", [inside, result["passed"]])
        assert inspected, f"axe inspected nothing inside {inside} on {page.url}"
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.backends("sqlite")
def test_axe_finds_no_serious_violation_on_the_banner_settings_and_policy(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    assert AXE.is_file(), (f"{AXE} is missing: run `make install` (or `npm ci --prefix "
                           "devtools/browser`) to install axe-core")
    context = contexts(bypass_csp=True)  # axe is injected as an inline script
    found: dict[str, list[dict[str, Any]]] = {}
    page = visit(context, live_server.url + "/")
    assert banner(page).is_visible()
    found["banner"] = axe_serious(page, "#ss-cookies")
    button(page, "Customise").click()
    found["banner, customising"] = axe_serious(page, "#ss-cb-choices")
    for path in ("/privacy/cookies", "/privacy/cookie-policy"):
        page = visit(context, live_server.url + path)
        found[path] = axe_serious(page, "main")
    # the Global Privacy Control notice and confirmation
    page = visit(contexts(bypass_csp=True, extra_http_headers={"Sec-GPC": "1"}),
                 live_server.url + "/")
    button(page, "Accept all").click()
    page.locator("#ss-cb-confirm").wait_for()
    found["banner, GPC confirmation"] = axe_serious(page, "#ss-cb-confirm")
    assert {where: v for where, v in found.items() if v} == {}


# -- server records ---------------------------------------------------------------------------

def test_the_server_records_match_what_the_browser_did(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = visit(context, live_server.url + "/")
    button(page, "Reject all").click()
    wait_saved(page)
    page.get_by_role("link", name="Cookie settings").click()
    page.wait_for_url(live_server.url + "/privacy/cookies*")
    page.locator("#cat-analytics").check()
    page.locator("#cookies-save").click()
    page.get_by_role("status").filter(has_text=SAVED).wait_for()
    assert page.url.startswith(live_server.url + "/privacy/cookies")
    assert page.locator("#cat-analytics").is_checked()
    assert page.locator("#cookies-back").get_attribute("href") == "/"
    assert page.locator("section[aria-labelledby=ss-cookie-history] tbody tr").count() == 2

    consent_id = consent_api(page, live_server)["consent_id"]
    assert page.locator(".ss-flash").count() == 1  # said once
    assert SAVED not in page.locator("#cookie-state").inner_text()
    # the consent id is the proof: one click away, under "Verify"
    assert consent_id and consent_id not in page.locator("main").inner_text()
    page.locator("#cookie-verify summary").click()
    assert consent_id in page.locator("#cookie-verify").inner_text()
    first, second = records(app, consent_id)
    assert second.seq == first.seq + 1
    assert first.method == "banner"
    assert first.categories == {"necessary": True, "functional": False, "analytics": False,
                                "marketing": False}
    assert second.method == "settings"
    assert second.categories == {"necessary": True, "functional": False, "analytics": True,
                                 "marketing": False}
    assert second.prev_hash == first.hash
    for record in (first, second):
        assert record.ip_network == "127.0.0.0"
        assert "Chrome" in record.user_agent
        assert re.fullmatch(r"[0-9a-f]{64}", record.text_hash)
        assert record.gpc is False and record.gpc_override is False
        assert record.language == "en"
        assert record.account_id is None


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_CSRF_HEADER="X-Other-Token")
def test_the_banner_sends_the_csrf_header_the_host_configured(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    page = visit(contexts(), live_server.url + "/")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    with page.expect_response(lambda r: r.request.method == "PUT"
                              and r.url.endswith("/cookie-consent")) as put:
        button(page, "Reject all").click()
    assert put.value.status == 200  # the API call, not the form post it falls back to
    assert put.value.request.headers.get("x-other-token")
    wait_saved(page)
    assert navigations == []
    consent_id = consent_api(page, live_server)["consent_id"]
    [record] = records(app, consent_id)
    assert record.method == "banner" and record.categories["functional"] is False


# -- tampering --------------------------------------------------------------------------------

@pytest.mark.backends("sqlite")
def test_a_tampered_consent_cookie_counts_as_no_decision(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts()
    page = visit(context, live_server.url + "/")
    button(page, "Accept all").click()
    wait_saved(page)
    page.wait_for_selector("html[data-demo-analytics=on]", state="attached")
    (cookie,) = [c for c in context.cookies() if c["name"] == "selfservice_consent"]
    payload, signature = cookie["value"].rsplit(".", 1)
    at = len(payload) // 2
    flipped = "A" if payload[at] != "A" else "B"
    context.add_cookies([{**cookie, "value": f"{payload[:at]}{flipped}{payload[at + 1:]}."
                                             f"{signature}"}])
    page.reload()
    page.wait_for_load_state("networkidle")
    assert banner(page).is_visible()
    assert gated_scripts_ran(page) == {"analytics": False, "marketing": False}
    # the optional cookies the scripts had set are deleted by the server
    assert non_essential(context) == set()
    assert consent_api(page, live_server)["decided"] is False


# -- without JavaScript -----------------------------------------------------------------------

@pytest.mark.backends("sqlite")
def test_without_javascript_the_banner_posts_and_customise_opens_the_settings(
        app: Flask, live_server: LiveServer, contexts: Any, oidc: object) -> None:
    context = contexts(java_script_enabled=False)
    page = visit(context, live_server.url + "/")
    assert banner(page).is_visible()
    with page.expect_navigation():
        button(page, "Reject all").click()
    assert page.url == live_server.url + "/"
    assert not banner(page).is_visible()
    assert page.locator("#ss-cb-status").inner_text() == SAVED  # not gone without a word
    assert non_essential(context) == set()

    context = contexts(java_script_enabled=False)
    page = visit(context, live_server.url + "/")
    with page.expect_navigation():
        button(page, "Customise").click()
    assert page.url.startswith(live_server.url + "/privacy/cookies")
    assert page.get_by_role("heading", name="Cookie settings").is_visible()
    page.locator("#cat-analytics").check()
    with page.expect_navigation():
        page.locator("#cookies-save").click()
    assert page.locator("#cat-analytics").is_checked()
    assert page.get_by_role("status").filter(has_text=SAVED).is_visible()
    page.goto(live_server.url + "/")
    assert not banner(page).is_visible()
    # the analytics script is now a real script (it would run with JavaScript on); marketing
    # stays inert; the server-side analytics cookie is allowed
    assert page.locator('script[src$="/static/js/demo-analytics.js"]:not([type])').count() == 1
    assert page.locator('script[type="text/plain"][data-ss-category=marketing]').count() == 1
    assert non_essential(context) == {"_pk_ses.demo"}
