"""The demo console as the tests' worker subprocesses load it (``FLASK_APP``), on a slow disk:
a unit of work begun outside the main thread (the worker's dispatcher) holds SQLite's write
lock a little longer, so a job the worker starts meanwhile meets it. What a loaded machine does
now and then, every time."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from flask import Flask
from sqlalchemy import event

from demo.app import create_app as create_demo_app


def create_app() -> Flask:
    app = create_demo_app()
    delay = float(os.environ.get("TEST_SLOW_WRITE_BEGIN", "0.05"))

    def slow_write(connection: Any) -> None:
        # runs after the plugin's own "begin" listener has sent BEGIN IMMEDIATE
        writes = connection.get_execution_options().get("selfservice_sqlite_begin")
        if writes and threading.current_thread() is not threading.main_thread():
            time.sleep(delay)

    event.listen(app.extensions["selfservice"].db.engine, "begin", slow_write)
    return app
