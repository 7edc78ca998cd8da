"""A fresh, migrated and seeded database for every test, copied from one the session (each
xdist worker's own) built a moment ago the same way: creating the app, running the plugin's
migrations and the demo's seed took most of a test's set-up, a file copy (SQLite) or
``CREATE DATABASE ... TEMPLATE`` (PostgreSQL) takes a few milliseconds.

The copy is the same bytes the per-test build made, with one difference: the seed's rows are
relative to the moment the template was seeded, at most ``MAX_AGE`` seconds before the test,
instead of the moment the test's own set-up ran. A template is built again once it is older,
or when the UTC date has changed since (the seed's "this month" invoices). The app fixture
still runs the migrations and the seed on the copy, which find it at the head and seeded.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from devtools.services import PostgresServer

#: the inference-log count of the demo seed in tests (a ``seed`` marker asks for another)
DEFAULT_LOGS = 300
#: seconds a template is copied before it is seeded afresh
MAX_AGE = 60.0


def build(url: str, inference_logs: int) -> None:
    """What the app fixture does to a new database: the console's tables, the plugin's
    migrations, the demo seed."""
    from demo.app import create_app
    from demo.seed import seed
    from selfservice import migrate
    from selfservice.receipts import generate_pem

    app = create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16),
                      "DEMO_DATABASE_URL": url, "SELFSERVICE_RECEIPT_KEY": generate_pem().decode(),
                      "SELFSERVICE_OIDC_ISSUER": "http://127.0.0.1:9",
                      "SELFSERVICE_OIDC_CLIENT_ID": "template",
                      "SELFSERVICE_OIDC_CLIENT_SECRET": "template"})
    engine = app.extensions["selfservice"].db.engine
    try:
        with app.app_context():
            migrate.upgrade()
            seed(engine, inference_logs=inference_logs)
    finally:
        engine.dispose()


class _Template:
    def __init__(self, name: str) -> None:
        self.name = name
        self.made = time.monotonic()
        self.day = datetime.now(UTC).date()

    def fresh(self) -> bool:
        return (time.monotonic() - self.made < MAX_AGE
                and datetime.now(UTC).date() == self.day)


class SeededDatabases:
    """This session's templates: one SQLite file and one PostgreSQL database, built on first
    use and again when stale."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: _Template | None = None
        self._postgresql: _Template | None = None

    def sqlite(self, target: Path, inference_logs: int) -> str:
        """A seeded SQLite database in ``target``; its URL."""
        if inference_logs != DEFAULT_LOGS:
            return f"sqlite:///{target}"  # the app fixture seeds this size itself
        if self._sqlite is None or not self._sqlite.fresh():
            path = self.folder / f"seeded-{uuid.uuid4().hex[:8]}.sqlite3"
            build(f"sqlite:///{path}", DEFAULT_LOGS)
            # closing the last connection checkpointed the write-ahead log into the file
            assert not os.path.exists(f"{path}-wal"), "the template's WAL is still open"
            if self._sqlite is not None:
                os.unlink(self._sqlite.name)
            self._sqlite = _Template(str(path))
        shutil.copyfile(self._sqlite.name, target)
        return f"sqlite:///{target}"

    def postgresql(self, server: PostgresServer, name: str, inference_logs: int) -> str:
        """A seeded PostgreSQL database called ``name`` in ``server``; its URL."""
        if inference_logs != DEFAULT_LOGS:
            return server.create_database(name)
        if self._postgresql is None or not self._postgresql.fresh():
            template = f"seeded_{uuid.uuid4().hex[:8]}"
            build(server.create_database(template), DEFAULT_LOGS)
            if self._postgresql is not None:
                server.drop_database(self._postgresql.name)
            self._postgresql = _Template(template)
        return server.create_database(name, template=self._postgresql.name)
