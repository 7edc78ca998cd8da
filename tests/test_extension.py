"""The extension: registration, settings, mount points, templates inside the host layout."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string

from selfservice import ConfigError, DataSource, Identity, SelfService, Subject


def make_host(**config: Any) -> Flask:
    app = Flask("host")
    app.config.update({"SECRET_KEY": "k" * 32, "SELFSERVICE_DATABASE_URL": "sqlite://", **config})
    return app


def loader(account_id: str) -> Identity:
    return Identity(account_id, f"{account_id}@example.com", account_id)


def test_double_registration_is_refused() -> None:
    app = make_host()
    ss = SelfService(app, identity_loader=loader)
    with pytest.raises(RuntimeError, match="already registered"):
        ss.init_app(app)
    with pytest.raises(RuntimeError, match="already registered"):
        SelfService(app)


def test_app_factory_form_keeps_no_app_reference() -> None:
    ss = SelfService(identity_loader=loader)
    first, second = make_host(), make_host(SELFSERVICE_URL_PREFIX="/data-rights")
    ss.init_app(first)
    ss.init_app(second)
    assert not hasattr(ss, "app")
    assert first.extensions["selfservice"].extension is ss
    assert {r.rule for r in second.url_map.iter_rules()} >= {"/data-rights/"}


@pytest.mark.parametrize(("key", "message"), [
    ("SELFSERVICE_REAUTH_MAXAGE", "Did you mean SELFSERVICE_REAUTH_MAX_AGE"),
    ("SELFSERVICE_URL_PREFX", "Did you mean SELFSERVICE_URL_PREFIX"),
    ("SELFSERVICE_NOTHING_LIKE_IT", "Unknown setting"),
])
def test_a_misspelt_setting_is_an_error(key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SelfService(make_host(**{key: 1}), identity_loader=loader)


@pytest.mark.parametrize(("key", "value"), [
    ("SELFSERVICE_REAUTH_MAX_AGE", 0),
    ("SELFSERVICE_REAUTH_MAX_AGE", "300"),
    ("SELFSERVICE_JOB_MAX_ATTEMPTS", True),
    ("SELFSERVICE_URL_PREFIX", "privacy"),
    ("SELFSERVICE_API_URL_PREFIX", "/privacy/api/"),
    ("SELFSERVICE_SERVICE_TOKENS", {"pipeline": "short"}),
    ("SELFSERVICE_JOB_STALE_AFTER", 20),  # under three heartbeats of 10 s
    ("SELFSERVICE_RATE_LIMIT_REQUESTS", "ten an hour"),
    ("SELFSERVICE_RATE_LIMIT_SIGN_IN", "0/minute"),
    ("SELFSERVICE_RATE_LIMIT_COOKIE_CONSENT", 60),
    ("SELFSERVICE_EXPORT_SCHEMA_CHECK", "loud"),
])
def test_a_bad_setting_value_is_an_error(key: str, value: Any) -> None:
    with pytest.raises(ConfigError):
        SelfService(make_host(**{key: value}), identity_loader=loader)


def test_a_secret_key_is_required() -> None:
    app = Flask("host")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        SelfService(app, identity_loader=loader)


def test_defaults_are_applied_and_documented() -> None:
    from selfservice.config import DESCRIPTIONS

    app = make_host()
    SelfService(app, identity_loader=loader)
    assert app.config["SELFSERVICE_REAUTH_MAX_AGE"] == 300
    assert app.config["SELFSERVICE_API_URL_PREFIX"] == "/privacy/api/v1"
    assert all(text.strip() for text in DESCRIPTIONS.values())


def test_blueprints_mount_at_the_configured_prefixes() -> None:
    app = make_host(SELFSERVICE_URL_PREFIX="/settings/privacy",
                    SELFSERVICE_API_URL_PREFIX="/api/privacy",
                    SELFSERVICE_AUTH_URL_PREFIX="/sso")
    SelfService(app, identity_loader=loader)
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert {"/settings/privacy/", "/api/privacy/me", "/api/privacy/openapi.json",
            "/sso/login", "/sso/callback", "/sso/reauth", "/sso/logout"} <= rules


def test_the_host_can_mount_the_blueprints_itself() -> None:
    app = make_host(SELFSERVICE_REGISTER_BLUEPRINTS=False)
    ss = SelfService(app, identity_loader=loader)
    assert not any(r.rule.startswith("/privacy") for r in app.url_map.iter_rules())
    for blueprint, prefix in ss.blueprints(app):
        app.register_blueprint(blueprint, url_prefix="/account" + prefix)
    assert "/account/privacy/api/v1/me" in {r.rule for r in app.url_map.iter_rules()}


def test_without_sso_the_host_needs_its_own_login_manager() -> None:
    with pytest.raises(RuntimeError, match="LoginManager"):
        SelfService(make_host(SELFSERVICE_SSO_ENABLED=False), identity_loader=loader)


def test_a_host_with_its_own_login_keeps_it_and_gets_the_step_up(tmp_path: Any) -> None:
    """A host that logs users in itself records the authentication; the guards still work,
    and its own logout ends the session on the server too."""
    import time

    from flask_login import LoginManager, UserMixin, login_user, logout_user

    from selfservice import migrate, record_authentication
    from selfservice.blueprints.guards import fresh_login_required

    app = make_host(SELFSERVICE_SSO_ENABLED=False, SELFSERVICE_REAUTH_ENDPOINT="host_reauth",
                    SELFSERVICE_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    manager = LoginManager(app)
    manager.login_view = "host_login"

    class HostUser(UserMixin):
        def __init__(self, id: str) -> None:
            self.id = id

    manager.user_loader(HostUser)
    SelfService(app, identity_loader=loader)

    @app.get("/host-login", endpoint="host_login")
    def host_login() -> str:
        login_user(HostUser("acct-h"))
        record_authentication("acct-h", auth_time=time.time() - 3600)  # an hour ago
        return "in"

    @app.get("/host-login-unrecorded")
    def host_login_unrecorded() -> str:
        login_user(HostUser("acct-h"))
        return "in"

    @app.get("/host-login-remembered")
    def host_login_remembered() -> str:
        login_user(HostUser("acct-h"), remember=True)
        record_authentication("acct-h")
        return "in"

    @app.get("/host-logout")
    def host_logout() -> str:
        logout_user()
        return "out"

    @app.get("/host-reauth", endpoint="host_reauth")
    def host_reauth() -> str:
        record_authentication("acct-h")
        return "fresh"

    @app.get("/dangerous")
    @fresh_login_required()
    def dangerous() -> str:
        return "done"

    with app.app_context():
        migrate.upgrade()
    client = app.test_client()
    client.get("/host-login")
    stale = client.get("/dangerous")
    assert stale.status_code == 302 and stale.location.startswith("/host-reauth?next=")
    client.get("/host-reauth")
    assert client.get("/dangerous").text == "done"
    assert client.get("/privacy/api/v1/me").json["account_id"] == "acct-h"

    saved = client.get_cookie("session")
    assert saved is not None
    client.get("/host-logout")
    thief = app.test_client()
    thief.set_cookie("session", saved.value)
    assert thief.get("/privacy/api/v1/me").status_code == 401
    assert thief.get("/dangerous").location.startswith("/host-login?next=")

    # a login that does not record the authentication opens no session: signed out
    client.get("/host-login-unrecorded")
    assert client.get("/privacy/api/v1/me").status_code == 401

    # nor does a login Flask-Login restores from its "remember me" cookie
    client.get("/host-login-remembered")
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    assert client.get("/privacy/api/v1/me").status_code == 200
    browser_restarted = app.test_client()
    browser_restarted.set_cookie("remember_token", remembered.value)
    refused = browser_restarted.get("/privacy/api/v1/me")
    assert refused.status_code == 401
    assert browser_restarted.get_cookie("remember_token") is None


def test_plugin_pages_render_inside_the_host_layout(tmp_path: Any) -> None:
    templates = tmp_path / "templates"
    (templates / "selfservice").mkdir(parents=True)
    (templates / "host.html").write_text(
        "<html><body><nav>HOST NAV</nav>{% block content %}{% endblock %}</body></html>")
    (templates / "selfservice" / "auth_error.html").write_text(
        "{% extends 'selfservice/layout.html' %}{% block content %}OVERRIDDEN {{ message }}"
        "{% endblock %}")
    app = Flask("host", template_folder=str(templates))
    app.config.update(SECRET_KEY="k" * 32, SELFSERVICE_DATABASE_URL="sqlite://",
                      SELFSERVICE_BASE_TEMPLATE="host.html")
    SelfService(app, identity_loader=loader)
    with app.test_request_context():
        html = render_template_string("{% extends 'selfservice/layout.html' %}"
                                      "{% block content %}plugin page{% endblock %}")
        assert "HOST NAV" in html and "plugin page" in html
    response = app.test_client().get("/auth/callback?state=unknown")
    assert response.status_code == 400
    assert "HOST NAV" in response.text and "OVERRIDDEN" in response.text


def _source(**overrides: Any) -> DataSource:
    attrs: dict[str, Any] = dict(
        name="widgets", description="Widgets", purpose="Provide widgets",
        legal_basis="contract", retention="Life of the account",
        schema={"type": "object", "properties": {"id": {"type": "string"}}},
        export=lambda subject: iter(()))
    attrs.update(overrides)
    return DataSource(**attrs)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": "Bad Name"}, "must match"),
    ({"name": "../etc"}, "must match"),
    ({"legal_basis": "because"}, "legal_basis"),
    ({"purpose": " "}, "purpose is required"),
    ({"schema": {"type": "array"}}, "object schema"),
])
def test_a_bad_source_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _source(**overrides)


def test_source_registry_keeps_order_refuses_duplicates_and_knows_flat_sources() -> None:
    ss = SelfService()
    ss.register_source(_source())

    @ss.source(name="nested", description="Nested", purpose="p", legal_basis="consent",
               retention="r", schema={"type": "object", "properties": {
                   "tags": {"type": "array"}}})
    def nested(subject: Subject) -> Any:
        yield {"tags": [subject.account_id]}

    assert [s.name for s in ss.sources] == ["widgets", "nested"]
    assert ss.sources["widgets"].is_flat and not ss.sources["nested"].is_flat
    assert list(ss.sources["nested"].export(Subject("acct-1"))) == [{"tags": ["acct-1"]}]
    with pytest.raises(ValueError, match="already registered"):
        ss.register_source(_source())


@pytest.mark.backends("sqlite")
def test_the_openapi_document_describes_every_api_route(app: Flask, client: Any) -> None:
    import re

    prefix = "/privacy/api/v1"
    document = client.get(prefix + "/openapi.json").json
    described = {(path, method.upper()) for path, ops in document["paths"].items()
                 for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("selfservice_api.") and rule.endpoint not in (
                "selfservice_api.problem_type", "selfservice_api.unrouted"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(prefix):])
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == described


@pytest.mark.backends("sqlite")
def test_the_demo_trusts_only_verified_email_addresses(app: Flask) -> None:
    from demo.identity import account_resolver

    resolve = account_resolver(app.extensions["demo"].engine)
    assert resolve({"email": "Alice@Example.com", "email_verified": True}) == "acct-alice"
    assert resolve({"email": "alice@example.com"}) is None
    assert resolve({"email": "alice@example.com", "email_verified": "true"}) is None


@pytest.mark.backends("sqlite")
def test_a_receipt_key_that_cannot_sign_stops_the_app_at_start_up(
        app_config: dict[str, Any], tmp_path: Any) -> None:
    from demo.app import create_app
    from selfservice.receipts import ReceiptKeyError

    rsa_like = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ReceiptKeyError):
        create_app(dict(app_config, SELFSERVICE_RECEIPT_KEY=rsa_like))
    with pytest.raises(ReceiptKeyError, match="cannot read"):
        create_app(dict(app_config, SELFSERVICE_RECEIPT_KEY=str(tmp_path / "missing.pem")))


@pytest.mark.parametrize("entries, fault", [
    ([{"name": "Mailer", "purpose": "e-mail", "location": "US"}], "transfer_mechanism"),
    ([{"name": "Mailer", "purpose": "e-mail", "location": "US", "transfer_mechanism": "SCC",
       "colour": "blue"}], "unknown keys colour"),
    ([{"name": "A", "purpose": "p", "location": "l", "transfer_mechanism": "t"}] * 2,
     "distinct names"),
    ("Mailer", "list of"),
])
def test_a_malformed_subprocessor_list_stops_the_app(entries: Any, fault: str) -> None:
    from selfservice.config import ConfigError, apply_defaults
    from selfservice.subprocessors import entry_problem

    with pytest.raises(ConfigError, match="SELFSERVICE_SUBPROCESSORS"):
        apply_defaults({"SELFSERVICE_SUBPROCESSORS": entries})
    if isinstance(entries, list) and fault != "distinct names":
        assert fault in (entry_problem(entries[0]) or "")
