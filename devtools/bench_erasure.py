"""Erasing a big account and sweeping old records, for `make bench`.

The demo's acct-alice with 1,000,000 inference-log records (plus her other sources), on
PostgreSQL and SQLite. Each database is seeded once as a template (demo.seed, then VACUUM
ANALYZE / ANALYZE, as bench_export does) and every run gets a fresh copy of it
(``CREATE DATABASE ... TEMPLATE`` / a file copy), read once before the run so no run pays for a
cold cache. Every run happens in a fresh child process, timed inside the child.

* ``erasure``: the account erased through the plugin's erasure path: the deletion confirmed
  with no grace period, then the erase job in the child: every source's eraser in registry
  order, one bounded batch per call until it returns 0 (``ERASURE_BATCH``), the plugin's own
  records, the recipients, the account eraser, the certificate. Baseline, on the same rows in
  the same run: one plain ``DELETE FROM inference_logs WHERE account_id = ?``. Also reported:
  the longest single statement and the longest transaction (SQLAlchemy cursor and
  transaction events), with the target that no statement holds its locks for 1 s or more.
* ``erasure peak RSS``: the erasing child's VmHWM at 1,000,000 records against 100,000 (a
  tenth).
* ``retention sweep``: inference logs older than 90 days (the metadata rule of section 5)
  through ``services.retention.sweep`` and the demo's sweeper, in batches, against one plain
  ``DELETE ... WHERE created_at < ?``.

``python -m devtools.bench_erasure`` runs it alone (its own PostgreSQL and Redis);
``--records``/``--small``/``--rounds``/``--backends`` shrink or grow it. ``make bench`` uses
BENCH_ERASURE_RECORDS (default 250,000; set 1000000 for the full size).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from devtools.bench_copies import Copies, Timer, warm
from devtools.bench_export import NOW, _vm
from devtools.bench_export_report import _label, _mb
from devtools.services import ROOT, PostgresServer, RedisServer, running_postgres

#: `make bench` erases 250,000 records by default (about 3 minutes for both databases);
#: BENCH_ERASURE_RECORDS=1000000 runs the full size (about 7 minutes)
RECORDS = int(os.environ.get("BENCH_ERASURE_RECORDS", "250000"))
ROUNDS = 1
ACCOUNT = "acct-alice"
BATCH = 5000
TARGET = 1.5
SWEEP_TARGET = 1.5
STATEMENT_LIMIT_S = 1.0
RSS_GROWTH = 1.15
#: the inference logs' metadata rule (section 5): 90 days
SWEEP_DAYS = 90
CUTOFF = NOW - timedelta(days=SWEEP_DAYS)


def log(message: str) -> None:
    print(f"[bench_erasure] {message}", file=sys.stderr, flush=True)


# -- measuring inside a child -------------------------------------------------------------------

def _app(url: str) -> Any:
    """The demo console on ``url``: deletion with no grace period, the parent's Redis."""
    from demo.app import create_app
    from selfservice.receipts import generate_pem

    return create_app({
        "DEMO_DATABASE_URL": url, "DEMO_CREATE_TABLES": False,
        "SECRET_KEY": secrets.token_hex(32), "SELFSERVICE_ERASURE_BATCH": BATCH,
        "SELFSERVICE_DELETION_GRACE_DAYS": 0, "SELFSERVICE_RECEIPT_KEY": generate_pem().decode(),
        "SELFSERVICE_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:1/0"),
        "SELFSERVICE_QUEUE_NAME": f"bench-erasure-{os.getpid()}"})


def _left(engine: sa.Engine, where: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.text(
            f"SELECT count(*) FROM inference_logs WHERE {where}"),  # noqa: S608
            {"a": ACCOUNT, "cutoff": CUTOFF}) or 0)


def _erase_job(app: Any, request_id: str) -> dict[str, Any]:
    """The erase job the confirmation scheduled, run here as a worker would run it."""
    from selfservice.models import BackgroundJob
    from selfservice.services import erasure, outbox

    state = app.extensions["selfservice"]
    with state.db.read() as session:
        job_id = session.scalar(sa.select(BackgroundJob.id).where(
            BackgroundJob.kind == erasure.ERASE_JOB, BackgroundJob.target_id == request_id))
    ctx = outbox.claim(state.db, job_id, "bench")
    assert ctx is not None, "the erase job was not runnable"
    result = erasure.run(ctx)
    outbox.succeed(state.db, job_id, ctx.attempt, result)
    return result


def child_erase(url: str) -> dict[str, Any]:
    """Ours: the plugin's erasure path. The deletion is confirmed with no grace period (the
    plan frozen, the account locked), then the erase job runs every step: the sources'
    erasers until each returns 0, the plugin's own records, the recipients, the account, the
    certificate."""
    from selfservice.models import ErasureStep
    from selfservice.services import deletion

    app = _app(url)
    engine: sa.Engine = app.extensions["demo"].engine
    state = app.extensions["selfservice"]
    timer = Timer(engine)
    rss_before = _vm("VmRSS")
    started = time.perf_counter()
    with app.app_context():
        who = state.extension.load_identity(ACCOUNT)
        request, _ = deletion.start(who)
        deletion.confirm(who, request.id, who.email)
        confirmed = time.perf_counter()
        result = _erase_job(app, request.id)
    wall = time.perf_counter() - started
    measured = timer.report()  # before the checks below, which are no part of the erasure
    with state.db.read() as session:
        steps = {s.name: s.records for s in session.scalars(
            sa.select(ErasureStep).where(ErasureStep.request_id == request.id))}
    if "completed" not in result:
        raise AssertionError(f"the erase job did not complete: {result}")
    return {"wall": wall, "confirm_s": round(confirmed - started, 3),
            "records": steps.get("inference_logs"), "per_source": steps,
            "rss_before_kb": rss_before, "left": _left(engine, "account_id = :a"), **measured}


def child_plain(url: str) -> dict[str, Any]:
    """The baseline: one plain DELETE of the account's inference logs."""
    from selfservice.db import create_engine

    engine = create_engine(url)
    timer = Timer(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        deleted = connection.execute(sa.text(
            "DELETE FROM inference_logs WHERE account_id = :a"), {"a": ACCOUNT}).rowcount
    wall = time.perf_counter() - started
    measured = timer.report()
    return {"wall": wall, "records": deleted, "left": _left(engine, "account_id = :a"),
            **measured}


def child_sweep(url: str) -> dict[str, Any]:
    """Ours: the plugin's retention sweep of the inference logs' 90-day rule (the demo's
    sweeper, in batches, legal holds read before each), as the daily job runs it."""
    from selfservice.services import retention

    app = _app(url)
    engine: sa.Engine = app.extensions["demo"].engine
    timer = Timer(engine)
    with app.app_context():
        rule = next(r for r in retention.rules()
                    if r.source == "inference_logs" and r.days == SWEEP_DAYS)
        started = time.perf_counter()
        row = retention.sweep(rule, now=NOW)
        wall = time.perf_counter() - started
    measured = timer.report()
    if row.status != "done":
        raise AssertionError(f"the sweep ended {row.status}: {row.error}")
    return {"wall": wall, "records": row.deleted, "path": f"sweeper {rule.source}.{rule.rule}",
            "left": _left(engine, "created_at < :cutoff"), **measured}


def child_plain_sweep(url: str) -> dict[str, Any]:
    from selfservice.db import create_engine

    engine = create_engine(url)
    timer = Timer(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        deleted = connection.execute(sa.text(
            "DELETE FROM inference_logs WHERE created_at < :cutoff"), {"cutoff": CUTOFF}).rowcount
    wall = time.perf_counter() - started
    measured = timer.report()
    return {"wall": wall, "records": deleted, "left": _left(engine, "created_at < :cutoff"),
            **measured}


CHILDREN = {"erase": child_erase, "plain": child_plain, "sweep": child_sweep,
            "plain_sweep": child_plain_sweep}


def child_main(kind: str, url: str) -> None:
    report = CHILDREN[kind](url)
    report["peak_rss_kb"] = _vm("VmHWM")
    print(json.dumps(report))


def run_child(kind: str, url: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "devtools.bench_erasure", "--child", kind, "--url", url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if report["left"]:
        raise AssertionError(f"{kind} left {report['left']:,} rows it should have deleted")
    return report


def _run(copies: Copies, records: int, kind: str, tag: str) -> dict[str, Any]:
    url = copies.copy(records, f"erasure_{kind}_{tag}")
    try:
        warm(url)
        return run_child(kind, url)
    finally:
        copies.drop(url)


def bench_backend(backend: str, postgres: PostgresServer | None, records: int = RECORDS,
                  small: int | None = None, rounds: int = ROUNDS) -> list[dict[str, Any]]:
    started = time.perf_counter()
    small = small or records // 10
    folder = tempfile.mkdtemp(prefix="ss-bench-erasure-")
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in (*CHILDREN, "small")}
    try:
        copies = Copies(backend, postgres, folder)
        setup = {size: copies.template(size) for size in (records, small)}
        log(f"{backend}: seeded {records:,} and {small:,} in "
            f"{sum(s['seed_seconds'] for s in setup.values()):.0f}s")
        for round_ in range(rounds):
            pairs = (["erase", "plain"], ["sweep", "plain_sweep"])
            for pair in pairs:
                for kind in pair if round_ % 2 == 0 else pair[::-1]:
                    report = _run(copies, records, kind, str(round_))
                    runs[kind].append(report)
                    log(f"{backend} round {round_ + 1}/{rounds}: {kind} {report['wall']:.2f}s, "
                        f"{report['records']:,} rows, longest statement "
                        f"{report['longest_statement_s']:.3f}s, peak RSS "
                        f"{_mb(report['peak_rss_kb'])} MB")
            runs["small"].append(_run(copies, small, "erase", f"small_{round_}"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for kind, expected in (("erase", records), ("plain", records), ("small", small)):
        if {r["records"] for r in runs[kind]} != {expected}:
            raise AssertionError(f"{kind} erased {[r['records'] for r in runs[kind]]} logs")
    if {r["records"] for r in runs["sweep"] + runs["plain_sweep"]} != {
            runs["plain_sweep"][0]["records"]}:
        raise AssertionError("the sweep and the plain DELETE by date removed other rows")
    return _entries(backend, records, small, runs, setup, time.perf_counter() - started)


def _median(reports: list[dict[str, Any]], key: str = "wall") -> float:
    return float(statistics.median(r[key] for r in reports))


def _walls(reports: list[dict[str, Any]]) -> list[float]:
    return [round(r["wall"], 3) for r in reports]


def _entries(backend: str, records: int, small: int, runs: dict[str, list[dict[str, Any]]],
             setup: dict[int, dict[str, Any]], total: float) -> list[dict[str, Any]]:
    label = _label(records)
    ours, plain = runs["erase"], runs["plain"]
    value, baseline = _median(ours), _median(plain)
    longest = max(r["longest_statement_s"] for r in ours)
    worst = max(ours, key=lambda r: r["longest_statement_s"])
    erase = {
        "name": f"erasure_{label}_{backend}", "unit": "s", "value": round(value, 3),
        "baseline_name": f"plain_delete_by_account_{label}_{backend}",
        "baseline": round(baseline, 3), "ratio": round(value / baseline, 3),
        "target": f"ratio <= {TARGET}", "meets": value / baseline <= TARGET,
        "details": {
            "account": ACCOUNT, "inference_logs": records, "batch": BATCH,
            "path": "deletion.start and deletion.confirm with no grace period (plan frozen, "
                    "account locked), then the erase job in this process: every source's "
                    "eraser until it returns 0, the plugin's own records, the recipients, "
                    "the account, the certificate",
            "per_source": ours[0]["per_source"],
            "confirm_s": [r["confirm_s"] for r in ours],
            "statistic": "median", "rounds": len(ours), "value_runs": _walls(ours),
            "baseline_runs": _walls(plain),
            "records_per_s": round(records / value), "baseline_records_per_s":
                round(records / baseline),
            "seed": {str(k): v for k, v in setup.items()}, "total_seconds": round(total, 1)}}
    statement = {
        "name": f"erasure_{label}_longest_statement_{backend}", "unit": "s",
        "value": round(longest, 4),
        "baseline_name": f"plain_delete_by_account_{label}_{backend}_statement",
        "baseline": round(max(r["longest_statement_s"] for r in plain), 4),
        "ratio": round(longest / max(r["longest_statement_s"] for r in plain), 4),
        "target": f"value < {STATEMENT_LIMIT_S:g}", "meets": longest < STATEMENT_LIMIT_S,
        "details": {"statement": worst["longest_statement"],
                    "longest_transaction_s": max(r["longest_transaction_s"] for r in ours),
                    "longest_write_s": max(r["longest_write_s"] for r in ours),
                    "statements": ours[0]["statements"],
                    "measured": "SQLAlchemy before/after_cursor_execute around every statement; "
                                "transactions from the begin to the commit event"}}
    write = max(r["longest_write_s"] for r in ours)
    plain_write = max(r["longest_write_s"] for r in plain)
    # a write holds its row locks to the end of its transaction; a read (MVCC) blocks no one
    locks = {
        "name": f"erasure_{label}_longest_write_{backend}", "unit": "s",
        "value": round(write, 4),
        "baseline_name": f"plain_delete_by_account_{label}_{backend}_write",
        "baseline": round(plain_write, 4), "ratio": round(write / plain_write, 4),
        "target": f"value < {STATEMENT_LIMIT_S:g}", "meets": write < STATEMENT_LIMIT_S,
        "details": {"longest_transaction_s": max(r["longest_transaction_s"] for r in ours),
                    "why": "the longest DELETE or UPDATE: the statement that holds row locks "
                           "(the longest statement of any kind, often a read, is reported "
                           "separately)"}}
    big, little = (_mb(max(r["peak_rss_kb"] for r in runs[k])) for k in ("erase", "small"))
    rss = {
        "name": f"erasure_{label}_peak_rss_{backend}", "unit": "MB", "value": big,
        "baseline_name": f"erasure_{_label(small)}_peak_rss_{backend}", "baseline": little,
        "ratio": round(big / little, 3), "target": f"ratio <= {RSS_GROWTH}",
        "meets": big / little <= RSS_GROWTH,
        "details": {"statistic": "max over the runs of the erasing child's VmHWM at its end",
                    "small_wall_s": round(_median(runs["small"]), 3)}}
    sweep, plain_sweep = runs["sweep"], runs["plain_sweep"]
    rows = sweep[0]["records"]
    rate, plain_rate = rows / _median(sweep), rows / _median(plain_sweep)
    retention = {
        "name": f"retention_sweep_{label}_{backend}", "unit": "rows/s", "value": round(rate),
        "baseline_name": f"plain_delete_by_date_{label}_{backend}",
        "baseline": round(plain_rate), "ratio": round(plain_rate / rate, 3),
        "target": f"ratio <= {SWEEP_TARGET} (ratio = baseline rows/s / ours)",
        "meets": plain_rate / rate <= SWEEP_TARGET,
        "details": {"rule": f"inference logs older than {SWEEP_DAYS} days", "rows": rows,
                    "path": sweep[0]["path"], "batch": BATCH,
                    "value_runs": _walls(sweep), "baseline_runs": _walls(plain_sweep),
                    "longest_statement_s": max(r["longest_statement_s"] for r in sweep),
                    "baseline_statement_s": max(r["longest_statement_s"] for r in plain_sweep)}}
    return [erase, statement, locks, rss, retention]


def bench_erasure(postgres: PostgresServer, records: int = RECORDS, small: int | None = None,
                  rounds: int = ROUNDS, backends: tuple[str, ...] = ("postgresql", "sqlite")
                  ) -> list[dict[str, Any]]:
    """Every entry of every backend, with a Redis of its own for the plugin's queue."""
    redis = RedisServer().start()
    os.environ["BENCH_REDIS_URL"] = redis.url
    try:
        return [entry for backend in backends
                for entry in bench_backend(backend, postgres, records, small, rounds)]
    finally:
        redis.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description="erasure and retention sweep benchmarks")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--small", type=int, help="the RSS comparison's size (records / 10)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.url)
        return
    started = time.perf_counter()
    with running_postgres() as postgres:
        entries = bench_erasure(postgres, args.records, args.small, args.rounds,
                                tuple(args.backends.split(",")))
    print(json.dumps(entries, indent=2))
    log(f"done in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
