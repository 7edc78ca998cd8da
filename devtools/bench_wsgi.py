"""What ``make bench`` serves under gunicorn: the demo console (the plugin mounted: its cookie
banner and enforcement hooks on every page, its API) and beside it, under ``/bench-baseline/``,
a bare Flask app without the plugin, on the same database: one endpoint that reads one row by
primary key (the baseline of every web figure) and one that does nothing (the load generator's
ceiling). Same processes, same gunicorn settings, so each ratio compares like with like.

    gunicorn -c python:devtools.gunicorn_conf devtools.bench_wsgi:app

Environment: what wsgi.py reads (``DEMO_DATABASE_URL``, ``DEMO_INSTANCE_PATH``, ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, jsonify
from flask.wrappers import Response

from demo.app import create_app
from selfservice.db import create_engine

BASELINE = "/bench-baseline"
ACCOUNTS = sa.table("accounts", sa.column("id"), sa.column("billing_country"),
                    sa.column("created_at"))


def bare_app(url: str) -> Flask:
    """A Flask app with nothing but its two endpoints, and an engine made as the console's."""
    app = Flask("bench_baseline")
    engine = create_engine(url)
    one_row = sa.select(ACCOUNTS).where(ACCOUNTS.c.id == sa.bindparam("account_id"))

    @app.get(f"{BASELINE}/accounts/<account_id>")
    def account(account_id: str) -> Response:
        with engine.connect() as connection:
            row = connection.execute(one_row, {"account_id": account_id}).one_or_none()
        if row is None:
            abort(404)
        return jsonify(id=row.id, billing_country=row.billing_country,
                       created_at=str(row.created_at))

    @app.get(f"{BASELINE}/hello")
    def hello() -> str:
        return "ok"

    return app


_instance = os.environ.get("DEMO_INSTANCE_PATH")
console = create_app(instance_path=os.path.abspath(_instance) if _instance else None)
baseline = bare_app(os.environ["DEMO_DATABASE_URL"])


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    target = baseline if path.startswith(BASELINE + "/") else console
    return target(environ, start_response)  # type: ignore[no-any-return]
