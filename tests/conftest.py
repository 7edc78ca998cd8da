"""Fixtures: real Redis, PostgreSQL and OpenID provider for the session; a fresh demo console
on a fresh database for every test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Blueprint, Flask, jsonify

from devtools.mailcapture import MailCapture
from devtools.services import (
    ROOT,
    MotoServer,
    OidcProvider,
    PostgresServer,
    RedisServer,
    free_port,
)
from selfservice.blueprints.guards import api_auth, check_csrf, fresh_login_required, service_auth
from selfservice.dpa_signing import self_signed_pem
from selfservice.receipts import generate_pem

from .databases import DEFAULT_LOGS, SeededDatabases
from .helpers import LiveServer, Person, Worker

TEST_CLIENT = {"client_id": "selfservice-test", "client_secret": "selfservice-test-secret"}
BACKENDS = [b.strip() for b in os.environ.get("TEST_BACKENDS",
                                              "sqlite,postgresql").split(",") if b.strip()]
STORAGES = ["local", "s3"]
#: the bucket the tests' S3 archives go to (each test under a prefix of its own)
BUCKET = "selfservice-tests"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**keys): app config for this test")
    config.addinivalue_line("markers", "backends(*names): only these databases")
    config.addinivalue_line("markers", "storages(*names): only these archive stores")
    config.addinivalue_line("markers", "seed(inference_logs=N): a bigger demo account")


# -- services (session) -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """An S3 API server on loopback (moto in server mode), with the tests' bucket."""
    server = MotoServer().start()
    server.client().create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oidc(live_server: LiveServer) -> Iterator[OidcProvider]:
    provider = OidcProvider(clients=[{
        **TEST_CLIENT,
        "redirect_uris": [f"{live_server.url}/auth/callback"],
        "post_logout_redirect_uris": [f"{live_server.url}/"],
    }]).start()
    yield provider
    provider.stop()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the session, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailCapture]:
    server = MailCapture(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server: MailCapture) -> MailCapture:
    smtp_server.clear()
    return smtp_server


@pytest.fixture(scope="session")
def receipt_key() -> str:
    return generate_pem().decode()


@pytest.fixture(scope="session")
def dpa_signing_pem(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A file with the company's DPA signing key and its self-signed certificate."""
    path = tmp_path_factory.mktemp("dpa") / "dpa-signing.pem"
    path.write_bytes(self_signed_pem("EcoHash DPA countersignature (test)",
                                     "EcoHash Technology LLC"))
    return str(path)


# -- one app per test -------------------------------------------------------------------------

def _allowed(metafunc: pytest.Metafunc, marker: str, names: list[str]) -> list[str]:
    found = metafunc.definition.get_closest_marker(marker)
    return [n for n in names if found is None or n in found.args]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test with a database runs once per backend of TEST_BACKENDS that its ``backends``
    marker allows: only runs that happen are generated, none to be skipped. A test that also
    asks for ``storage`` runs against each archive store without doubling: SQLite with the
    local folder, PostgreSQL with S3 (with one backend, that one with each store)."""
    if "backend" not in metafunc.fixturenames:
        return
    names = _allowed(metafunc, "backends", BACKENDS)
    if not names:  # e.g. an SQLite-only test when TEST_BACKENDS leaves SQLite out
        metafunc.parametrize("backend", [pytest.param(None, marks=pytest.mark.skip(
            reason=f"none of its backends in TEST_BACKENDS={','.join(BACKENDS)}"))],
            indirect=True)
        return
    if "storage" not in metafunc.fixturenames:
        metafunc.parametrize("backend", names, indirect=True)
        return
    stores = _allowed(metafunc, "storages", STORAGES)
    if len(names) >= len(stores):
        pairs = [(name, stores[i % len(stores)]) for i, name in enumerate(names)]
    else:
        pairs = [(names[0], store) for store in stores]
    metafunc.parametrize(("backend", "storage"), pairs, indirect=True,
                         ids=[f"{b}-{s}" for b, s in pairs])


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _seed_size(request: pytest.FixtureRequest) -> int:
    marker = request.node.get_closest_marker("seed")
    return int(marker.kwargs.get("inference_logs", DEFAULT_LOGS)) if marker else DEFAULT_LOGS


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededDatabases:
    return SeededDatabases(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def storage(request: pytest.FixtureRequest) -> str:
    """The archive store of this run of the test: local or s3 (see pytest_generate_tests)."""
    return str(request.param)


def storage_settings(request: pytest.FixtureRequest, tmp_path: Any) -> dict[str, Any]:
    """The settings of the test's archive store: a folder of its own, or a prefix of its own
    in the tests' bucket on the moto server."""
    if "storage" in request.fixturenames and request.getfixturevalue("storage") == "s3":
        server: MotoServer = request.getfixturevalue("moto_server")
        return server.settings(BUCKET, f"t-{uuid.uuid4().hex[:12]}")
    return {"SELFSERVICE_EXPORT_DIR": str(tmp_path / "exports")}


@pytest.fixture
def db_url(backend: str, tmp_path: Any, seeded: SeededDatabases,
           request: pytest.FixtureRequest) -> Iterator[str]:
    """A new database of the test's own, already migrated and seeded (tests/databases.py)."""
    if backend == "sqlite":
        yield seeded.sqlite(tmp_path / "console.sqlite3", _seed_size(request))
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield seeded.postgresql(server, name, _seed_size(request))
    # gone at once: the cluster stays small, and its files seldom reach the disk
    server.drop_database(name)


def base_config(db_url: str, redis_server: RedisServer, oidc: OidcProvider,
                live_server: LiveServer, smtp_server: MailCapture, receipt_key: str,
                dpa_signing_pem: str) -> dict[str, Any]:
    """The settings of a test's demo console: the session's services, a fresh queue (the
    archive store is the caller's: storage_settings, or a folder of its own)."""
    return {
        "TESTING": True,
        "SECRET_KEY": secrets.token_hex(16),
        "DEMO_DATABASE_URL": db_url,
        "SELFSERVICE_REDIS_URL": redis_server.url,
        "SELFSERVICE_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}",
        "SELFSERVICE_QUEUE_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "SELFSERVICE_OIDC_ISSUER": oidc.issuer,
        "SELFSERVICE_OIDC_CLIENT_ID": TEST_CLIENT["client_id"],
        "SELFSERVICE_OIDC_CLIENT_SECRET": TEST_CLIENT["client_secret"],
        "SELFSERVICE_OIDC_POST_LOGOUT_REDIRECT_URI": None,
        "SELFSERVICE_REDIS_SOCKET_TIMEOUT": 2,
        "SELFSERVICE_SMTP_HOST": smtp_server.host,
        "SELFSERVICE_SMTP_PORT": smtp_server.port,
        "SELFSERVICE_RECEIPT_KEY": receipt_key,
        "SELFSERVICE_DPA_SIGNING_KEY": dpa_signing_pem,
        "SELFSERVICE_DPA_SIGNING_CERT": dpa_signing_pem,
        "SELFSERVICE_PUBLIC_URL": live_server.url,
        "SELFSERVICE_EXPORT_SCHEMA_CHECK": "strict",
    }


@pytest.fixture
def app_config(db_url: str, redis_server: RedisServer, oidc: OidcProvider,
               live_server: LiveServer, smtp_server: MailCapture, receipt_key: str,
               dpa_signing_pem: str, tmp_path: Any,
               request: pytest.FixtureRequest) -> dict[str, Any]:
    config = base_config(db_url, redis_server, oidc, live_server, smtp_server, receipt_key,
                         dpa_signing_pem)
    config.update(storage_settings(request, tmp_path))
    marker = request.node.get_closest_marker("settings")
    if marker:
        config.update(marker.kwargs)
    return config


def add_test_routes(app: Flask) -> None:
    """What a host console does with the plugin's guards: a dangerous page and API call."""
    bp = Blueprint("hosttest", __name__)
    bp.before_request(check_csrf)

    @bp.get("/danger")
    @fresh_login_required()
    def danger_page() -> str:
        return "dangerous page reached"

    @bp.post("/api/danger")
    @api_auth(fresh=True)
    def danger_api() -> Any:
        return jsonify(done=True)

    @bp.get("/boom")
    def boom() -> str:
        raise RuntimeError("a bug in the host's own page")

    @bp.post("/api/pipeline")
    @service_auth
    def pipeline() -> Any:
        return jsonify(ok=True)

    app.register_blueprint(bp, url_prefix="/hosttest")


def build_app(config: dict[str, Any], instance_path: str,
              inference_logs: int = DEFAULT_LOGS) -> Flask:
    """The demo console with the test routes, its schema migrated and its accounts seeded
    (a copy of the session's seeded database finds both done: tests/databases.py)."""
    from demo.app import create_app
    from demo.seed import seed
    from selfservice import migrate

    app = create_app(config, instance_path=instance_path)
    add_test_routes(app)
    with app.app_context():
        migrate.upgrade()
        seed(app.extensions["selfservice"].db.engine, inference_logs=inference_logs)
    return app


def drop_app(app: Flask, redis_server: RedisServer) -> None:
    app.extensions["selfservice"].db.engine.dispose()
    if redis_server.process is None:
        redis_server.start()
    from redis import Redis

    Redis.from_url(redis_server.url).flushdb()


@pytest.fixture
def app(app_config: dict[str, Any], live_server: LiveServer, redis_server: RedisServer,
        tmp_path: Any, request: pytest.FixtureRequest) -> Iterator[Flask]:
    # the instance folder (default exports/ among others) is the test's own, not the repository's
    app = build_app(app_config, str(tmp_path / "instance"), _seed_size(request))
    live_server.app = app
    yield app
    live_server.app = None
    drop_app(app, redis_server)


@pytest.fixture
def person(live_server: LiveServer, oidc: OidcProvider, app: Flask) -> Person:
    return Person(live_server.url, oidc.issuer)


@pytest.fixture
def make_person(live_server: LiveServer, oidc: OidcProvider, app: Flask) -> Any:
    return lambda: Person(live_server.url, oidc.issuer)


#: the archive store's settings a worker process gets from the test's app
WORKER_STORAGE_KEYS = ("STORAGE_URL", "STORAGE_ENDPOINT_URL", "STORAGE_REGION",
                       "STORAGE_ACCESS_KEY_ID", "STORAGE_SECRET_ACCESS_KEY", "STORAGE_PART_SIZE",
                       "EXPORT_ABANDONED_AFTER", "JOB_TIMEOUT")


@pytest.fixture
def start_worker(app: Flask, tmp_path: Any) -> Iterator[Callable[..., Worker]]:
    """Starts ``flask selfservice worker`` processes for this test's app, with any further
    settings as keywords (``SELFSERVICE_JOB_HEARTBEAT=1``); stops them after the test. Words
    given run another command instead: ``start_worker("worker", "--no-dispatcher")``."""
    config = app.config
    env = dict(os.environ, FLASK_APP="wsgi", PYTHONPATH=str(ROOT),
               DEMO_DATABASE_URL=config["DEMO_DATABASE_URL"], DEMO_SECRET_KEY=config["SECRET_KEY"],
               SELFSERVICE_DISPATCH_INTERVAL="1",
               # a worker runs the daily jobs at once: the retention sweep would delete the
               # seed's older logs under a test's feet (a test turns it on to see it run)
               SELFSERVICE_RETENTION_SWEEPS="false")
    for key in ("REDIS_URL", "QUEUE_NAME", "QUEUE_PREFIX", "EXPORT_DIR", "SMTP_HOST",
                "SMTP_PORT", *WORKER_STORAGE_KEYS):
        if config.get(f"SELFSERVICE_{key}") is not None:
            env[f"SELFSERVICE_{key}"] = str(config[f"SELFSERVICE_{key}"])
    # the worker's instance folder is the repository's (wsgi): archives go where the app looks
    env.setdefault("SELFSERVICE_EXPORT_DIR", os.path.join(app.instance_path, "exports"))
    workers: list[Worker] = []

    def start(*command: str, **settings: Any) -> Worker:
        workers.append(Worker(dict(env, **{k: str(v) for k, v in settings.items()}),
                              tmp_path / "worker.log", command or ("worker",)))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()
