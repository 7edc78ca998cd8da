"""Alembic environment of the plugin: its engine, its tables, its version table."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from selfservice import models  # noqa: F401  (registers the tables on Base.metadata)
from selfservice.db import Base
from selfservice.migrate import include_object

state = context.config.attributes["selfservice_state"]
version_table = state.setting("VERSION_TABLE")


def run_offline() -> None:
    context.configure(url=state.db.engine.url, target_metadata=Base.metadata,
                      version_table=version_table, include_object=include_object,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Turn SQLite's foreign keys off for the migration, and on again after it.

    On SQLite a batch migration copies a table into a new one, drops the old and renames the
    new: with foreign keys on, the drop deletes the old table's rows first and every ON DELETE
    CASCADE with them (a request's timeline and notes went with 0011 so). The pragma is set on
    the driver's connection, before any transaction begins: inside one, SQLite ignores it."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: "
                               f"{broken[:5]}")


def run_online() -> None:
    with state.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, False)
        context.configure(connection=connection, target_metadata=Base.metadata,
                          version_table=version_table, include_object=include_object,
                          render_as_batch=sqlite, compare_type=True)
        try:
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, True)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
