"""Alembic environment of the plugin: its engine, its tables, its version table."""

from __future__ import annotations

from alembic import context

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


def run_online() -> None:
    with state.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          version_table=version_table, include_object=include_object,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
