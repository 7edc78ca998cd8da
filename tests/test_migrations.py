"""The plugin's Alembic migrations: one head, and the migrated schema equals the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask

from selfservice import migrate
from selfservice.db import Base


def test_migrations_have_a_single_head(app: Flask) -> None:
    with app.app_context():
        assert len(migrate.heads()) == 1


def test_migrated_schema_equals_the_models(app: Flask) -> None:
    engine = app.extensions["selfservice"].db.engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": migrate.include_object, "compare_type": True,
            "version_table": app.config["SELFSERVICE_VERSION_TABLE"]})
        assert compare_metadata(context, Base.metadata) == []


def test_plugin_keeps_its_own_version_table_and_leaves_host_tables_alone(app: Flask) -> None:
    engine = app.extensions["selfservice"].db.engine
    tables = set(sa.inspect(engine).get_table_names())
    assert "selfservice_alembic_version" in tables
    assert "alembic_version" not in tables  # the host's own Alembic table name stays free
    assert "accounts" in tables  # the host's tables share the database
    with app.app_context():
        migrate.downgrade("base")
        remaining = set(sa.inspect(engine).get_table_names())
        assert not {t for t in remaining if t.startswith("selfservice_") and
                    t != "selfservice_alembic_version"}
        assert "accounts" in remaining
        migrate.upgrade()
        assert migrate.current() == migrate.heads()[0]


def test_cli_reports_the_schema_and_every_setting(app: Flask) -> None:
    from selfservice.config import SETTINGS

    runner = app.test_cli_runner()
    current = runner.invoke(args=["selfservice", "db", "current"])
    assert current.exit_code == 0 and current.output.strip() == migrate.heads()[0]
    table = runner.invoke(args=["selfservice", "config", "--markdown"]).output
    assert all(f"`SELFSERVICE_{key}`" in table for key in SETTINGS)
    shown = runner.invoke(args=["selfservice", "config"]).output
    assert "demo-pipeline-token" not in shown and "selfservice-test-secret" not in shown


def test_a_migration_that_copies_the_requests_table_keeps_timelines_and_notes(
        app: Flask) -> None:
    """On SQLite a batch migration copies a table and drops the old one: with foreign keys on,
    the drop would take every ON DELETE CASCADE row with it (0011 copies the requests)."""
    from selfservice.services import privacy_requests

    with app.app_context():
        alice = app.extensions["selfservice"].extension.load_identity("acct-alice")
        created, _ = privacy_requests.create(alice, "correction")
        engine = app.extensions["selfservice"].db.engine
        count = ("SELECT COUNT(*) FROM selfservice_privacy_request_events "
                 "WHERE request_id = :id")
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO selfservice_request_notes (request_id, at, author_role, kind, "
                "text) VALUES (:id, CURRENT_TIMESTAMP, 'support', 'note', 'kept')"),
                {"id": created.id})
            before = connection.scalar(sa.text(count), {"id": created.id})
        assert before >= 1
        migrate.downgrade("0010")
        migrate.upgrade()
        with engine.connect() as connection:
            assert connection.scalar(sa.text(count), {"id": created.id}) == before
            assert connection.scalar(sa.text(
                "SELECT COUNT(*) FROM selfservice_request_notes WHERE request_id = :id"),
                {"id": created.id}) == 1
