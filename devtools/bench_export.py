"""Exporting a big account, for `make bench`.

The demo's acct-alice with 1,000,000 inference-log records (plus every other registered source:
profile, keys, invoices, GPU jobs, consent ledger...; JSON Lines only), on PostgreSQL and on
SQLite: wall time, records/s, archive bytes and the peak RSS of the process that builds the
archive. In the same run, on the same rows:

* the baseline: one plain query over alice's inference logs through a server-side cursor
  (``stream_results``/``yield_per``), ``json.dumps`` per row (the same encoder settings as the
  archive, so the output is byte-identical), written as JSON lines into a ZIP entry with the
  standard library at the same level (deflate 6), in a single thread;
* the native limit (PostgreSQL only): ``COPY (SELECT row_to_json(t) ...) TO STDOUT`` of the same
  rows piped through ``gzip -6``, which writes the very bytes of our data file (checked).

On PostgreSQL the time entry is measured against the native limit (ours is the demo's path:
its big sources hand over JSON lines the database writes with COPY) and the plain baseline's
ratio stays in ``details``; on SQLite, which has no COPY, against the plain baseline. The
rounds are interleaved (the order alternates) and each run notes the load average, so
``details`` says how noisy the machine was: every round's ratio, their spread, the load.

Every build (ours, the baseline, the native pipe) runs in a fresh child process; the wall time
is taken inside the child around the build only, the peak RSS is the child's VmHWM at
its end. Ours is also run on a 100,000-record account for the RSS comparison (the peak of the
1,000,000-record run must stay within 15% of it, and under 128 MB).

``python -m devtools.bench_export`` runs it alone (its own PostgreSQL) and prints the entries;
``--records``/``--small``/``--rounds``/``--backends`` shrink it; ``--profile`` adds a cProfile
of one build of ours per backend (top functions by own time).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from devtools.bench_export_report import (
    ACCOUNT,
    BASELINE_YIELD_PER,
    ENTRY,
    LEVEL,
    _mb,
    check_baseline,
    check_native,
    check_ours,
    entries,
    entry_info,
)
from devtools.services import ROOT, PostgresServer, running_postgres

RECORDS = 1_000_000
SMALL = 100_000
ROUNDS = 3
#: fixed, so the seeded rows (and the archives) are the same on every run
NOW = datetime(2025, 6, 1, tzinfo=UTC)
COLUMNS = ("id", "created_at", "model", "endpoint", "prompt_tokens", "completion_tokens",
           "latency_ms", "status_code", "request_body", "response_body")


def log(message: str) -> None:
    print(f"[bench_export] {message}", file=sys.stderr, flush=True)


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (gzip), user and system."""
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def _vm(field: str) -> int:
    """A field of /proc/self/status, kB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# -- the data ---------------------------------------------------------------------------------

def prepare(url: str, records: int) -> dict[str, Any]:
    """Migrate and seed a fresh database (demo.seed, alice with ``records`` inference logs),
    then let the database settle as it would after a bulk load (VACUUM ANALYZE / ANALYZE)."""
    from demo.app import create_app
    from demo.models import InferenceLog
    from demo.seed import seed
    from selfservice import migrate

    app = create_app({"DEMO_DATABASE_URL": url})
    engine: sa.Engine = app.extensions["demo"].engine
    started = time.perf_counter()
    with app.app_context():
        migrate.upgrade()
        counts = seed(engine, inference_logs=records, now=NOW)
    seeded = time.perf_counter() - started
    with engine.connect() as connection:
        alice = connection.scalar(sa.select(sa.func.count()).select_from(InferenceLog)
                                  .where(InferenceLog.account_id == ACCOUNT))
    engine.dispose()
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE)")
        engine.dispose()
    else:
        import sqlite3

        with contextlib.closing(sqlite3.connect(engine.url.database or "",
                                                isolation_level=None)) as connection:
            connection.execute("ANALYZE")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if alice != records:
        raise AssertionError(f"seeded {alice:,} inference logs for {ACCOUNT}, not {records:,}")
    return {"seed_seconds": round(seeded, 1), "seeded_rows": sum(counts.values()),
            "settle_seconds": round(time.perf_counter() - started, 1)}


def warm(url: str) -> None:
    """Read every heap page of alice's rows once, so no run pays for a cold cache."""
    from selfservice.db import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "SELECT sum(length(coalesce(request_body, '')) + length(coalesce(response_body, "
            "''))) FROM inference_logs WHERE account_id = 'acct-alice'")
    engine.dispose()


# -- the children: each builds one archive and reports ------------------------------------------

def child_ours(url: str, out: str, profile: bool) -> dict[str, Any]:
    from demo.app import create_app
    from selfservice import Subject, archive

    app = create_app({"DEMO_DATABASE_URL": url, "DEMO_CREATE_TABLES": False})
    with app.app_context():
        sources = list(app.extensions["selfservice"].extension.sources)
        rss_before = _vm("VmRSS")
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        seen: list[float] = []

        def progress(fraction: float, step: str) -> None:
            # the export job passes one too (which also makes the sources count their records)
            seen.append(fraction)

        cpu = _cpu()
        started = time.perf_counter()
        result = archive.build(out, Subject(ACCOUNT), sources, reference="BENCH-EXPORT",
                               generated_at=NOW, csv_files=False, progress=progress)
        wall = time.perf_counter() - started
        cpu = _cpu() - cpu
        if not seen or seen[-1] != 1.0 or seen != sorted(seen):
            raise AssertionError(f"progress went {seen[:3]}...{seen[-3:]}, not up to 1.0")
        if profiler is not None:
            profiler.disable()
    report: dict[str, Any] = {
        "wall": wall, "cpu": cpu, "bytes": result.bytes, "records": result.records,
        "per_source": {e.source.name: e.records for e in result.sources},
        "copy_sources": [s.name for s in sources if s.export_chunks is not None],
        "rss_before_kb": rss_before, "progress_calls": len(seen)}
    if profiler is not None:
        import io
        import pstats

        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        report["profile"] = text.getvalue()
    return report


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot export a {type(value).__name__}")


def child_baseline(url: str, out: str) -> dict[str, Any]:
    """One query, server-side cursor, json.dumps per row, zipfile at the same level, one
    thread. The encoder is built once with the archive's settings (compact separators, UTF-8
    kept), which json.dumps with those arguments would rebuild per row."""
    import io

    from demo.models import InferenceLog
    from selfservice.db import create_engine

    engine = create_engine(url)
    statement = (sa.select(*(getattr(InferenceLog, name) for name in COLUMNS))
                 .where(InferenceLog.account_id == ACCOUNT)
                 .order_by(InferenceLog.created_at, InferenceLog.id))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_iso).encode
    rss_before = _vm("VmRSS")
    cpu = _cpu()
    started = time.perf_counter()
    rows = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=LEVEL) as archive, engine.connect() as connection:
        info = zipfile.ZipInfo(ENTRY, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        result = connection.execution_options(
            stream_results=True, yield_per=BASELINE_YIELD_PER).execute(statement)
        with archive.open(info, "w", force_zip64=True) as raw, \
                io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text:
            for row in result:
                text.write(dumps(dict(row._mapping)) + "\n")
                rows += 1
    wall = time.perf_counter() - started
    cpu = _cpu() - cpu
    engine.dispose()
    return {"wall": wall, "cpu": cpu, "bytes": os.path.getsize(out), "records": rows,
            "rss_before_kb": rss_before}


def native_sql() -> str:
    columns = ", ".join(COLUMNS)
    return (f"COPY (SELECT row_to_json(t) FROM (SELECT {columns} FROM inference_logs "  # noqa: S608
            f"WHERE account_id = '{ACCOUNT}' ORDER BY created_at, id) t) TO STDOUT "
            # csv with quote and delimiter bytes JSON never holds: the lines go out verbatim
            # (text format would double every backslash of the JSON escapes)
            "WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')")


def child_native(url: str, out: str) -> dict[str, Any]:
    import psycopg

    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    rss_before = _vm("VmRSS")
    cpu = _cpu()
    started = time.perf_counter()
    with open(out, "wb") as sink, psycopg.connect(conninfo, options="-c TimeZone=UTC") as \
            connection, connection.cursor() as cursor:
        gzip = subprocess.Popen(["gzip", f"-{LEVEL}", "-c"], stdin=subprocess.PIPE,
                                stdout=sink)
        assert gzip.stdin is not None
        with cursor.copy(native_sql()) as copy:
            for block in copy:
                gzip.stdin.write(block)
        gzip.stdin.close()
        if gzip.wait() != 0:
            raise RuntimeError(f"gzip exited with {gzip.returncode}")
    wall = time.perf_counter() - started
    cpu = _cpu() - cpu
    return {"wall": wall, "cpu": cpu, "bytes": os.path.getsize(out),
            "rss_before_kb": rss_before}


def child_main(kind: str, url: str, out: str, profile: bool) -> None:
    if kind == "ours":
        report = child_ours(url, out, profile)
    elif kind == "baseline":
        report = child_baseline(url, out)
    else:
        report = child_native(url, out)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so a child of a big parent
    # would report the parent's peak
    report["peak_rss_kb"] = _vm("VmHWM")
    report["ru_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(report))


def run_child(kind: str, url: str, out: str, profile: bool = False) -> dict[str, Any]:
    command = [sys.executable, "-m", "devtools.bench_export", "--child", kind, "--url", url,
               "--out", out]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} build failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the bench ----------------------------------------------------------------------------------

def _databases(backend: str, postgres: PostgresServer | None, folder: str,
               sizes: list[int]) -> dict[int, str]:
    urls = {}
    for size in sizes:
        if backend == "postgresql":
            assert postgres is not None
            urls[size] = postgres.create_database(f"bench_export_{size}")
        else:
            urls[size] = f"sqlite:///{folder}/export_{size}.sqlite3"
    return urls


def bench_backend(backend: str, postgres: PostgresServer | None, records: int = RECORDS,
                  small: int = SMALL, rounds: int = ROUNDS,
                  profile: bool = False) -> list[dict[str, Any]]:
    """The time entry and the RSS entry (the shape README describes) of one backend."""
    bench_started = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="ss-bench-export-")
    try:
        urls = _databases(backend, postgres, folder, [records, small])
        setup = {}
        for size, url in urls.items():
            setup[size] = prepare(url, size)
            log(f"{backend}: seeded {size:,} inference logs ({setup[size]['seeded_rows']:,} rows)"
                f" in {setup[size]['seed_seconds']}s, settled in "
                f"{setup[size]['settle_seconds']}s")
        kinds = ["ours", "baseline"] + (["native"] if backend == "postgresql" else [])
        runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        small_runs: dict[str, list[dict[str, Any]]] = {"ours": [], "baseline": []}
        suffix = {"ours": "zip", "baseline": "zip", "native": "jsonl.gz"}
        warm(urls[records])
        warm(urls[small])
        for round_ in range(rounds):
            order = kinds if round_ % 2 == 0 else kinds[::-1]
            paths = {}
            for kind in order:
                paths[kind] = os.path.join(folder, f"{kind}-{round_}.{suffix[kind]}")
                load = os.getloadavg()[0]
                report = run_child(kind, urls[records], paths[kind])
                report["load"] = round((load + os.getloadavg()[0]) / 2, 2)
                runs[kind].append(report)
                log(f"{backend} round {round_ + 1}/{rounds}: {kind} {report['wall']:.2f}s, "
                    f"{report['bytes'] / 1e6:.1f} MB, peak RSS {_mb(report['peak_rss_kb'])} MB")
            started = time.perf_counter()
            check_ours(paths["ours"], records, full=round_ == 0)
            if round_ == 0:
                check_baseline(paths["baseline"], records, paths["ours"])
                if "native" in paths:
                    check_native(paths["native"], records, paths["ours"])
                expected_crc = entry_info(paths["ours"]).CRC
                log(f"{backend}: checked the outputs in {time.perf_counter() - started:.1f}s")
            elif {entry_info(paths["ours"]).CRC, entry_info(paths["baseline"]).CRC} != {
                    expected_crc}:
                raise AssertionError(f"round {round_ + 1} wrote other inference logs")
            for path in paths.values():
                os.unlink(path)
        for round_ in range(rounds):
            # ours as often as the big runs (its peak is the figure); the baseline once
            small_kinds = ("ours", "baseline") if round_ == 0 else ("ours",)
            for kind in small_kinds:
                path = os.path.join(folder, f"small-{kind}.zip")
                small_runs[kind].append(run_child(kind, urls[small], path))
                if kind == "ours":
                    check_ours(path, small, full=round_ == 0)
                os.unlink(path)
        log(f"{backend}: {small:,}-record runs: ours peak RSS "
            f"{[_mb(r['peak_rss_kb']) for r in small_runs['ours']]} MB")
        profile_text = None
        if profile:
            path = os.path.join(folder, "profiled.zip")
            profile_text = run_child("ours", urls[records], path, profile=True)["profile"]
            os.unlink(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return entries(backend, records, small, runs, small_runs, setup, profile_text,
                    time.perf_counter() - bench_started)


def bench_export(postgres: PostgresServer, records: int = RECORDS, small: int = SMALL,
                 rounds: int = ROUNDS, backends: tuple[str, ...] = ("postgresql", "sqlite"),
                 profile: bool = False) -> list[dict[str, Any]]:
    """Every entry of every backend; ``postgres`` is a running server to make databases in."""
    results = []
    for backend in backends:
        results.extend(bench_backend(backend, postgres, records, small, rounds, profile))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description="export of a 1,000,000-record account against a plain baseline")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--small", type=int, default=SMALL)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--profile", action="store_true",
                        help="add a cProfile of one build of ours per backend")
    parser.add_argument("--child", choices=("ours", "baseline", "native"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.url, args.out, args.profile)
        return
    started = time.perf_counter()
    with running_postgres() as postgres:
        entries = bench_export(postgres, args.records, args.small, args.rounds,
                               tuple(args.backends.split(",")), args.profile)
    profiles = {e["name"]: e["details"].pop("profile") for e in entries
                if "profile" in e["details"]}
    print(json.dumps(entries, indent=2))
    for name, text in profiles.items():
        print(f"\n-- profile of {name}\n{text}")
    log(f"done in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
