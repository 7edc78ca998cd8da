"""The erasure benchmark's databases and its statement timer.

Each size is seeded once as a template (demo.seed, then VACUUM ANALYZE / ANALYZE:
bench_export.prepare), and every run gets a fresh copy of it (``CREATE DATABASE ... TEMPLATE
... STRATEGY FILE_COPY`` on PostgreSQL, a file copy of the checkpointed SQLite file)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from typing import Any

import sqlalchemy as sa

from devtools.bench_export import prepare
from devtools.services import PostgresServer

ACCOUNT = "acct-alice"


class Copies:
    """Seeded templates per size and throw-away copies of them."""

    def __init__(self, backend: str, postgres: PostgresServer | None, folder: str) -> None:
        self.backend, self.postgres, self.folder = backend, postgres, folder
        self.templates: dict[int, str] = {}

    def _admin(self) -> Any:
        import psycopg

        assert self.postgres is not None
        return psycopg.connect(f"host=127.0.0.1 port={self.postgres.port} user=postgres "
                               "dbname=postgres", autocommit=True)

    def template(self, records: int) -> dict[str, Any]:
        if self.backend == "postgresql":
            assert self.postgres is not None
            url = self.postgres.create_database(f"erasure_template_{records}")
        else:
            url = f"sqlite:///{self.folder}/erasure_template_{records}.sqlite3"
        self.templates[records] = url
        return prepare(url, records)

    def copy(self, records: int, name: str) -> str:
        template = self.templates[records]
        if self.backend == "sqlite":
            path = os.path.join(self.folder, f"{name}.sqlite3")
            shutil.copyfile(sa.engine.make_url(template).database or "", path)
            return f"sqlite:///{path}"
        assert self.postgres is not None
        source = sa.engine.make_url(template).database
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        return self.postgres.url(name)

    def drop(self, url: str) -> None:
        name = sa.engine.make_url(url).database or ""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name + suffix)
            return
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def warm(url: str) -> None:
    """Read the table and the account's index entries once (what both sides will touch)."""
    from selfservice.db import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "SELECT sum(length(coalesce(request_body, '')) + length(coalesce(response_body, "
            "''))) FROM inference_logs")
        connection.execute(sa.text("SELECT count(*) FROM inference_logs WHERE account_id = :a"),
                           {"a": ACCOUNT})
    engine.dispose()


class Timer:
    """The longest statement (cursor events) and transaction (begin to commit) on an engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements = 0
        self.longest = 0.0
        self.longest_sql = ""
        self.longest_tx = 0.0
        self.longest_write = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        sa.event.listen(engine, "begin", self._begin)
        sa.event.listen(engine, "commit", self._end)
        sa.event.listen(engine, "rollback", self._end)

    def _before(self, conn: sa.Connection, *args: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn: sa.Connection, cursor: Any, statement: str, *args: Any) -> None:
        took = time.perf_counter() - conn.info.pop("bench_t0")
        self.statements += 1
        if statement.lstrip()[:6].upper() in ("DELETE", "UPDATE", "INSERT"):
            self.longest_write = max(self.longest_write, took)
        if took > self.longest:
            self.longest, self.longest_sql = took, " ".join(statement.split())[:200]

    def _begin(self, conn: sa.Connection) -> None:
        conn.info["bench_tx0"] = time.perf_counter()

    def _end(self, conn: sa.Connection) -> None:
        started = conn.info.pop("bench_tx0", None)
        if started is not None:
            self.longest_tx = max(self.longest_tx, time.perf_counter() - started)

    def report(self) -> dict[str, Any]:
        return {"statements": self.statements, "longest_statement_s": round(self.longest, 4),
                "longest_statement": self.longest_sql,
                "longest_transaction_s": round(self.longest_tx, 4),
                "longest_write_s": round(self.longest_write, 4)}
