"""Exporting a big account into S3-compatible object storage, for `make bench`.

The demo's acct-alice with 1,000,000 inference-log records on PostgreSQL, exported the way the
export job does it, into each archive store in the same run, on the same rows: the local folder
(the baseline: a part file renamed into place) and S3 (moto's S3 API server on loopback: a
multipart upload written as the archive is, STORAGE_PART_SIZE at a time). Each build runs in a
fresh child process; the wall time is taken in the child around the build, the peak RSS is the
child's VmHWM at its end. S3 is also run on a 100,000-record account: memory is flat when the
peak of the big run stays within 15% of the small one's, and within three parts of the local
folder's.

``python -m devtools.bench_storage`` runs it alone (its own PostgreSQL and moto server);
``--records``/``--small``/``--rounds`` shrink it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from devtools.bench_export import (
    ACCOUNT,
    NOW,
    RECORDS,
    ROUNDS,
    SMALL,
    _vm,
    log,
    prepare,
    warm,
)
from devtools.bench_export_report import _label, _mb
from devtools.services import ROOT, MotoServer, PostgresServer, running_postgres

BUCKET = "bench-exports"
PART_SIZE = 8 * 1024 * 1024
TIME_TARGET = 1.3
RSS_GROWTH = 1.15


def child(kind: str, url: str, out: str, endpoint: str) -> None:
    from demo.app import create_app
    from selfservice import Subject, archive
    from selfservice.storage import new_name
    from selfservice.storage.local import LocalStore

    settings: dict[str, Any] = {"DEMO_DATABASE_URL": url, "DEMO_CREATE_TABLES": False}
    app = create_app(settings)
    with app.app_context():
        sources = list(app.extensions["selfservice"].extension.sources)
        if kind == "s3":
            from selfservice.storage.s3 import S3Options, S3Store

            store: Any = S3Store(S3Options(
                bucket=BUCKET, prefix="bench/", endpoint_url=endpoint,
                region=MotoServer.REGION, access_key_id=MotoServer.ACCESS_KEY,
                secret_access_key=MotoServer.SECRET_KEY, part_size=PART_SIZE))
        else:
            store = LocalStore(out)
        rss_before = _vm("VmRSS")
        started = time.perf_counter()
        result = archive.build(store.create(new_name()), Subject(ACCOUNT), sources,
                               reference="BENCH-STORAGE", generated_at=NOW,
                               progress=lambda fraction, step: None)
        wall = time.perf_counter() - started
        opened = store.open(result.name)
        assert opened is not None and opened.size == result.bytes
        opened.stream.close()
        store.delete(result.name)
    print(json.dumps({"wall": wall, "bytes": result.bytes, "records": result.records,
                      "rss_before_kb": rss_before, "peak_rss_kb": _vm("VmHWM")}))


def run_child(kind: str, url: str, out: str, endpoint: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "devtools.bench_storage", "--child", kind, "--url", url,
               "--out", out, "--endpoint", endpoint]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} build failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench_storage(postgres: PostgresServer, records: int = RECORDS, small: int = SMALL,
                  rounds: int = ROUNDS) -> list[dict[str, Any]]:
    """The time entry and the RSS entry of S3 against the local folder, on PostgreSQL."""
    started = time.perf_counter()
    moto = MotoServer().start()
    folder = tempfile.mkdtemp(prefix="ss-bench-storage-")
    try:
        moto.client().create_bucket(Bucket=BUCKET)
        urls = {size: postgres.create_database(f"bench_storage_{size}")
                for size in (records, small)}
        for size, url in urls.items():
            setup = prepare(url, size)
            log(f"storage: seeded {size:,} inference logs in {setup['seed_seconds']}s")
            warm(url)
        runs: dict[str, list[dict[str, Any]]] = {"local": [], "s3": [], "s3_small": []}
        for round_ in range(rounds):
            for kind in ("local", "s3") if round_ % 2 == 0 else ("s3", "local"):
                report = run_child(kind, urls[records], folder, moto.url)
                runs[kind].append(report)
                log(f"storage round {round_ + 1}/{rounds}: {kind} {report['wall']:.2f}s, "
                    f"{report['bytes'] / 1e6:.1f} MB, peak RSS {_mb(report['peak_rss_kb'])} MB")
            runs["s3_small"].append(run_child("s3", urls[small], folder, moto.url))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        moto.stop()
    return _entries(records, small, runs, time.perf_counter() - started)


def _entries(records: int, small: int, runs: dict[str, list[dict[str, Any]]],
             total: float) -> list[dict[str, Any]]:
    s3, local, s3_small = runs["s3"], runs["local"], runs["s3_small"]
    value = statistics.median(r["wall"] for r in s3)
    baseline = statistics.median(r["wall"] for r in local)
    label = _label(records)
    common = {"account": ACCOUNT, "inference_logs": records, "records": s3[0]["records"],
              "archive_bytes": s3[0]["bytes"], "part_size_mb": PART_SIZE / 2 ** 20,
              "rounds": len(s3), "statistic": "median wall, max peak RSS",
              "store": "moto's S3 API server over HTTP on loopback (in-memory objects); "
                       "local: a folder on this machine's disk",
              "total_seconds": round(total, 1)}
    peak = _mb(max(r["peak_rss_kb"] for r in s3))
    local_peak = _mb(max(r["peak_rss_kb"] for r in local))
    small_peak = _mb(max(r["peak_rss_kb"] for r in s3_small))
    # what the build itself takes (boto3's import, before it, is the same for every export)
    grown = _mb(max(r["peak_rss_kb"] - r["rss_before_kb"] for r in s3))
    local_grown = _mb(max(r["peak_rss_kb"] - r["rss_before_kb"] for r in local))
    allowance = 3 * PART_SIZE / 2 ** 20
    meets = grown <= local_grown + allowance and peak <= RSS_GROWTH * small_peak
    return [{
        "name": f"export_{label}_s3_postgresql", "unit": "s", "value": round(value, 3),
        "baseline_name": f"export_{label}_local_folder_postgresql",
        "baseline": round(baseline, 3), "ratio": round(value / baseline, 3),
        "target": f"ratio <= {TIME_TARGET}", "meets": value / baseline <= TIME_TARGET,
        "details": {**common, "value_runs": [round(r["wall"], 3) for r in s3],
                    "baseline_runs": [round(r["wall"], 3) for r in local],
                    "records_per_s": round(s3[0]["records"] / value),
                    "baseline_records_per_s": round(local[0]["records"] / baseline)},
    }, {
        "name": f"export_{label}_s3_peak_rss_postgresql", "unit": "MB", "value": peak,
        "baseline_name": f"export_{label}_local_folder_peak_rss_postgresql",
        "baseline": local_peak, "ratio": round(peak / local_peak, 3),
        "target": f"the build's growth <= the local folder's + 3 parts ({allowance:g} MB), "
                  f"and value <= {RSS_GROWTH} x the {_label(small)} S3 export's peak",
        "meets": meets,
        "details": {**common, "value_runs": [_mb(r["peak_rss_kb"]) for r in s3],
                    "baseline_runs": [_mb(r["peak_rss_kb"]) for r in local],
                    "build_growth_mb": grown, "baseline_build_growth_mb": local_grown,
                    f"s3_{_label(small)}_peak_rss_mb": small_peak,
                    "growth_over_small": round(peak / small_peak, 3),
                    "rss_before_build_mb": _mb(s3[0]["rss_before_kb"]),
                    "baseline_rss_before_build_mb": _mb(local[0]["rss_before_kb"])},
    }]


def main() -> None:
    parser = argparse.ArgumentParser(description="export into S3 against the local folder")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--small", type=int, default=SMALL)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--child", choices=("local", "s3"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.out, args.endpoint)
        return
    with running_postgres() as postgres:
        print(json.dumps(bench_storage(postgres, args.records, args.small, args.rounds),
                         indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
