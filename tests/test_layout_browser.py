"""Every plugin page in Chromium, from one table (PAGES): at 320, 390 and 1280 CSS px wide, in
the light and the dark theme, as the demo account the page is for.

- No sideways scrolling: the document is never wider than the screen (WCAG 2.2 1.4.10 Reflow,
  which axe-core does not test).
- Targets (WCAG 2.2 2.5.8, AA): every visible button and form control is at least 24 x 24 CSS
  px, with no exception. A link or a disclosure's summary is too, or passes the spacing
  exception (a 24 px circle centred on it overlaps no other target, nor another small target's
  circle); links inside a sentence are exempt (the inline exception).
- No serious or critical axe-core violation (at 390 px, in each theme), and no
  Content-Security-Policy violation: axe runs through the DevTools protocol, so the demo's
  strict policy stays on.

Also: a host's theme (its own --ss-* variables) colours the plugin's buttons; a request is
cancelled by keyboard only, after a confirmation that says what will happen.

``SCREENSHOTS=folder`` (``make screenshots``) photographs every page at 320 and 1280 px in the
light theme and at 390 px in the dark one, and checks and photographs every page once more in
German (Accept-Language: de) at 320 and 1280 px; index.html there shows them grouped by page.
Adding a page is one line in PAGES.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from devtools.services import OidcProvider, RedisServer
from selfservice.models import PrivacyRequest

from .conftest import base_config, build_app, drop_app
from .helpers import LiveServer, Person
from .test_cookie_browser import AXE, CSP_WATCH

#: one pytest-xdist worker runs the whole module: it signs every account in once
pytestmark = pytest.mark.xdist_group("layout")

API = "/privacy/api/v1"
WIDTHS = (320, 390, 1280)
SCHEMES = ("light", "dark")
#: axe-core runs at this width in each theme (its rules do not depend on the width)
AXE_WIDTH = 390
#: (theme, width) of the screenshots ``make screenshots`` takes
SHOTS_AT = (("light", 320), ("light", 1280), ("dark", 390))
#: ... and of the German variants the screenshot run adds
GERMAN_SHOTS_AT = (("light", 320), ("light", 1280))
SHOTS = os.environ.get("SCREENSHOTS")
#: LAYOUT_REPORT=file: every page's document width at every width and theme, one line each
REPORT = os.environ.get("LAYOUT_REPORT")


@dataclass(frozen=True)
class Page:
    """One page to check: where it is (``{name}`` parts come from the site's facts), who looks
    at it (a demo login's first word, or None for a visitor who has not chosen cookies yet),
    the status it answers with, a step to take once it is open (see STEPS), and the language
    the browser asks for (Accept-Language)."""

    name: str
    path: str
    who: str | None
    status: int = 200
    then: str | None = None
    lang: str | None = None


PAGES = (
    Page("index", "/privacy/", "alice"),
    Page("index-de", "/privacy/", "alice", lang="de"),
    Page("index-owner", "/privacy/", "bob"),
    Page("index-owner-de", "/privacy/", "bob", lang="de"),
    Page("index-member", "/privacy/", "carol"),
    Page("data", "/privacy/data", "alice"),
    Page("data-de", "/privacy/data", "alice", lang="de"),
    Page("preferences", "/privacy/preferences", "alice"),
    Page("training-opt-in", "/privacy/preferences/training", "alice"),
    Page("organisation-owner", "/privacy/organisation", "bob"),
    Page("organisation-member", "/privacy/organisation", "carol"),
    Page("requests", "/privacy/requests", "alice"),
    Page("request", "/privacy/requests/{correction}", "alice"),
    Page("request-cancel", "/privacy/requests/{correction}/cancel", "alice"),
    Page("request-denied", "/privacy/requests/{denied}", "alice"),
    Page("export", "/privacy/requests/{export}", "alice"),
    Page("rights-export-closed", "/privacy/rights/export", "alice"),
    Page("rights-portability", "/privacy/rights/portability", "carol"),
    Page("rights-correction-open", "/privacy/rights/correction", "alice"),
    Page("rights-correction-kept", "/privacy/rights/correction", "alice", 409,
         then="send-while-open"),
    Page("rights-restriction", "/privacy/rights/restriction", "alice"),
    Page("rights-objection", "/privacy/rights/objection", "bob"),
    Page("rights-automated-decision-review", "/privacy/rights/automated-decision-review",
         "alice"),
    Page("rights-limit-sensitive-data", "/privacy/rights/limit-sensitive-data", "alice"),
    Page("rights-opt-out-of-sale", "/privacy/rights/opt-out-of-sale", "alice"),
    Page("rights-appeal", "/privacy/rights/appeal", "alice"),
    Page("rights-appeal-none", "/privacy/rights/appeal", "bob"),
    Page("deletion-start", "/privacy/delete", "alice"),
    Page("deletion-plan", "/privacy/delete/{deletion}", "alice"),
    Page("deletion-scheduled", "/privacy/delete/scheduled", "maya"),
    Page("dpa-owner", "/privacy/dpa", "bob"),
    Page("dpa-member", "/privacy/dpa", "carol"),
    Page("dpa-no-organisation", "/privacy/dpa", "alice"),
    Page("dpa-sign", "/privacy/dpa/sign", "bob"),
    Page("dpa-changes", "/privacy/dpa/changes", "bob"),
    Page("dpa-changes-open", "/privacy/dpa/changes", "fatima"),
    Page("dpa-request", "/privacy/requests/{dpa_request}", "fatima"),
    Page("subprocessors", "/privacy/subprocessors", None),
    Page("subprocessors-owner", "/privacy/subprocessors", "bob"),
    Page("subprocessor-objection", "/privacy/subprocessors/changes/{change}/objection", "bob"),
    Page("cookie-settings", "/privacy/cookies", "alice"),
    Page("cookie-policy", "/privacy/cookie-policy", None),
    Page("banner", "/", None),
    Page("banner-customise", "/", None, then="customise"),
    Page("banner-rejected", "/", None, then="reject"),
    Page("support-queue", "/privacy/support", "sam"),
    Page("support-request", "/privacy/support/requests/{correction_ref}", "sam"),
    Page("support-request-officer", "/privacy/support/requests/{correction_ref}", "pat"),
    Page("decide", "/privacy/support/requests/{objection_ref}/decide", "pat"),
    Page("metrics", "/privacy/support/metrics", "pat"),
    Page("legal-holds", "/privacy/support/legal-holds", "pat"),
    Page("subprocessor-objections", "/privacy/support/subprocessor-objections", "pat"),
    Page("support-dpa", "/privacy/support/dpa", "pat"),
    Page("support-request-dpa", "/privacy/support/requests/{dpa_ref}", "pat"),
    Page("error-403", "/privacy/support/legal-holds", "sam", 403),
    Page("error-404", "/privacy/requests/no-such-request", "alice", 404),
    Page("error-404-elsewhere", "/no-such-page", "alice", 404),
    Page("error-410", "/privacy/requests/{expired}/download", "bob", 410),
    Page("error-429", "/privacy/requests?type=objection", "carol", 429, then="ask-twice"),
    Page("error-500", "/hosttest/boom", "alice", 500),
    Page("sign-in", "/auth/login?next=/privacy/", None),
)


def _in_german(pages: tuple[Page, ...]) -> tuple[Page, ...]:
    """Every page of the table asked for in German, unless the table has it already."""
    names = {page.name for page in pages}
    return tuple(replace(page, name=f"{page.name}-de", lang="de") for page in pages
                 if not page.lang and f"{page.name}-de" not in names)


#: the pages checked: with SCREENSHOTS, each in German as well (the normal run stays as fast)
CHECKED = (PAGES + _in_german(PAGES)) if SHOTS else PAGES


def _shots_at(spec: Page) -> tuple[tuple[str, int], ...]:
    return SHOTS_AT if spec in PAGES else GERMAN_SHOTS_AT

#: the visible controls, what is on screen of them, and whether they are links in a sentence
MEASURE = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
      const r = e.getBoundingClientRect(); return r.width && r.right > width + 0.5; })
    .slice(0, 6).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ` +
                         `${Math.round(e.getBoundingClientRect().right)}`);
  const block = e => { let b = e.parentElement;
    while (b && getComputedStyle(b).display.startsWith('inline')) b = b.parentElement;
    return b; };
  const words = s => (s.match(/[\\p{L}\\p{N}]/gu) || []).length;
  const inSentence = e => { if (e.tagName !== 'A') return false; const b = block(e);
    let outside = b.textContent;
    for (const a of b.querySelectorAll('a')) outside = outside.replace(a.textContent, '');
    return words(outside) > 0; };
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, ' +
                   '[tabindex]:not([tabindex="-1"])';
  const targets = [...document.querySelectorAll(selector)].map(e => {
      const r = e.getBoundingClientRect();
      return {e, r, label: `${e.tagName.toLowerCase()}#${e.id} "${
        (e.textContent || e.value || e.name || '').trim().slice(0, 40)}"`}; })
    .filter(t => t.r.width > 0 && t.r.height > 0 && t.r.right > 0 && t.r.left < width
                 && getComputedStyle(t.e).visibility !== 'hidden');
  const small = targets.filter(t => (t.r.width < 24 || t.r.height < 24) && !inSentence(t.e));
  const centre = r => [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
  const touches = ([x, y], r) => { const dx = Math.max(r.left - x, 0, x - r.right),
      dy = Math.max(r.top - y, 0, y - r.bottom); return dx * dx + dy * dy < 144; };
  const link = e => e.tagName === 'A' || e.tagName === 'SUMMARY';
  const crowded = small.filter(t => { const c = centre(t.r);
    return !link(t.e) || targets.some(o => o !== t && !o.e.contains(t.e) && !t.e.contains(o.e)
                             && touches(c, o.r))
        || small.some(o => o !== t && Math.hypot(c[0] - centre(o.r)[0],
                                                 c[1] - centre(o.r)[1]) < 24); });
  return {scroll: root.scrollWidth, width, wide,
          small: crowded.map(t => `${t.label} ${Math.round(t.r.width)}x${
                                   Math.round(t.r.height)}`)};
}"""

AXE_RUN = """async () => { const r = await axe.run();
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`); }"""


# -- the site: one demo console, one signed-in browser context per account --------------------

@dataclass
class Site:
    app: Flask
    url: str
    browser: Any
    oidc: OidcProvider
    #: ids and references the page paths name
    facts: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, Any] = field(default_factory=dict)

    def new_context(self) -> Any:
        context = self.browser.new_context(viewport={"width": AXE_WIDTH, "height": 800})
        context.set_default_timeout(15000)
        context.add_init_script(CSP_WATCH)
        return context

    def context(self, who: str) -> Any:
        """The account's context, signed in once, the cookie banner answered."""
        if who not in self.contexts:
            context = self.new_context()
            page = context.new_page()
            page.goto(self.url + "/auth/login?next=/privacy/")
            page.locator("input[name=login]").fill(self.emails[who])
            page.locator("input[name=password]").fill("any")
            page.locator("button[type=submit]").click()
            page.wait_for_url(self.url + "/privacy/**")
            page.get_by_role("button", name="Reject all").click()
            page.locator("#ss-cookies").wait_for(state="hidden")
            page.close()
            self.contexts[who] = context
        return self.contexts[who]


def _person(site: Site, who: str) -> Person:
    person = Person(site.url, site.oidc.issuer)
    person.login(site.emails[who])
    return person


def _set_up(site: Site) -> None:
    """What the pages show: an export ready and one expired, open requests, a denied one, a
    deletion started and one scheduled, a legal hold, a request for changes to the DPA (Globex
    Research's) and a negotiated DPA (Acme AI's)."""
    from selfservice.services import deletion, dpa_negotiated, outbox

    from .dpa_pdfs import plain_pdf

    app = site.app
    with app.extensions["selfservice"].db.engine.begin() as connection:
        maya = connection.execute(sa.text(
            "SELECT id, email FROM accounts WHERE name LIKE 'Maya%'")).one()
        # nothing stops her deletion: her invoices paid, her GPU instances stopped
        connection.execute(sa.text("UPDATE invoices SET status = 'paid' WHERE account_id = :a"),
                           {"a": maya.id})
        connection.execute(sa.text("UPDATE gpu_instances SET terminated_at = created_at "
                                   "WHERE account_id = :a AND terminated_at IS NULL"),
                           {"a": maya.id})
    site.emails.update({n: f"{n}@example.com" for n in ("alice", "bob", "carol", "sam", "pat")},
                       maya=maya.email, fatima="fatima.haddad@example.net")
    alice, bob, pat = (_person(site, who) for who in ("alice", "bob", "pat"))
    export = alice.ask("export", details={"formats": ["jsonl", "csv"]})
    expired = bob.ask("export")
    with app.app_context():
        outbox.work(burst=True)
    correction = alice.ask("correction", details={"description": "My billing name is wrong"})
    objection = alice.ask("objection", jurisdiction="us_state", details={"state": "CO"})
    restriction = alice.ask("restriction", jurisdiction="us_state", details={"state": "CO"})
    denied = pat.api("POST", f"{API}/support/requests/{restriction['reference']}/decision",
                     json={"outcome": "denied", "reason_code": "identity_not_verified",
                           "message": "The name you gave does not match our records."})
    assert denied.status_code == 200, denied.text
    changes = _person(site, "fatima").ask("dpa", details={
        "changes": "Clause 9 (audits): once a year, on 30 days' notice, at our cost."})
    with app.app_context():
        officer = app.extensions["selfservice"].extension.load_identity("acct-pat")
        dpa_negotiated.upload(officer, "org-acme", plain_pdf(), "Acme AI DPA, negotiated "
                              "November 2026", "2026-11-20")
    held = pat.api("POST", API + "/legal-holds", json={
        "account_id": "acct-carol", "reason": "Case 2026-114: a regulator's inquiry",
        "review_at": (datetime.now(UTC) + timedelta(days=90)).isoformat()})
    assert held.status_code == 201, held.text
    with app.extensions["selfservice"].db.transaction() as session:
        session.get(PrivacyRequest, expired["id"]).expires_at = (  # type: ignore[union-attr]
            datetime.now(UTC) - timedelta(days=1))
    with app.app_context():
        who = app.extensions["selfservice"].extension.load_identity
        started, _ = deletion.start(who("acct-alice"))
        scheduled, _ = deletion.start(who(maya.id))
        deletion.confirm(who(maya.id), scheduled.id, maya.email)
    site.facts.update(change=app.config["SELFSERVICE_SUBPROCESSOR_CHANGES"][0]["id"],
                      export=export["id"], expired=expired["id"], correction=correction["id"],
                      correction_ref=correction["reference"], objection=objection["id"],
                      objection_ref=objection["reference"], denied=restriction["id"],
                      deletion=started.id, dpa_request=changes["id"],
                      dpa_ref=changes["reference"])


@pytest.fixture(scope="module")
def site(redis_server: RedisServer, oidc: OidcProvider, live_server: LiveServer,
         smtp_server: MailCapture, receipt_key: str, dpa_signing_pem: str, browser: Any,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    assert AXE.is_file(), "run `make install` to install axe-core"
    folder = tmp_path_factory.mktemp("layout")
    config = base_config(f"sqlite:///{folder / 'console.sqlite3'}", redis_server, oidc,
                         live_server, smtp_server, receipt_key, dpa_signing_pem)
    config["SELFSERVICE_EXPORT_DIR"] = str(folder / "exports")
    # a sign-in stays fresh for the whole module (the deletion plan asks for a fresh one)
    config.update(SELFSERVICE_REAUTH_MAX_AGE=3600, PROPAGATE_EXCEPTIONS=False,
                  SELFSERVICE_RATE_LIMIT_REQUESTS="100/hour")
    app = build_app(config, str(folder / "instance"))
    live_server.app = app
    site = Site(app, live_server.url, browser, oidc)
    _set_up(site)
    yield site
    if SHOTS:
        _contact_sheet(Path(SHOTS))
    for context in site.contexts.values():
        context.close()
    live_server.app = None
    drop_app(app, redis_server)


def _shot(spec: Page, scheme: str, width: int) -> str:
    return f"{spec.name}-{width}{'-dark' if scheme == 'dark' else ''}.png"


def _contact_sheet(folder: Path) -> None:
    """index.html beside the screenshots: every page, in English then in German, its widths and
    themes side by side."""
    groups: dict[str, list[Page]] = {}
    for spec in CHECKED:
        groups.setdefault(spec.name.removesuffix("-de"), []).append(spec)
    sections = []
    for name, specs in groups.items():
        rows = []
        for spec in specs:
            cells = "".join(
                f'<figure><a href="{shot}"><img src="{shot}" alt="{shot}" loading="lazy"></a>'
                f"<figcaption>{width} px{' dark' if scheme == 'dark' else ''}</figcaption>"
                "</figure>"
                for scheme, width in _shots_at(spec)
                if (folder / (shot := _shot(spec, scheme, width))).is_file())
            language = "Deutsch" if spec.lang == "de" else "English"
            rows.append(f"<h3>{language} <small>{spec.name}</small></h3><div>{cells}</div>")
        spec = specs[0]
        sections.append(f'<section id="{name}"><h2>{name} <small>{html.escape(spec.path)} as '
                        f"{spec.who or 'a visitor'}</small></h2>{''.join(rows)}</section>")
    contents = " · ".join(f'<a href="#{name}">{name}</a>' for name in groups)
    (folder / "index.html").write_text(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Screenshots</title><style>"
        "body{font:14px system-ui;margin:1rem}div{display:flex;gap:1rem;align-items:flex-start}"
        "figure{margin:0}img{width:240px;max-height:1400px;object-fit:cover;"
        "object-position:top;border:1px solid #888}figure:nth-child(2) img{width:480px}"
        "section{border-top:2px solid #888;margin-top:2rem}</style>"
        "<h1>Every plugin page: 320 px, 1280 px, 390 px dark; in German 320 and 1280 px</h1>"
        "<p>Each image is cut at 1400 px in this sheet: click it for the whole page.</p>"
        f"<nav>{contents}</nav>" + "".join(sections), encoding="utf-8")


# -- steps a page takes once it is open -------------------------------------------------------

def _customise(site: Site, page: Any) -> None:
    page.locator("#ss-cookies button[value=customise]").click()
    page.locator("#ss-cb-choices").wait_for()


def _reject(site: Site, page: Any) -> None:
    page.locator("#ss-cookies button[value=reject_all]").click()
    page.locator("#ss-cookies").wait_for(state="hidden")
    page.locator("#ss-cb-status").wait_for()


def _ask_twice(site: Site, page: Any) -> Any:
    """The second request within the limit's window is refused with the 429 page."""
    limit = site.app.config["SELFSERVICE_RATE_LIMIT_REQUESTS"]
    site.app.config["SELFSERVICE_RATE_LIMIT_REQUESTS"] = "1/hour"
    try:
        with page.expect_navigation() as first:
            page.locator("#send-request").click()
        if "asked-twice" in site.facts:  # again, in German: the English run's two count
            return first.value
        assert first.value.status == 200 and "/privacy/requests/" in page.url, page.url
        site.facts["asked-twice"] = "yes"
        page.goto(page.url.split("/privacy/")[0] + "/privacy/requests?type=objection")
        with page.expect_navigation() as navigation:
            page.locator("#send-request").click()
        return navigation.value
    finally:
        site.app.config["SELFSERVICE_RATE_LIMIT_REQUESTS"] = limit


def _send_while_open(site: Site, page: Any) -> Any:
    """A correction sent while one is open: the page comes back with what was typed."""
    page.locator("#wrong").fill("My postal address")
    page.locator("#should_be").fill("7 Park Lane, York")
    with page.expect_navigation() as navigation:
        page.locator("#send-request").click()
    return navigation.value


STEPS = {"customise": _customise, "reject": _reject, "ask-twice": _ask_twice,
         "send-while-open": _send_while_open}


def _open(site: Site, spec: Page) -> tuple[Any, Any]:
    context = site.context(spec.who) if spec.who else site.new_context()
    page = context.new_page()
    if spec.lang:
        page.set_extra_http_headers({"Accept-Language": spec.lang})
    response = page.goto(site.url + spec.path.format(**site.facts))
    if spec.then:
        response = STEPS[spec.then](site, page) or response
    assert response.status == spec.status, (spec.name, response.status, page.url)
    page.wait_for_load_state()
    return context, page


def _axe(page: Any) -> list[str]:
    # through the DevTools protocol: the page's Content-Security-Policy stays in force
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(AXE_RUN)  # type: ignore[no-any-return]


def _check(page: Any, spec: Page) -> list[str]:
    """What is wrong with the open page, at every width in every theme."""
    problems: list[str] = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            found = page.evaluate(MEASURE)
            where = f"{scheme} {width}px"
            if REPORT:
                with open(REPORT, "a", encoding="utf-8") as out:
                    out.write(f"{spec.name} {scheme} {width} {found['scroll']} "
                              f"{len(found['small'])}\n")
            if found["scroll"] > found["width"]:
                problems.append(f"{where}: {found['scroll']} px wide: {found['wide']}")
            problems.extend(f"{where}: small target {t}" for t in found["small"])
            if width == AXE_WIDTH:
                problems.extend(f"{where}: axe {v}" for v in _axe(page))
            if SHOTS and (scheme, width) in _shots_at(spec):
                page.screenshot(path=str(Path(SHOTS) / _shot(spec, scheme, width)),
                                full_page=True)
    problems.extend(f"CSP: {v}" for v in page.evaluate("window.__csp"))
    return problems


@pytest.mark.parametrize("spec", CHECKED, ids=[p.name for p in CHECKED])
def test_the_page_fits_every_screen_has_big_targets_and_passes_axe(site: Site,
                                                                   spec: Page) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
    context, page = _open(site, spec)
    try:
        assert _check(page, spec) == []
    finally:
        page.close()
        if not spec.who:
            context.close()


# -- a host's theme, and a cancel by keyboard -------------------------------------------------

#: what a host's layout looks like: the plugin's stylesheet, then the host's own
HOST_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="{{ url_for('selfservice.static', filename='selfservice.css') }}">
<link rel="stylesheet" href="/host-theme.css"></head>
<body><main id="main">{% block content %}{% endblock %}</main></body></html>"""
HOST_THEME = ":root { --ss-primary: #6f42c1; --ss-primary-hover: #4c2889; --ss-on-primary: #fff; }"


def _background(page: Any, selector: str) -> str:
    return page.locator(selector).first.evaluate(  # type: ignore[no-any-return]
        "e => getComputedStyle(e).backgroundColor")


def test_a_hosts_theme_colours_the_plugins_buttons(site: Site, live_server: LiveServer,
                                                   tmp_path: Path) -> None:
    from flask import Response
    from jinja2 import ChoiceLoader, DictLoader

    from demo.app import create_app
    from selfservice import migrate

    # the demo console themes the plugin with EcoHash's green, the banner too, light and dark
    context = site.new_context()
    page = context.new_page()
    page.goto(site.url + "/")
    assert _background(page, "#ss-cookies .ss-cb-btn") == "rgb(11, 110, 79)"
    page.goto(site.url + "/privacy/cookies")
    assert _background(page, "#cookies-save") == "rgb(11, 110, 79)"
    page.emulate_media(color_scheme="dark")
    assert _background(page, "#cookies-save") == "rgb(63, 185, 138)"
    context.close()

    # another host: its layout loads a stylesheet of its own that sets --ss-primary
    config = {**site.app.config, "DEMO_DATABASE_URL": f"sqlite:///{tmp_path / 'host.sqlite3'}",
              "SELFSERVICE_ENGINE": None, "SELFSERVICE_BASE_TEMPLATE": "host/layout.html",
              "SELFSERVICE_CONTENT_SECURITY_POLICY": site.app.config[
                  "SELFSERVICE_CONTENT_SECURITY_POLICY"]}
    host = create_app({k: v for k, v in config.items() if k.startswith(("SELFSERVICE_", "DEMO_"))
                       or k in ("SECRET_KEY", "TESTING")}, instance_path=str(tmp_path / "host"))
    host.jinja_env.loader = ChoiceLoader([DictLoader({"host/layout.html": HOST_LAYOUT}),
                                          host.jinja_env.loader])  # type: ignore[list-item]
    host.add_url_rule("/host-theme.css", "host_theme",
                      lambda: Response(HOST_THEME, mimetype="text/css"))
    with host.app_context():
        migrate.upgrade()
    live_server.app = host
    try:
        context = site.new_context()
        page = context.new_page()
        page.goto(site.url + "/privacy/cookies")
        assert _background(page, "#cookies-save") == "rgb(111, 66, 193)"
        # the same page without the host's stylesheet: the plugin's own blue
        page.route("**/host-theme.css", lambda route: route.abort())
        page.reload()
        assert _background(page, "#cookies-save") == "rgb(9, 105, 218)"
        context.close()
    finally:
        live_server.app = site.app
        host.extensions["selfservice"].db.engine.dispose()


def _tab_to(page: Any, element_id: str, most: int = 80) -> None:
    """Press Tab until ``element_id`` has the focus, and shows it."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            assert page.evaluate("document.activeElement.matches(':focus-visible')")
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_a_request_is_cancelled_by_keyboard_after_a_confirmation(site: Site) -> None:
    alice = _person(site, "alice")
    created = alice.ask("automated_decision_review")
    page = site.context("alice").new_page()
    page.goto(f"{site.url}/privacy/requests/{created['id']}")
    assert page.locator("#request-status").inner_text() == "Received"
    # the first step only asks: "No, keep it" changes nothing
    _tab_to(page, "request-cancel")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/privacy/requests/{created['id']}/cancel")
    assert page.get_by_role("heading", name="Cancel this request?").is_visible()
    assert "We stop working on it" in page.locator("#cancel-consequence").inner_text()
    _tab_to(page, "keep-request")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/privacy/requests/{created['id']}")
    assert page.locator("#request-status").inner_text() == "Received"
    # then for real
    _tab_to(page, "request-cancel")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/privacy/requests/{created['id']}/cancel")
    _tab_to(page, "confirm-cancel")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/privacy/requests/{created['id']}")
    said = page.get_by_role("status").filter(has_text="You cancelled this request")
    said.wait_for()
    assert page.locator(".ss-flash").count() == 1  # one message, saying what changed
    assert page.locator("#request-status").inner_text() == "Cancelled"
    assert page.locator("#request-cancel").count() == 0
    assert alice.api("GET", f"{API}/requests/{created['id']}", csrf=False).json()[
        "status"] == "canceled"
    page.close()
