"""`make bench`: benchmarks, each against a baseline measured in the same run.

Writes bench-results.json at the repository root (shape in README). Figures are ratios because
these machines are noisy; `meets` is computed from the target, never typed.
"""

from __future__ import annotations

import json
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from devtools.bench_banner import bench_banner_size
from devtools.bench_consent import bench_training_eligibility
from devtools.bench_dpa import bench_dpa
from devtools.bench_erasure import bench_erasure
from devtools.bench_export import bench_export
from devtools.bench_storage import bench_storage
from devtools.bench_support import bench_support
from devtools.bench_web import bench_web
from devtools.services import ROOT, running_postgres, running_redis

JOBS = 400
ROUNDS = 3


def _best(run: Callable[[], float]) -> tuple[float, list[float]]:
    times = [run() for _ in range(ROUNDS)]
    return min(times), times


def bench_outbox(backend: str, url: str, redis_url: str) -> dict[str, Any]:
    """Asking for background work through the transactional outbox (job row + audit event,
    commit, then enqueue and mark enqueued) against the naive way: insert a row and enqueue
    to RQ inside the transaction (which loses or orphans work when either side fails)."""
    from demo.app import create_app
    from selfservice import migrate
    from selfservice.services import outbox

    app = create_app({"DEMO_DATABASE_URL": url, "SELFSERVICE_REDIS_URL": redis_url,
                      "SELFSERVICE_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:6]}"})
    state = app.extensions["selfservice"]
    plain = sa.Table("bench_plain_jobs", sa.MetaData(),
                     sa.Column("id", sa.String(32), primary_key=True),
                     sa.Column("kind", sa.String(64)), sa.Column("status", sa.String(16)))
    with app.app_context():
        migrate.upgrade()
        plain.create(state.db.engine, checkfirst=True)

        def outbox() -> float:
            started = time.perf_counter()
            for _ in range(JOBS):
                with state.db.transaction() as session:
                    outbox.schedule(session, "diagnostics.ping")
            return time.perf_counter() - started

        def naive() -> float:
            queue = state.queue.queue()
            started = time.perf_counter()
            for _ in range(JOBS):
                job_id = uuid.uuid4().hex
                with state.db.engine.begin() as connection:
                    connection.execute(plain.insert().values(id=job_id, kind="diagnostics.ping",
                                                             status="queued"))
                    queue.enqueue("selfservice.outbox.runner.run", job_id, job_id=job_id)
            return time.perf_counter() - started

        naive()  # warm both paths once
        outbox()
        baseline, baseline_runs = _best(naive)
        value, value_runs = _best(outbox)
        state.queue.queue().empty()
    state.db.engine.dispose()
    ratio = value / baseline
    return {
        "name": f"outbox_schedule_{backend}", "unit": "s", "value": round(value, 4),
        "baseline_name": f"naive_insert_and_enqueue_{backend}", "baseline": round(baseline, 4),
        "ratio": round(ratio, 3), "target": "ratio <= 3.0", "meets": ratio <= 3.0,
        "details": {"jobs": JOBS, "rounds": ROUNDS, "best_of": "min",
                    "value_runs": [round(t, 4) for t in value_runs],
                    "baseline_runs": [round(t, 4) for t in baseline_runs],
                    "ms_per_job": round(value / JOBS * 1000, 3),
                    "baseline_ms_per_job": round(baseline / JOBS * 1000, 3),
                    "median_ratio": round(statistics.median(value_runs)
                                          / statistics.median(baseline_runs), 3)},
    }


def main() -> None:
    results = [bench_banner_size(), bench_dpa()]
    with running_redis() as redis, running_postgres() as postgres:
        with tempfile.TemporaryDirectory() as folder:
            results.append(bench_outbox("sqlite", f"sqlite:///{folder}/bench.sqlite3",
                                        redis.url))
        results.append(bench_outbox("postgresql", postgres.create_database("bench"),
                                    redis.url))
        results.append(bench_training_eligibility(postgres.create_database("bench_consent")))
        results.extend(bench_export(postgres))
        results.extend(bench_storage(postgres))
        results.extend(bench_erasure(postgres))
        results.extend(bench_support(postgres, redis.url))
        results.extend(bench_web(postgres, redis.url))
    report = {"machine": f"{platform.node()} {platform.machine()} {platform.processor()}".strip(),
              "when": datetime.now(UTC).isoformat(timespec="seconds"), "benchmarks": results}
    (ROOT / "bench-results.json").write_text(json.dumps(report, indent=2) + "\n")
    for entry in results:
        unit = entry["unit"]
        verdict = {True: "meets", False: "MISSES", None: "reported"}[entry["meets"]]
        print(f"{entry['name']}: {entry['value']} {unit} vs {entry['baseline_name']} "
              f"{entry['baseline']} {unit}, ratio {entry['ratio']} ({entry['target']}: "
              f"{verdict})")


if __name__ == "__main__":
    main()
