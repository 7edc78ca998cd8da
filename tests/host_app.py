"""The demo console as one host of several (``FLASK_APP=tests.host_app``): each process gets an
instance folder of its own (TEST_INSTANCE_PATH), so nothing is shared through a folder; they
share only what the environment names (PostgreSQL, Redis, the object store, the keys)."""

from __future__ import annotations

import os

from flask import Flask

from demo.app import create_app as create_demo_app


def create_app() -> Flask:
    folder = os.environ["TEST_INSTANCE_PATH"]
    os.makedirs(folder, exist_ok=True)
    return create_demo_app(instance_path=folder)
