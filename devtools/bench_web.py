"""What the plugin costs a console under load, for ``make bench``.

The demo console runs under gunicorn on loopback with the production settings
(devtools/gunicorn_conf.py), on PostgreSQL, with Redis and the development OpenID provider.
wrk (devtools/loadgen.py) holds a fixed number of keep-alive connections for a fixed time on:

(a) ``GET /``, a console page as a new visitor gets it: the cookie banner rendered, the
    enforcement hooks active;
(b) ``GET /privacy/api/v1/preferences`` with a session made by a real sign-in through the
    provider (no shortcut: login form, consent, callback, a session opened on the server);
(c) ``POST /privacy/api/v1/training-eligibility`` with 1,000 ids of a 10,000-account consent
    ledger (the demo's service token), its answer checked against a brute force first;

and, in the same processes and the same rounds, a bare Flask endpoint without the plugin that
reads one row by primary key (devtools/bench_wsgi.py): every figure is a ratio of that one. The
rounds interleave the four (in a rotating order); the figures are medians over the rounds.
A trivial endpoint measured first says how far the generator reaches on this machine.

    python -m devtools.bench_web [--seconds S] [--connections N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from devtools import loadgen
from devtools.services import (
    ROOT,
    OidcProvider,
    PostgresServer,
    free_port,
    running_postgres,
    running_redis,
    wait_for_port,
)
from devtools.signin import sign_in

CONNECTIONS = int(os.environ.get("BENCH_WEB_CONNECTIONS", "8"))
SECONDS = float(os.environ.get("BENCH_WEB_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_WEB_ROUNDS", "3"))
WARMUP_SECONDS = 2.0
LEDGER_ACCOUNTS = 10_000
IDS = 1_000
RATIO_TARGET = 0.5
P99_TARGET_MS = 50.0
API = "/privacy/api/v1"
TOKEN = "demo-pipeline-token"  # noqa: S105  (the demo's published service token)
BASELINE_PATH = "/bench-baseline/accounts/acct-alice"


def log(message: str) -> None:
    print(f"[bench_web] {message}", file=sys.stderr, flush=True)


@dataclass
class Target:
    name: str
    path: str
    method: str | None = None
    body: bytes | None = None
    headers: tuple[str, ...] = ()
    runs: list[dict[str, Any]] = field(default_factory=list)

    def median(self, key: str) -> float:
        return float(statistics.median(run[key] for run in self.runs))


def prepare(config: dict[str, Any], instance: str) -> tuple[list[str], dict[str, bool]]:
    """Migrate, seed the demo, load a consent ledger; the ids (c) asks about and the brute
    force's answers for them."""
    from demo.app import create_app
    from demo.seed import seed
    from devtools.bench_consent import AS_OF, eligible_as_of, generate, load
    from selfservice import migrate

    app = create_app(config, instance_path=instance)
    engine = app.extensions["demo"].engine
    with app.app_context():
        migrate.upgrade()
        seed(engine, inference_logs=1_000)
    accounts = list(generate(LEDGER_ACCOUNTS))
    flags = {a.account_id: eligible_as_of(a.training, AS_OF) for a in accounts}
    load(engine, accounts, flags)
    engine.dispose()
    ids = [a.account_id for a in accounts[:: LEDGER_ACCOUNTS // IDS]][:IDS]
    return ids, {i: flags[i] for i in ids}


def serve(env: dict[str, str], port: int, folder: Path) -> subprocess.Popen[bytes]:
    with open(folder / "gunicorn.log", "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:devtools.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", "devtools.bench_wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, timeout=60, process=process)
    return process


def targets(console: str, issuer: str, ids: list[str], expected: dict[str, bool]
            ) -> tuple[Target, list[Target]]:
    """The four targets, each checked once by hand before any load: a fast wrong answer is no
    result."""
    from devtools.bench_consent import AS_OF

    baseline = Target("bare_flask_pk_read", BASELINE_PATH)
    answer = requests.get(console + BASELINE_PATH, timeout=60)
    assert answer.status_code == 200 and answer.json()["id"] == "acct-alice", answer.text

    page = requests.get(console + "/", timeout=30)
    assert page.status_code == 200 and 'id="ss-cookies"' in page.text, "no cookie banner"

    session = sign_in(console, issuer, "alice@example.com")
    cookie = next(c for c in session.cookies if c.name == "session" and c.port is None
                  and c.value)
    prefs = session.get(f"{console}{API}/preferences", timeout=10)
    assert prefs.status_code == 200 and "training_opt_in" in prefs.json(), prefs.text

    body = json.dumps({"account_ids": ids, "as_of": AS_OF.isoformat()}).encode()
    bearer = f"Authorization: Bearer {TOKEN}"
    answer = requests.post(f"{console}{API}/training-eligibility", data=body, timeout=30,
                           headers={"Authorization": f"Bearer {TOKEN}",
                                    "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["eligible"] == expected, "eligibility disagrees with the brute force"
    return baseline, [
        Target("console_page", "/"),
        # the browser that signed in: Flask-Login's session protection marks a session whose
        # User-Agent changed as not fresh, which rewrites the cookie on every answer
        Target("preferences_api", f"{API}/preferences",
               headers=(f"Cookie: session={cookie.value}",
                        f"User-Agent: {session.headers['User-Agent']}")),
        Target("training_eligibility_1000", f"{API}/training-eligibility", method="POST",
               body=body, headers=(bearer, "Content-Type: application/json")),
    ]


def measure(console: str, server: subprocess.Popen[bytes], every: list[Target],
            connections: int, seconds: float, rounds: int) -> dict[str, Any]:
    def once(target: Target, duration: float) -> dict[str, Any]:
        return loadgen.run(console + target.path, connections=connections, duration=duration,
                           method=target.method, body=target.body, headers=target.headers,
                           server_pid=server.pid)

    ceiling = once(Target("trivial", "/bench-baseline/hello"), seconds)
    log(f"generator against a trivial endpoint: {ceiling['rps']} req/s, wrk "
        f"{ceiling['wrk_cores']} cores, server {ceiling['server_cores']} cores")
    for target in every:
        once(target, WARMUP_SECONDS)
    for round_ in range(rounds):
        shift = round_ % len(every)
        for target in every[shift:] + every[:shift]:
            run = once(target, seconds)
            if run["errors"]:
                raise AssertionError(f"{target.name}: {run['errors']} errors under load")
            target.runs.append(run)
            log(f"round {round_ + 1}: {target.name} {run['rps']} req/s, p50 {run['p50_ms']} ms,"
                f" p99 {run['p99_ms']} ms, load {os.getloadavg()[0]:.2f}")
    return ceiling


def _figures(target: Target) -> dict[str, Any]:
    return {"rps": round(target.median("rps"), 1), "p50_ms": round(target.median("p50_ms"), 2),
            "p99_ms": round(target.median("p99_ms"), 2),
            "server_cores": round(target.median("server_cores"), 2),
            "wrk_cores": round(target.median("wrk_cores"), 3),
            "runs": [{k: run[k] for k in ("rps", "p50_ms", "p99_ms", "requests")}
                     for run in target.runs]}


def entries(backend: str, baseline: Target, measured: list[Target],
            common: dict[str, Any]) -> list[dict[str, Any]]:
    base = _figures(baseline)
    results = []
    for target in measured:
        ours = _figures(target)
        details = {"path": target.path, "value": ours, "baseline": base, **common}
        if target.name.startswith("training_eligibility"):
            ids_per_s = ours["rps"] * IDS
            results.append({
                "name": f"web_{target.name}_{backend}", "unit": "ids/s",
                "value": round(ids_per_s), "baseline_name": f"{baseline.name} rows/s",
                "baseline": base["rps"], "ratio": round(ids_per_s / base["rps"], 3),
                "target": "reported (no target)", "meets": None, "details": details})
            continue
        ratio = ours["rps"] / base["rps"]
        results.append({
            "name": f"web_{target.name}_{backend}", "unit": "req/s", "value": ours["rps"],
            "baseline_name": f"{baseline.name}_{backend}", "baseline": base["rps"],
            "ratio": round(ratio, 3),
            "target": f"ratio >= {RATIO_TARGET} and p99 < {P99_TARGET_MS:g} ms",
            "meets": ratio >= RATIO_TARGET and ours["p99_ms"] < P99_TARGET_MS,
            "details": details})
    return results


def bench_web(postgres: PostgresServer, redis_url: str, *, connections: int = CONNECTIONS,
              seconds: float = SECONDS, rounds: int = ROUNDS) -> list[dict[str, Any]]:
    if loadgen.available() is None:
        raise RuntimeError("wrk is not installed (make system-deps installs it)")
    port = free_port()
    console = f"http://127.0.0.1:{port}"
    provider = OidcProvider(clients=[{
        "client_id": "selfservice-demo", "client_secret": "selfservice-demo-secret",
        "redirect_uris": [f"{console}/auth/callback"],
        "post_logout_redirect_uris": [f"{console}/"]}]).start()
    server: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        try:
            url = postgres.create_database("bench_web")
            prefix = f"bench-{uuid.uuid4().hex[:6]}"
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SELFSERVICE_", "DEMO_", "FLASK_"))}
            env.update(DEMO_DATABASE_URL=url, DEMO_SECRET_KEY=secrets.token_hex(32),
                       DEMO_INSTANCE_PATH=folder, SELFSERVICE_REDIS_URL=redis_url,
                       SELFSERVICE_QUEUE_NAME=prefix, SELFSERVICE_QUEUE_PREFIX=prefix,
                       SELFSERVICE_OIDC_ISSUER=provider.issuer, SELFSERVICE_PUBLIC_URL=console,
                       GUNICORN_ACCESS_LOG=str(Path(folder) / "access.log"))
            log("seeding the demo and a 10,000-account consent ledger")
            ids, expected = prepare({"DEMO_DATABASE_URL": url, "SELFSERVICE_REDIS_URL": redis_url,
                                     "SECRET_KEY": env["DEMO_SECRET_KEY"]}, folder)
            server = serve(env, port, Path(folder))
            baseline, measured = targets(console, provider.issuer, ids, expected)
            load_before = os.getloadavg()
            ceiling = measure(console, server, [baseline, *measured], connections, seconds,
                              rounds)
            load_after = os.getloadavg()
        finally:
            if server is not None:
                server.terminate()
                server.wait(40)
            provider.stop()
    from devtools import gunicorn_conf

    common = {
        "backend": "postgresql", "connections": connections, "seconds_per_run": seconds,
        "rounds": rounds, "statistic": "median over rounds (rotating order)",
        "generator": {"tool": "wrk -t1 (keep-alive)", "trivial_endpoint": ceiling},
        "gunicorn": {"workers": gunicorn_conf.workers, "threads": gunicorn_conf.threads,
                     "worker_class": gunicorn_conf.worker_class},
        "cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }
    return entries("postgresql", baseline, measured, common)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    with running_redis() as redis, running_postgres() as postgres:
        results = bench_web(postgres, redis.url, connections=args.connections,
                            seconds=args.seconds, rounds=args.rounds)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
