"""Alembic for the plugin's own tables, with its own version table.

The migration scripts ship inside the package (``selfservice.migrations``); the engine is the
plugin's (its own or the host's), so ``flask selfservice db upgrade`` needs no alembic.ini.
Alembic (and the Mako it loads, about 10 MB) is imported when a migration command runs, not
with the app: web processes and workers never need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .paths import MIGRATIONS_FOLDER
from .state import get_state

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config() -> Config:
    from alembic.config import Config  # lazy: only migration commands need Alembic

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_FOLDER)
    cfg.attributes["selfservice_state"] = get_state()
    return cfg


def upgrade(revision: str = "head", sql: bool = False) -> None:
    from alembic import command  # lazy: only migration commands need Alembic

    command.upgrade(alembic_config(), revision, sql=sql)


def downgrade(revision: str) -> None:
    from alembic import command  # lazy: only migration commands need Alembic

    command.downgrade(alembic_config(), revision)


def heads() -> list[str]:
    from alembic.script import ScriptDirectory  # lazy: only migration commands need Alembic

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current() -> str | None:
    from alembic.runtime.migration import MigrationContext  # lazy: as above

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
