"""Migrations that copy the requests table (SQLite's batch mode) keep every request's timeline
and notes; 0012 adds the ``dpa`` type to the table's CHECK constraint, keeps the open-queue
indexes partial, and will not downgrade over dpa requests or negotiated DPAs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice import migrate

REQUEST = ("INSERT INTO selfservice_privacy_requests (id, reference, account_id, type, status, "
           "jurisdiction, details, created_at, due_at, {deadline}updated_at, progress, step, "
           "downloads, channel) VALUES (:id, :ref, 'acct-alice', :type, 'received', 'gdpr', "
           "'{{}}', '2026-11-02 10:00:00', '2026-12-02 10:00:00', {due}"
           "'2026-11-02 10:00:00', 0, '', 0, 'console')")


def _count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(sql)).scalar() or 0)


def _add(engine: sa.Engine, request_id: str, reference: str, kind: str,
         before_0011: bool = False) -> None:
    sql = REQUEST.format(deadline="" if before_0011 else "deadline_at, ",
                         due="" if before_0011 else "'2026-12-02 10:00:00', ")
    with engine.begin() as connection:
        connection.execute(sa.text(sql), {"id": request_id, "ref": reference, "type": kind})


def test_the_requests_table_is_copied_without_losing_timelines_or_notes(app: Flask) -> None:
    engine = app.extensions["selfservice"].db.engine
    with app.app_context():
        migrate.downgrade("0010")  # before 0011 copies the table on SQLite
        _add(engine, "r1", "DR-AAAA-BBBB", "correction", before_0011=True)
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO selfservice_privacy_request_events (request_id, at, status, note) "
                "VALUES ('r1', '2026-11-02 10:00:00', 'received', '')"))
            connection.execute(sa.text(
                "INSERT INTO selfservice_request_notes (request_id, at, author_id, "
                "author_role, kind, text) VALUES ('r1', '2026-11-02 11:00:00', 'acct-pat', "
                "'privacy_officer', 'note', 'called the customer')"))
        migrate.upgrade()
    assert _count(engine, "SELECT COUNT(*) FROM selfservice_privacy_request_events") == 1
    assert _count(engine, "SELECT COUNT(*) FROM selfservice_request_notes") == 1
    _add(engine, "r2", "DR-AAAA-CCCC", "dpa")  # the new type is allowed now
    with pytest.raises(sa.exc.IntegrityError):
        _add(engine, "r3", "DR-AAAA-DDDD", "no_such_type")  # and the constraint still holds
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            ddl = dict(connection.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE name LIKE "
                "'ix_selfservice_privacy_requests_open%'")).all())
        assert len(ddl) == 2 and all("WHERE status IN" in sql for sql in ddl.values())
        with engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_a_downgrade_below_0012_is_refused_while_dpa_requests_exist(app: Flask) -> None:
    engine = app.extensions["selfservice"].db.engine
    _add(engine, "r1", "DR-AAAA-BBBB", "dpa")
    with app.app_context():
        with pytest.raises(RuntimeError, match="dpa requests and negotiated DPAs exist"):
            migrate.downgrade("0011")
        # PostgreSQL runs the whole downgrade in one transaction, which the refusal rolls back;
        # SQLite commits each step, so the later ones above 0012 are undone
        assert migrate.current() == ("0012" if engine.dialect.name == "sqlite"
                                     else migrate.heads()[0])
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM selfservice_privacy_requests"))
        migrate.downgrade("0011")
        with pytest.raises(sa.exc.IntegrityError):
            _add(engine, "r2", "DR-AAAA-CCCC", "dpa")
        migrate.upgrade()
