"""``flask selfservice worker``, ``dispatch``, ``health`` and ``ping``: the processes that run
the plugin's jobs, their heartbeats and the checks a supervisor or a monitor runs."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
import time
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from .models import BackgroundJob
from .queue import QueueUnavailable, default_worker_name
from .services import diagnostics, outbox
from .state import get_state

logger = logging.getLogger(__name__)

@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then exit.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@click.option("--no-dispatcher", is_flag=True, help="Do not sweep the outbox from this worker.")
@with_appcontext
def worker(burst: bool, name: str | None, no_dispatcher: bool) -> None:
    """Run an RQ worker for the plugin's jobs, with the scheduler and the outbox dispatcher.

    The application context is pushed once, by the Flask CLI, for the worker's whole life. A
    heartbeat in Redis says the worker is alive (``flask selfservice health --worker NAME``).
    """
    state = get_state()
    worker_name = name or default_worker_name()
    stop = threading.Event()
    dispatcher: threading.Thread | None = None
    if not no_dispatcher and not burst:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        dispatcher = threading.Thread(target=_dispatch_loop, args=(app, stop),
                                      name="selfservice-dispatcher", daemon=True)
        dispatcher.start()
    if not burst:
        threading.Thread(target=_beat_loop, args=(state, worker_name, dispatcher, stop),
                         name="selfservice-heartbeat", daemon=True).start()
    try:
        outbox.work(burst=burst, name=worker_name)
    finally:
        stop.set()
        state.queue.forget_worker(worker_name)


def _beat_loop(state: Any, worker_name: str, dispatcher: threading.Thread | None,
               stop: threading.Event) -> None:
    """The worker's heartbeat, a few times per ``WORKER_HEARTBEAT_TTL``, whether or not it
    sweeps the outbox (then while its dispatcher thread lives)."""
    interval = min(state.setting("DISPATCH_INTERVAL"), state.setting("WORKER_HEARTBEAT_TTL") / 3)
    while not stop.is_set():
        try:
            state.queue.beat(worker_name, dispatches=dispatcher is not None
                             and dispatcher.is_alive())
        except Exception:  # Redis down: the heartbeat expires, /health says so
            logger.warning("worker heartbeat failed; retrying in %ss", interval, exc_info=True)
        stop.wait(interval)


def _dispatch_loop(app: Any, stop: threading.Event) -> None:
    with app.app_context():
        interval = get_state().setting("DISPATCH_INTERVAL")
        while not stop.is_set():
            _sweep(interval)
            stop.wait(interval)


def _sweep(interval: float) -> dict[str, Any] | None:
    """One sweep of the outbox: today's daily jobs, then dispatch. A sweep that fails (Redis
    or the database down) is retried at the next one."""
    try:
        outbox.schedule_daily()
        return outbox.dispatch().as_json()
    except Exception:
        logger.warning("outbox sweep failed; retrying in %ss", interval, exc_info=True)
        return None


@click.command("dispatch")
@click.option("--loop", is_flag=True, help="Keep sweeping every DISPATCH_INTERVAL seconds, "
              "with a heartbeat like a worker's (role dispatcher).")
@with_appcontext
def dispatch(loop: bool) -> None:
    """Send jobs the outbox holds to Redis, recover lost ones, reap abandoned ones."""
    state = get_state()
    interval = state.setting("DISPATCH_INTERVAL")
    if not loop:
        outbox.schedule_daily()
        click.echo(json.dumps(outbox.dispatch().as_json()))
        return
    name = "dispatcher" + default_worker_name().removeprefix("selfservice")
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    try:
        while running[0]:
            with contextlib.suppress(Exception):  # Redis down: the heartbeat expires
                state.queue.beat(name, role="dispatcher")
            swept = _sweep(interval)
            if swept is not None:
                click.echo(json.dumps(swept))
            time.sleep(interval)
    finally:
        state.queue.forget_worker(name)


@click.command("health")
@click.option("--worker", "worker_name", default=None,
              help="Only this worker's (or dispatcher's) heartbeat; exit 1 once it expired.")
@with_appcontext
def health(worker_name: str | None) -> None:
    """Print database, Redis and worker health as JSON; exit 1 when degraded."""
    if worker_name is not None:
        try:
            beat = get_state().queue.heartbeat_of(worker_name)
        except QueueUnavailable:
            click.echo(json.dumps({"worker": worker_name, "alive": False, "redis": False}))
            raise SystemExit(1) from None
        age = round(time.time() - beat["at"], 1) if beat else None
        click.echo(json.dumps({"worker": worker_name, "alive": beat is not None,
                               "age_seconds": age}))
        raise SystemExit(0 if beat else 1)
    report = diagnostics.health()
    click.echo(json.dumps(report, indent=2))
    raise SystemExit(0 if report["status"] == "ok" else 1)


@click.command("ping")
@click.option("--wait", default=0.0, help="Seconds to wait for a worker to answer.")
@with_appcontext
def ping(wait: float) -> None:
    """Send a ping job through the outbox, Redis and a worker."""
    state = get_state()
    with state.db.transaction() as session:
        job_id = diagnostics.request_ping(session).id
    deadline = time.monotonic() + wait
    while True:
        with state.db.transaction() as session:
            job = session.get(BackgroundJob, job_id)
            assert job is not None
            status = job.status
        if status == "succeeded" or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    click.echo(f"{job_id} {status}")
    raise SystemExit(0 if status == "succeeded" or not wait else 1)
