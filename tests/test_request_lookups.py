"""The reads on the path of every signed-in request (the host's user, the sign-in session, the
preferences) share one pooled connection per request on PostgreSQL, and cache nothing else: each
request reads what was committed before it, and the connection goes back to the pool when the
request ends, however it ends."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from demo.models import Account
from selfservice.models import ConsentMethod
from selfservice.services import consent, sessions

from .helpers import Person

PREFERENCES = "/privacy/api/v1/preferences"


def _table_of(statement: str) -> str:
    return " ".join(statement.split()).split(" FROM ", 1)[1].split()[0]


@pytest.mark.backends("postgresql")
def test_a_signed_in_api_call_reads_on_one_pooled_connection(app: Flask,
                                                             person: Person) -> None:
    person.login("alice@example.com")
    assert person.api("GET", PREFERENCES, csrf=False).status_code == 200
    engine = app.extensions["selfservice"].db.engine
    checkouts: list[int] = []
    statements: list[str] = []

    def checked_out(*args: Any) -> None:
        checkouts.append(1)

    def executed(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "checkout", checked_out)
    sa.event.listen(engine, "before_cursor_execute", executed)
    try:
        answer = person.api("GET", PREFERENCES, csrf=False)
    finally:
        sa.event.remove(engine, "checkout", checked_out)
        sa.event.remove(engine, "before_cursor_execute", executed)
    assert answer.status_code == 200, answer.text
    # one checkout (one pre-ping) for the three reads, none of them in a transaction
    assert checkouts == [1]
    assert [_table_of(s) for s in statements] == [
        "accounts", "selfservice_sessions", "selfservice_preferences"], statements
    assert engine.pool.checkedout() == 0  # back in the pool before the answer was sent


def test_every_request_reads_what_was_committed_before_it(app: Flask, person: Person) -> None:
    """Another device, the host or an administrator changes something between two calls: the
    next call sees it (nothing is kept from one request to the next)."""
    person.login("alice@example.com")
    assert person.api("GET", PREFERENCES, csrf=False).json()["marketing_emails"] is False
    state = app.extensions["selfservice"]
    with app.app_context():
        alice = state.extension.load_identity("acct-alice")
        consent.change_preferences(alice, {"marketing_emails": True}, method=ConsentMethod.API)
    assert person.api("GET", PREFERENCES, csrf=False).json()["marketing_emails"] is True

    with app.extensions["demo"].engine.begin() as connection:
        connection.execute(sa.update(Account).where(Account.id == "acct-alice")
                           .values(name="Alice Renamed"))
    assert person.me()["name"] == "Alice Renamed"

    with app.app_context():
        assert sessions.end_all_sessions("acct-alice", "locked") == 1
    answer = person.api("GET", PREFERENCES, csrf=False)
    assert answer.status_code == 401, answer.text
    assert state.db.engine.pool.checkedout() == 0


@pytest.mark.backends("postgresql")
def test_the_lookup_connection_goes_back_to_the_pool_however_the_request_ends(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    engine = app.extensions["selfservice"].db.engine
    answers = [
        person.api("GET", "/privacy/api/v1/requests/no-such-request", csrf=False),  # 404
        person.api("PATCH", PREFERENCES, json={"marketing_emails": "yes"}),  # 422
        person.api("PATCH", PREFERENCES, csrf=False, json={"marketing_emails": True}),  # 403
        person.api("GET", PREFERENCES, csrf=False),
    ]
    assert [a.status_code for a in answers] == [404, 422, 403, 200]
    assert engine.pool.checkedout() == 0
