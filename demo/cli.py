"""``flask demo ...``: create, fill and empty the console's sample tables."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .models import create_tables, drop_tables
from .seed import seed

cli = AppGroup("demo", help="The demo console's own tables and sample data.")


def _engine() -> sa.Engine:
    return current_app.extensions["demo"].engine


@cli.command("seed")
@click.option("--inference-logs", type=click.IntRange(min=0), default=150_000,
              show_default=True, help="Size of Alice's inference request log.")
@click.option("--seed", "seed_value", type=int, default=7, show_default=True,
              help="Random seed: the same seed gives the same data.")
def seed_command(inference_logs: int, seed_value: int) -> None:
    """Create the console's tables and fill them with sample accounts and usage."""
    started = time.perf_counter()
    counts = seed(_engine(), inference_logs=inference_logs, seed=seed_value)
    if not counts:
        click.echo("Already seeded (acct-alice exists); `flask demo reset` empties the tables.")
        return
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    click.echo(f"Seeded in {time.perf_counter() - started:.1f} s: {summary}")


@cli.command("reset")
def reset_command() -> None:
    """Drop the console's tables (not the plugin's) and create them empty."""
    engine = _engine()
    drop_tables(engine)
    create_tables(engine)
    click.echo("The console's tables are empty; `flask demo seed` fills them.")
