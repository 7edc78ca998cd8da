"""The support queue with a million requests in the table: its first page (filtered by type,
sorted by due date) and a search by reference, each against a primary-key read of one request
row in the same run, on SQLite and PostgreSQL; the query plans go in ``details``.

The rows are made fast (PostgreSQL: COPY; SQLite: executemany in one transaction): most
requests are closed, as in a real table, and a few per cent are open, due from a year ago to two
months ahead. ``SUPPORT_BENCH_ROWS`` sets the size (default 1,000,000).

    python -m devtools.bench_support
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from devtools.services import PostgresServer, running_postgres, running_redis

ROWS = int(os.environ.get("SUPPORT_BENCH_ROWS", "1000000"))
#: timed calls of each query (the median counts), after WARM untimed ones
CALLS, WARM = 300, 30
#: share of requests still open
OPEN_SHARE = 0.04
TYPES = ("export", "deletion", "correction", "objection", "restriction", "appeal")
LAWS = ("gdpr", "uk_gdpr", "ccpa", "us_state")
OPEN = ("received", "verified", "in_progress", "scheduled")
CLOSED = ("completed", "completed", "completed", "denied", "canceled", "failed")
COLUMNS = ("id", "reference", "account_id", "type", "status", "jurisdiction", "details",
           "created_at", "due_at", "deadline_at", "updated_at", "progress", "step", "downloads",
           "channel")
TARGETS = {"queue_first_page": 5.0, "search_by_reference": 2.0}


def _rows(count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(count):
        created = now - timedelta(minutes=rng.randrange(60 * 24 * 730))
        is_open = rng.random() < OPEN_SHARE
        due = (now + timedelta(minutes=rng.randrange(-60 * 24 * 365, 60 * 24 * 60))
               if is_open else created + timedelta(days=30))
        yield (uuid.UUID(int=rng.getrandbits(128)).hex, f"DR-{n // 10000:04d}-{n % 10000:04d}",
               f"acct-{rng.randrange(count // 5 + 1)}", rng.choice(TYPES),
               rng.choice(OPEN if is_open else CLOSED), rng.choice(LAWS), "{}", created, due,
               due, created, 0, "", 0, "console")


def _fill_postgresql(engine: sa.Engine, count: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY selfservice_privacy_requests ({', '.join(COLUMNS)}) "  # type: ignore[attr-defined]
                         "FROM STDIN") as copy:
            for row in _rows(count):
                copy.write_row(row)
        raw.commit()
        cursor.execute("ANALYZE selfservice_privacy_requests")
        raw.commit()
    finally:
        raw.close()


def _fill_sqlite(engine: sa.Engine, count: int) -> None:
    marks = ", ".join("?" for _ in COLUMNS)
    # the names are this module's constants, the values go as parameters
    insert = (f"INSERT INTO selfservice_privacy_requests ({', '.join(COLUMNS)}) "  # noqa: S608
              f"VALUES ({marks})")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # a throw-away database: no fsync, a big page cache (random ids and references would
        # otherwise make each batch re-read the indexes from disk)
        for pragma in ("synchronous = OFF", "journal_mode = MEMORY", "cache_size = -1000000",
                       "temp_store = MEMORY"):
            cursor.execute(f"PRAGMA {pragma}")
        batch: list[tuple[Any, ...]] = []
        for row in _rows(count):
            batch.append(tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f")
                               if isinstance(v, datetime) else v for v in row))
            if len(batch) == 50000:
                cursor.executemany(insert, batch)
                batch.clear()
        if batch:
            cursor.executemany(insert, batch)
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _median_ms(call: Callable[[], Any]) -> tuple[float, list[float]]:
    for _ in range(WARM):
        call()
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), sorted(times)


def _plan(engine: sa.Engine, run: Callable[[], Any]) -> list[str]:
    """The database's plan of the statements ``run`` sends (the very SQL and parameters)."""
    sent: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
             executemany: bool) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    lines: list[str] = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(prefix + statement, parameters)
            lines += [" | ".join(str(v) for v in row) if engine.dialect.name == "sqlite"
                      else str(row[0]) for row in cursor.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    return lines


def bench_support_queue(backend: str, url: str, redis_url: str) -> list[dict[str, Any]]:
    from demo.app import create_app
    from selfservice import migrate
    from selfservice.identity import Identity
    from selfservice.models import PrivacyRequest
    from selfservice.services import support_queue

    app = create_app({"DEMO_DATABASE_URL": url, "SELFSERVICE_REDIS_URL": redis_url,
                      "SELFSERVICE_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:6]}"})
    state = app.extensions["selfservice"]
    engine = state.db.engine
    staff = Identity(account_id="acct-bench-staff", email="staff@example.com", name="Staff",
                     roles=frozenset({"support"}))
    with app.app_context():
        migrate.upgrade()
        started = time.perf_counter()
        (_fill_sqlite if backend == "sqlite" else _fill_postgresql)(engine, ROWS)
        fill_seconds = time.perf_counter() - started
        with state.db.read() as session:
            some_id = session.scalar(sa.select(PrivacyRequest.id).limit(1))
            open_rows = session.scalar(sa.select(sa.func.count()).where(
                PrivacyRequest.status.in_(OPEN)))
        reference = f"DR-{(ROWS // 2) // 10000:04d}-{(ROWS // 2) % 10000:04d}"
        wanted = support_queue.QueueFilter(type="export")

        def primary_key() -> Any:
            with state.db.read() as session:
                return session.get(PrivacyRequest, some_id)

        def first_page() -> Any:
            with state.db.read() as session:
                return list(session.scalars(support_queue.queue_query(
                    staff, wanted, datetime.now(UTC))))

        def by_reference() -> Any:
            with state.db.read() as session:
                return support_queue.by_reference(session, staff, reference)

        assert len(first_page()) == wanted.limit + 1 and by_reference() is not None
        baseline, baseline_times = _median_ms(primary_key)
        measured = {"queue_first_page": _median_ms(first_page),
                    "search_by_reference": _median_ms(by_reference)}
        plans = {"queue_first_page": _plan(engine, first_page),
                 "search_by_reference": _plan(engine, by_reference),
                 "primary_key": _plan(engine, primary_key)}
        service_ms, _ = _median_ms(lambda: support_queue.page(staff, wanted))
    engine.dispose()
    results = []
    for name, (value, times) in measured.items():
        ratio = value / baseline
        results.append({
            "name": f"support_{name}_{backend}", "unit": "ms", "value": round(value, 3),
            "baseline_name": f"primary_key_read_{backend}", "baseline": round(baseline, 3),
            "ratio": round(ratio, 3), "target": f"ratio <= {TARGETS[name]}",
            "meets": ratio <= TARGETS[name],
            "details": {
                "rows": ROWS, "open_rows": open_rows, "fill_seconds": round(fill_seconds, 1),
                "calls": CALLS, "statistic": "median",
                "p90_ms": round(times[int(len(times) * 0.9)], 3),
                "baseline_p90_ms": round(baseline_times[int(len(baseline_times) * 0.9)], 3),
                "filter": "type=export, open, sorted by (deadline_at, id), 25 rows + 1"
                          if name == "queue_first_page" else f"q={reference}",
                "whole_page_ms_with_host_identity_lookups": round(service_ms, 3)
                if name == "queue_first_page" else None,
                "plan": plans[name], "baseline_plan": plans["primary_key"]}})
    return results


def bench_support(postgres: PostgresServer, redis_url: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        results += bench_support_queue("sqlite", f"sqlite:///{folder}/support.sqlite3",
                                       redis_url)
    results += bench_support_queue("postgresql", postgres.create_database("bench_support"),
                                   redis_url)
    return results


def main() -> None:
    import json

    with running_redis() as redis, running_postgres() as postgres:
        results = bench_support(postgres, redis.url)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
