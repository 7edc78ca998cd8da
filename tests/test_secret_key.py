"""The key that signs sessions: the demo makes its own, and the plugin refuses to run outside
development with one that is missing, short or published."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from selfservice import ConfigError, Identity, SelfService

#: the key the demo console used to sign every session with, published in its source
OLD_DEMO_KEY = "ecohash-demo-console-dev-only-secret"


def loader(account_id: str) -> Identity:
    return Identity(account_id, f"{account_id}@example.com", account_id)


@pytest.fixture
def demo_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The test app's settings without a secret key: the demo as `make demo` starts it."""
    return {key: value for key, value in app_config.items() if key != "SECRET_KEY"}


@pytest.fixture
def demo_apps() -> Iterator[list[Flask]]:
    made: list[Flask] = []
    yield made
    for app in made:
        app.extensions["selfservice"].db.engine.dispose()


def _demo(demo_apps: list[Flask], config: dict[str, Any], instance: Any) -> Flask:
    from demo.app import create_app

    app = create_app(config, instance_path=str(instance))
    demo_apps.append(app)
    return app


def _forged_cookie(key: str) -> str:
    """A session for alice, freshly authenticated, signed with ``key``."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return str(serializer.dumps({
        "_user_id": "acct-alice", "_fresh": True,
        "_selfservice_auth": {"account": "acct-alice", "at": time.time(), "iss": None,
                              "sub": None}}))


@pytest.mark.backends("sqlite")
def test_the_old_demo_key_no_longer_forges_a_session(
        demo_config: dict[str, Any], demo_apps: list[Flask], tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.seed import seed
    from selfservice import migrate

    monkeypatch.delenv("DEMO_SECRET_KEY", raising=False)
    app = _demo(demo_apps, demo_config, tmp_path / "instance")
    with app.app_context():
        migrate.upgrade()
        seed(app.extensions["selfservice"].db.engine, inference_logs=10)
    client = app.test_client()
    client.set_cookie("session", _forged_cookie(OLD_DEMO_KEY))
    assert client.get("/privacy/api/v1/me").status_code == 401
    assert client.get("/console").status_code == 302  # to the sign-in
    assert app.secret_key != OLD_DEMO_KEY


@pytest.mark.backends("sqlite")
def test_a_fresh_demo_instance_makes_a_random_key_file_and_keeps_it(
        demo_config: dict[str, Any], demo_apps: list[Flask], tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = _demo(demo_apps, demo_config, instance)
    key_file = instance / "secret-key"
    assert key_file.is_file()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert first.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 64 and first.secret_key != OLD_DEMO_KEY
    assert not [name for name in os.listdir(instance) if name.startswith(".")]  # no leftovers

    restarted = _demo(demo_apps, demo_config, instance)
    assert restarted.secret_key == first.secret_key
    elsewhere = _demo(demo_apps, demo_config, tmp_path / "another-instance")
    assert elsewhere.secret_key != first.secret_key

    chosen = "a-key-chosen-by-the-operator-" + "x" * 40
    monkeypatch.setenv("DEMO_SECRET_KEY", chosen)
    assert _demo(demo_apps, demo_config, instance).secret_key == chosen
    assert key_file.read_text().strip() == first.secret_key


@pytest.mark.parametrize("key", [
    None, "", "short", "k" * 31, b"k" * 31, OLD_DEMO_KEY, "dev", "secret", "change-me",
    "changeme", "development", "your-secret-key", " Change-Me ",
    b'_5#y2L"F4Q8z\n\xec]/',  # Flask's quickstart example
])
def test_init_app_refuses_a_weak_secret_key_outside_debug_and_testing(key: Any) -> None:
    app = Flask("host")
    app.config.update(SECRET_KEY=key, SELFSERVICE_DATABASE_URL="sqlite://")
    with pytest.raises(ConfigError, match="SECRET_KEY") as refused:
        SelfService(app, identity_loader=loader)
    assert "secrets.token_hex(32)" in str(refused.value)


@pytest.mark.parametrize("mode", ["testing", "debug"])
def test_a_weak_secret_key_is_allowed_in_development(mode: str) -> None:
    app = Flask("host")
    app.config.update(SECRET_KEY="dev", SELFSERVICE_DATABASE_URL="sqlite://")
    setattr(app, mode, True)
    SelfService(app, identity_loader=loader)
    assert "selfservice" in app.extensions


def test_a_long_random_secret_key_is_accepted() -> None:
    import secrets

    for key in (secrets.token_hex(32), secrets.token_bytes(32)):
        app = Flask("host")
        app.config.update(SECRET_KEY=key, SELFSERVICE_DATABASE_URL="sqlite://")
        SelfService(app, identity_loader=loader)


@pytest.mark.backends("sqlite")
def test_the_demo_refuses_its_old_key_when_not_testing(
        demo_config: dict[str, Any], tmp_path: Any) -> None:
    from demo.app import create_app

    config = dict(demo_config, TESTING=False, SECRET_KEY=OLD_DEMO_KEY)
    with pytest.raises(ConfigError, match="published"):
        create_app(config, instance_path=str(tmp_path / "instance"))
