"""The whole audit trail verifies from the command line: ``flask selfservice audit verify``
finds an edited, deleted or reordered event, events cut off a stream's end and a stream removed
whole, naming the stream and the seq."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from selfservice.ledger import chain_hash, drop_audit_stream, reseal_audit_stream
from selfservice.models import AuditEvent, AuditHead
from selfservice.services import audit

STREAM = "account:acct-alice"


def _record(app: Flask, count: int, account_id: str = "acct-alice") -> None:
    with app.app_context():
        for n in range(count):
            audit.record_account_event(account_id, f"test.step{n}", actor_type="system",
                                       details={"n": n})


def _last_seq(app: Flask, stream: str = STREAM) -> int:
    with app.extensions["selfservice"].db.read() as session:
        return int(session.scalar(sa.select(sa.func.max(AuditEvent.seq))
                                  .where(AuditEvent.stream == stream)) or 0)


def _verify(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["selfservice", "audit", "verify", *args])
    return result.exit_code, result.output


def _where(session: Session, seq: int) -> sa.ColumnElement[bool]:
    return sa.and_(AuditEvent.stream == STREAM, AuditEvent.seq == seq)


def _edit(session: Session, last: int) -> int:
    session.execute(sa.update(AuditEvent).where(_where(session, last - 2))
                    .values(details={"n": "something else"}))
    return last - 2


def _edit_and_rehash(session: Session, last: int) -> int:
    """The forger recomputes the edited event's own hash: the next event no longer follows."""
    event = session.scalars(sa.select(AuditEvent).where(_where(session, last - 1))).one()
    event.action = "test.forged"
    event.hash = chain_hash(event.prev_hash, {
        name: getattr(event, name) for name in ("stream", "seq", "at", "actor_type",
                                                "actor_id", "action", "target_type",
                                                "target_id", "details")})
    return last


def _delete(session: Session, last: int) -> int:
    session.execute(sa.delete(AuditEvent).where(_where(session, last - 2)))
    return last - 2


def _reorder(session: Session, last: int) -> int:
    first, second = last - 2, last - 1
    ids = {seq: session.scalar(sa.select(AuditEvent.id).where(_where(session, seq)))
           for seq in (first, second)}
    for event_id, seq in ((ids[first], -1), (ids[second], first), (ids[first], second)):
        session.execute(sa.update(AuditEvent).where(AuditEvent.id == event_id).values(seq=seq))
    return first


def _cut_tail(session: Session, last: int) -> int:
    session.execute(sa.delete(AuditEvent).where(AuditEvent.stream == STREAM,
                                                AuditEvent.seq > last - 2))
    return last - 1


def _remove_stream(session: Session, last: int) -> int:
    session.execute(sa.delete(AuditEvent).where(AuditEvent.stream == STREAM))
    return 1


def _remove_head(session: Session, last: int) -> int:
    session.execute(sa.delete(AuditHead).where(AuditHead.stream == STREAM))
    return last


TAMPERING: dict[str, Callable[[Session, int], int]] = {
    "edited": _edit, "edited and re-hashed": _edit_and_rehash, "deleted": _delete,
    "reordered": _reorder, "tail cut": _cut_tail, "stream removed": _remove_stream,
    "head removed": _remove_head,
}


def test_an_untouched_trail_verifies(app: Flask) -> None:
    _record(app, 3)
    _record(app, 2, "acct-bob")
    code, output = _verify(app)
    assert code == 0, output
    assert "BROKEN" not in output and " streams verify" in output
    total = int(output.split(" of ")[1].split()[0])
    assert total >= 2  # alice's and bob's streams, and whatever the demo's seed recorded
    assert _verify(app, "--stream", STREAM) == (0, "1 of 1 streams verify\n")


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_tampering_is_found_and_named(app: Flask, backend: str, kind: str) -> None:
    _record(app, 4)
    _record(app, 2, "acct-bob")
    last = _last_seq(app)
    with app.extensions["selfservice"].db.transaction() as session:
        bad_seq = TAMPERING[kind](session, last)
    code, output = _verify(app)
    assert code == 1, output
    assert f"BROKEN {STREAM} at seq {bad_seq}:" in output
    assert "account:acct-bob" not in output  # the other streams still verify
    code, output = _verify(app, "--stream", STREAM)
    assert code == 1 and f"BROKEN {STREAM} at seq {bad_seq}:" in output


def test_a_cut_tail_stays_found_after_new_events(app: Flask) -> None:
    """The next event follows the head, not what is left of the stream: the gap stays."""
    _record(app, 4)
    last = _last_seq(app)
    with app.extensions["selfservice"].db.transaction() as session:
        _cut_tail(session, last)
    _record(app, 2)
    code, output = _verify(app, "--stream", STREAM)
    assert code == 1
    assert f"BROKEN {STREAM} at seq {last - 1}: a record is missing or out of order" in output


def test_the_plugin_may_drop_or_rewrite_a_stream_on_purpose(app: Flask) -> None:
    _record(app, 3)
    _record(app, 3, "acct-bob")
    db = app.extensions["selfservice"].db
    with db.transaction() as session:
        assert drop_audit_stream(session, "account:acct-bob") >= 3
        # a rewrite (as pseudonymisation does): the last event goes, the head follows it
        session.execute(sa.delete(AuditEvent).where(AuditEvent.stream == STREAM,
                                                    AuditEvent.seq == _last_seq(app)))
        reseal_audit_stream(session, STREAM)
    assert _verify(app)[0] == 0
    _record(app, 1)
    assert _verify(app, "--stream", STREAM)[0] == 0


def test_a_trail_from_before_the_heads_is_adopted(app: Flask) -> None:
    """Events a writer added without the head (older code): the next append follows them."""
    _record(app, 2)
    with app.extensions["selfservice"].db.transaction() as session:
        session.execute(sa.delete(AuditHead).where(AuditHead.stream == STREAM))
    _record(app, 1)
    assert _verify(app, "--stream", STREAM)[0] == 0
