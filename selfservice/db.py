"""The plugin's SQL: declarative base, engine and one session per application context."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every ``selfservice_*`` table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


AfterCommitHook = Callable[[Session], None]
#: on ``g``: the request's lookup connection (``Database.lookup_connection``)
_LOOKUP_CONNECTION = "_selfservice_lookup_connection"


def matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE that ``Session.execute`` ran matched. Its result is a
    CursorResult, though the session types it as a plain Result."""
    return cast("CursorResult[Any]", result).rowcount


class Database:
    """Owns the engine (or borrows the host's) and hands out short units of work.

    ``after_commit`` hooks let services act only once their transaction is durable (the job
    outbox enqueues there).
    """

    def __init__(self, app: Flask, url: str | None, engine: Engine | None,
                 options: dict[str, Any]) -> None:
        if engine is None:
            if url is None:
                os.makedirs(app.instance_path, exist_ok=True)
                url = "sqlite:///" + os.path.join(app.instance_path, "selfservice.sqlite3")
            engine = create_engine(url, **options)
        self.engine = engine
        bind = engine
        if engine.dialect.name == "sqlite":
            prepare_sqlite(engine)
            # the plugin's own units of work are short writes: take SQLite's write lock when
            # they begin, so two of them never both read, then collide when they write
            bind = engine.execution_options(selfservice_sqlite_begin="IMMEDIATE")
        self.sessionmaker = sessionmaker(bind=bind, expire_on_commit=False)
        #: reads take no write lock (SQLite's BEGIN IMMEDIATE is only for units of work)
        self.read_sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        #: lookups on the path of every request: on PostgreSQL without BEGIN and COMMIT, and
        #: those of one request on one pooled connection (see ``lookup_connection``)
        self._lookups: Engine | None = None
        if engine.dialect.name == "postgresql":
            self._lookups = engine.execution_options(isolation_level="AUTOCOMMIT")
            # kept on ``g``: returned when the request ends, or the application context it was
            # taken in (one pushed inside a request, as a test or a job may do)
            app.teardown_request(self._release_lookup_connection)
            app.teardown_appcontext(self._release_lookup_connection)
        self._after_commit: list[AfterCommitHook] = []
        event.listen(self.sessionmaker, "after_commit", self._run_after_commit)

    def on_after_commit(self, hook: AfterCommitHook) -> None:
        self._after_commit.append(hook)

    def _run_after_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a SAVEPOINT was released: nothing is durable until the outer commit
        for hook in self._after_commit:
            hook(session)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A short unit of work on its own session, committed on success."""
        with self.sessionmaker() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads: no write lock on SQLite (the objects it loads stay
        usable after it ends). Writes belong in ``transaction()``."""
        with self.read_sessionmaker() as session, session.begin():
            yield session

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """A few plain reads by key on the path of every request (is the session open, the
        preferences). On PostgreSQL they run outside a transaction: two round trips fewer
        (BEGIN, COMMIT), and each statement still sees what was committed before it began, as
        in the READ COMMITTED transaction ``read()`` opens; they run on the request's lookup
        connection (``lookup_connection``). Not for row locks or streaming reads (a
        server-side cursor needs a transaction): those belong in ``read()``."""
        if self._lookups is None:
            with self.read_sessionmaker() as session, session.begin():
                yield session
            return
        with self.lookup_connection() as connection, Session(
                bind=connection, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def lookup_connection(self) -> Iterator[Connection]:
        """A connection for plain reads by key (on PostgreSQL: outside a transaction, each
        statement seeing what was committed before it began).

        During a request every lookup (the host's user, the sign-in session, the preferences)
        shares one pooled connection, checked out at the first and returned when the request
        ends: one checkout, and one ``pool_pre_ping`` round trip, per request rather than per
        lookup. Nothing is cached but the connection: each statement reads the database. A
        connection the database dropped is replaced at the next lookup. Outside a request, and
        on SQLite (where a read takes a transaction), each use checks out its own."""
        if self._lookups is None or not has_request_context():
            with (self._lookups or self.engine).connect() as own:
                yield own
            return
        shared: Connection | None = g.get(_LOOKUP_CONNECTION)
        if shared is None or shared.closed or shared.invalidated:
            if shared is not None:
                shared.close()
            shared = self._lookups.connect()
            setattr(g, _LOOKUP_CONNECTION, shared)
        yield shared

    @staticmethod
    def _release_lookup_connection(exc: BaseException | None = None) -> None:
        """teardown_request and teardown_appcontext: return the lookup connection to the
        pool."""
        connection: Connection | None = g.pop(_LOOKUP_CONNECTION, None)
        if connection is not None:
            connection.close()

    @property
    def survives_fork(self) -> bool:
        """Whether a process forked from this one may use the engine (with new connections).

        Not on SQLite: it keeps its file locks, and the mutexes guarding them, per process in
        memory a forked child inherits, and the child's new connections share them. A child
        forked while a thread here is inside a transaction finds that thread's locks held by no
        one who will release them: it waits out the busy timeout ("database is locked") or
        blocks for good. With connections merely open here, the child's take no locks at all.
        """
        return self.engine.dialect.name != "sqlite"

    def dispose_after_fork(self) -> None:
        """Forget pooled connections inherited from a parent process (RQ forks a work horse)."""
        self.engine.dispose(close=False)


#: SQLSTATEs of a PostgreSQL server that is going away or not there yet: connection exceptions
#: (class 08), admin_shutdown, crash_shutdown, cannot_connect_now (starting up)
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached right now (refused, lost, shutting
    down, starting up, or every pooled connection busy), rather than that a statement is wrong.
    A request that meets it may be tried again in a few seconds: the transaction it was in has
    rolled back, and the pool reconnects (``pool_pre_ping``) once the database is back."""
    if isinstance(exc, sa.exc.TimeoutError):  # QueuePool: no connection free in time
        return True
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    if exc.connection_invalidated:
        return True
    # psycopg 3 (sqlstate) and psycopg2 (pgcode) name the server's reason; a connection that
    # failed before the server said anything has none. Other drivers' errors name no state.
    for attribute in ("sqlstate", "pgcode"):
        if hasattr(exc.orig, attribute):
            state = getattr(exc.orig, attribute)
            return state is None or str(state).startswith(_UNAVAILABLE_STATES)
    return False


def create_engine(url: str, **options: Any) -> Engine:
    """An engine with the settings every backend needs here."""
    url_obj = sa.engine.make_url(url)
    if url_obj.get_backend_name() == "sqlite":
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = sa.create_engine(url_obj, **options)
        prepare_sqlite(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    return sa.create_engine(url_obj, **options)


def prepare_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and transactions SQLAlchemy begins itself.

    pysqlite begins transactions lazily and on its own, which breaks SAVEPOINT (a rolled-back
    session could keep a released savepoint's rows). Idempotent; also fixes a host's engine.
    """
    if event.contains(engine, "begin", _sqlite_begin):
        return
    engine.dispose()  # pooled connections were opened without the pragmas
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("selfservice_sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())
