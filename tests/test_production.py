"""The production layout: the demo served by gunicorn (and stopped by one Ctrl-C), an access
log without personal data, the load balancer's liveness and readiness checks, and each worker's
heartbeat."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from devtools.services import ROOT, free_port, wait_for_port
from selfservice.services import diagnostics

from .helpers import Person, Worker

API = "/privacy/api/v1"
#: a line of the access log devtools/gunicorn_conf.py writes
ACCESS_LINE = re.compile(r"^\[\d\d/\w{3}/\d{4}:[\d:]+ [+-]\d{4}\] (\w+) (\S+) (\d{3}) ")


def test_liveness_answers_without_the_database_and_readiness_says_it_is_gone(
        tmp_path: Path) -> None:
    """A web process whose database does not answer is alive (no restart helps it) but not
    ready (the load balancer sends its traffic elsewhere)."""
    from demo.app import create_app

    app = create_app({"DEMO_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:"
                                           f"{free_port()}/gone",
                      "DEMO_CREATE_TABLES": False, "SECRET_KEY": secrets.token_hex(32),
                      "SELFSERVICE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                      "SELFSERVICE_REDIS_SOCKET_TIMEOUT": 1}, instance_path=str(tmp_path))
    client = app.test_client()
    live = client.get(f"{API}/health/live")
    assert (live.status_code, live.json) == (200, {"status": "ok"})
    assert live.headers["Cache-Control"] == "no-store"
    ready = client.get(f"{API}/health/ready")
    assert (ready.status_code, ready.json) == (503, {"status": "degraded"})
    with app.app_context():
        assert diagnostics.readiness()["database"]["ok"] is False


def test_readiness_is_the_database_only(app: Flask, client: Any) -> None:
    """No worker runs and nothing was ever dispatched: /health is degraded, but the web process
    is ready to serve."""
    assert client.get(f"{API}/health").status_code == 503
    ready = client.get(f"{API}/health/ready")
    assert (ready.status_code, ready.json) == (200, {"status": "ok"})
    with app.app_context():
        report = diagnostics.readiness()
    assert report["database"]["ok"] is True and report["database"]["ms"] >= 0


def _health(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["selfservice", "health", *args])
    return result.exit_code, result.output


def _wait(check: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


@pytest.mark.backends("sqlite")  # heartbeats live in Redis: the database makes no difference
def test_every_worker_beats_and_a_dispatcher_alone_too(
        app: Flask, start_worker: Callable[..., Worker]) -> None:
    """A worker without the dispatcher thread still says it lives; /health is degraded until
    something sweeps the outbox (here `dispatch --loop`); `health --worker NAME` checks one."""
    worker = start_worker("worker", "--no-dispatcher", "--name", "plain-worker")
    with app.app_context():
        assert _wait(lambda: diagnostics.health()["workers"]["alive"] == 1), worker.output()
        report = diagnostics.health()
    assert report["status"] == "degraded"
    assert report["workers"]["dispatchers"] == 0
    [beat] = report["workers"]["processes"]
    assert (beat["name"], beat["role"], beat["dispatches"]) == ("plain-worker", "worker", False)
    code, output = _health(app, "--worker", "plain-worker")
    assert code == 0 and '"alive": true' in output
    assert _health(app, "--worker", "someone-else")[0] == 1

    dispatcher = start_worker("dispatch", "--loop")
    with app.app_context():
        assert _wait(lambda: diagnostics.health()["status"] == "ok"), dispatcher.output()
        roles = sorted(p["role"] for p in diagnostics.health()["workers"]["processes"])
    assert roles == ["dispatcher", "worker"]
    assert _health(app)[0] == 0

    assert worker.stop() == 0
    assert dispatcher.stop() == 0
    with app.app_context():  # both said goodbye: nothing waits for their heartbeats to expire
        assert diagnostics.health()["workers"]["processes"] == []
    assert _health(app, "--worker", "plain-worker")[0] == 1


def _start_demo(tmp_path: Path) -> tuple[subprocess.Popen[bytes], dict[str, int], Path]:
    ports = {name: free_port() for name in ("DEMO_PORT", "DEMO_OIDC_PORT", "DEMO_REDIS_PORT",
                                            "DEMO_MAIL_PORT")}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SELFSERVICE_", "DEMO_", "FLASK_"))}
    env.update({k: str(v) for k, v in ports.items()})
    env.update(DEMO_INSTANCE_PATH=str(tmp_path / "instance"), DEMO_INFERENCE_LOGS="500",
               WEB_CONCURRENCY="2", GUNICORN_THREADS="2")
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "devtools.demo"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return process, ports, log


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_demo_runs_under_gunicorn_logs_no_personal_data_and_stops_on_ctrl_c(
        tmp_path: Path) -> None:
    demo, ports, log = _start_demo(tmp_path)
    console = f"http://127.0.0.1:{ports['DEMO_PORT']}"
    try:
        wait_for_port(ports["DEMO_PORT"], timeout=180, process=demo)
        # gunicorn listens before its processes have built the app (keys made on a first
        # start, on a busy machine, take a while): the first answer may be slow
        home = requests.get(console + "/", timeout=180)
        assert home.status_code == 200 and home.headers["Server"] == "gunicorn"
        assert 'id="ss-cookies"' in home.text  # the cookie banner, a decision being due

        alice = Person(console, f"http://127.0.0.1:{ports['DEMO_OIDC_PORT']}")
        page = alice.login("alice@example.com", next_path="/privacy/")
        assert page.url == console + "/privacy/"
        assert alice.me()["email"] == "alice@example.com"
        assert requests.get(f"{console}{API}/health/live", timeout=10).status_code == 200
        assert requests.get(f"{console}{API}/health/ready", timeout=10).status_code == 200
        token = {"Authorization": "Bearer demo-pipeline-token"}
        assert _wait(lambda: requests.get(f"{console}{API}/health", headers=token,
                                          timeout=10).status_code == 200), log.read_text()
    finally:
        demo.send_signal(signal.SIGINT)  # what Ctrl-C sends (the terminal sends it to all)
        try:
            returncode = demo.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            raise
    output = log.read_text(errors="replace")
    assert returncode == 0, output[-3000:]
    assert _wait(lambda: _group_gone(demo.pid), timeout=10), "a process of the demo is left"

    access = [m for m in map(ACCESS_LINE.match, output.splitlines()) if m]
    paths = {(m[1], m[2]) for m in access}
    assert {("GET", "/"), ("GET", "/auth/login"), ("GET", "/auth/callback"),
            ("GET", "/privacy/")} <= paths, output[-3000:]
    lines = "\n".join(m.string for m in access)
    # no query string (the login's next=, the provider's one-time code=), address or e-mail
    for leak in ("?", "next=", "code=", "127.0.0.1", "alice", "python-requests"):
        assert leak not in lines, f"{leak!r} in the access log:\n{lines}"


def test_the_load_generator_sends_the_body_and_counts_what_failed() -> None:
    """make bench's wrk wrapper: the method, body and headers it is given reach the server, and
    an answer of 4xx counts as an error (a fast wrong answer is no result)."""
    import threading

    from werkzeug.serving import make_server

    from devtools import loadgen

    seen: list[tuple[str, bytes, str]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen.append((environ["REQUEST_METHOD"], body, environ.get("HTTP_X_BENCH", "")))
        status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = loadgen.run(f"http://127.0.0.1:{port}/", connections=2, duration=1,
                          method="POST", body=b'{"ids": [1]}', headers=("X-Bench: yes",))
        missing = loadgen.run(f"http://127.0.0.1:{port}/missing", connections=1, duration=1)
    finally:
        server.shutdown()
    assert run["requests"] > 0 and run["errors"] == 0 and run["rps"] > 0
    assert 0 < run["p50_ms"] <= run["p99_ms"] <= run["max_ms"]
    assert ("POST", b'{"ids": [1]}', "yes") in seen
    assert missing["requests"] > 0 and missing["errors"] == missing["requests"]
