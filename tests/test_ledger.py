"""Audit events form one hash chain per stream; tampering is detected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice.models import AuditEvent
from selfservice.services import audit


def _three_events(app: Flask) -> str:
    with app.app_context():
        for action in ("auth.login", "auth.reauthenticated", "auth.logout"):
            audit.record_account_event("acct-alice", action, actor_type="account",
                                       actor_id="acct-alice", details={"n": action})
    return audit.account_stream("acct-alice")


def _verify(app: Flask, stream: str) -> tuple[bool, int | None]:
    with app.extensions["selfservice"].db.transaction() as session:
        return audit.verify_stream(session, stream)


def test_an_untouched_chain_verifies(app: Flask) -> None:
    stream = _three_events(app)
    assert _verify(app, stream) == (True, None)


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_tampering_is_detected(app: Flask, tamper: str) -> None:
    stream = _three_events(app)
    db = app.extensions["selfservice"].db
    with db.transaction() as session:
        events = audit.stream_events(session, stream)
        if tamper == "edit":
            events[1].details = {"n": "something else"}
        elif tamper == "delete":
            session.delete(events[1])
        else:  # swap the positions of the first two events
            first, second = events[0].seq, events[1].seq
            session.execute(sa.update(AuditEvent).where(AuditEvent.id == events[0].id)
                            .values(seq=-1))
            session.execute(sa.update(AuditEvent).where(AuditEvent.id == events[1].id)
                            .values(seq=first))
            session.execute(sa.update(AuditEvent).where(AuditEvent.id == events[0].id)
                            .values(seq=second))
    valid, bad = _verify(app, stream)
    assert valid is False
    assert bad in (1, 2, 3)


def test_concurrent_appends_do_not_fork_the_chain(app: Flask) -> None:
    """Writers racing for the same tail: the unique (stream, seq) makes losers retry."""
    import threading

    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(5):
                    audit.record_account_event("acct-bob", f"w{n}.{i}", actor_type="system")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = app.extensions["selfservice"].db
    with db.transaction() as session:
        seqs = [e.seq for e in audit.stream_events(session, "account:acct-bob")]
    assert seqs == list(range(1, 31))
    assert _verify(app, "account:acct-bob") == (True, None)
