"""Alembic for the plugin's own tables, with its own version table.

The migration scripts ship inside the package (``selfservice.migrations``); the engine is the
plugin's (its own or the host's), so ``flask selfservice db upgrade`` needs no alembic.ini.
"""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .paths import MIGRATIONS_FOLDER
from .state import get_state


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_FOLDER)
    cfg.attributes["selfservice_state"] = get_state()
    return cfg


def upgrade(revision: str = "head", sql: bool = False) -> None:
    command.upgrade(alembic_config(), revision, sql=sql)


def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(), revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current() -> str | None:
    state = get_state()
    with state.db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": state.setting("VERSION_TABLE")})
        return context.get_current_revision()


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Only the plugin's tables: a shared database also holds the host's."""
    if type_ == "table":
        return bool(name and name.startswith("selfservice_"))
    return True
