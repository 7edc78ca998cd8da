"""``flask selfservice ...``: database, worker, dispatcher, health, sources, settings."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from . import config as config_module
from . import migrate
from .state import get_state

cli = AppGroup("selfservice", help="Privacy self-service plugin.")
db_cli = AppGroup("db", help="The plugin's tables (Alembic, own version table).")
cli.add_command(db_cli)
logger = logging.getLogger(__name__)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
def db_upgrade(revision: str, sql: bool) -> None:
    """Create or upgrade the plugin's tables."""
    migrate.upgrade(revision, sql=sql)
    if not sql:
        click.echo(f"selfservice schema at {migrate.current()}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the plugin's tables to REVISION ("base" drops them)."""
    migrate.downgrade(revision)
    click.echo(f"selfservice schema at {migrate.current()}")


@db_cli.command("current")
def db_current() -> None:
    click.echo(migrate.current() or "(empty)")


@db_cli.command("heads")
def db_heads() -> None:
    for head in migrate.heads():
        click.echo(head)


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then exit.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@click.option("--no-dispatcher", is_flag=True, help="Do not sweep the outbox from this worker.")
def worker(burst: bool, name: str | None, no_dispatcher: bool) -> None:
    """Run an RQ worker for the plugin's jobs, with the scheduler and the outbox dispatcher.

    The application context is pushed once, by the Flask CLI, for the worker's whole life.
    """
    from .queue import default_worker_name
    from .services import jobs

    state = get_state()
    worker_name = name or default_worker_name()
    stop = threading.Event()
    if not no_dispatcher and not burst:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        thread = threading.Thread(target=_dispatch_loop, args=(app, state, worker_name, stop),
                                  name="selfservice-dispatcher", daemon=True)
        thread.start()
    try:
        jobs.work(burst=burst, name=worker_name)
    finally:
        stop.set()
        state.queue.forget_worker(worker_name)


def _dispatch_loop(app: Any, state: Any, worker_name: str, stop: threading.Event) -> None:
    from .services import jobs

    interval = state.setting("DISPATCH_INTERVAL")
    with app.app_context():
        while not stop.is_set():
            try:
                state.queue.beat(worker_name)
                jobs.dispatch()
            except Exception:  # a sweep that fails (Redis down) is retried at the next one
                logger.warning("outbox sweep failed; retrying in %ss", interval, exc_info=True)
            stop.wait(interval)


@cli.command("dispatch")
@click.option("--loop", is_flag=True, help="Keep sweeping every DISPATCH_INTERVAL seconds.")
def dispatch(loop: bool) -> None:
    """Send jobs the outbox holds to Redis, recover lost ones, reap abandoned ones."""
    from .services import jobs

    interval = get_state().setting("DISPATCH_INTERVAL")
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    while True:
        click.echo(json.dumps(jobs.dispatch().as_json()))
        if not loop or not running[0]:
            break
        time.sleep(interval)


@cli.command("health")
def health() -> None:
    """Print database, Redis and worker health as JSON; exit 1 when degraded."""
    from .services import diagnostics

    report = diagnostics.health()
    click.echo(json.dumps(report, indent=2))
    raise SystemExit(0 if report["status"] == "ok" else 1)


@cli.command("ping")
@click.option("--wait", default=0.0, help="Seconds to wait for a worker to answer.")
def ping(wait: float) -> None:
    """Send a ping job through the outbox, Redis and a worker."""
    from .models import BackgroundJob
    from .services import diagnostics

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


@cli.command("sources")
def sources() -> None:
    """List the registered data sources."""
    for source in get_state().extension.sources:
        click.echo(f"{source.name:28} {source.legal_basis:22} {source.retention}")


@cli.command("config")
@click.option("--markdown", is_flag=True, help="README's table of settings.")
def show_config(markdown: bool) -> None:
    """Every SELFSERVICE_* setting: default and meaning (or current values)."""
    if markdown:
        click.echo("| key | default | meaning |\n|---|---|---|")
        for key, (default, text) in config_module.SETTINGS.items():
            click.echo(f"| `SELFSERVICE_{key}` | `{default!r}` | {text} |")
        return
    state = get_state()
    for key in config_module.SETTINGS:
        value = state.setting(key)
        if key in ("OIDC_CLIENT_SECRET", "SERVICE_TOKENS", "ENGINE") and value:
            value = "(set)"
        click.echo(f"SELFSERVICE_{key} = {value!r}")
