"""How a source says what deletion does to it: erasers next to exporters, retain and
anonymise declarations, manual steps, and the host's deletion hooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from selfservice import Blocker, DataSource, SelfService, Subject


def _source(**overrides: Any) -> DataSource:
    fields: dict[str, Any] = dict(
        name="widgets", description="Widgets", purpose="Testing", legal_basis="contract",
        retention="While the account exists",
        schema={"type": "object", "properties": {"id": {"type": "string"}}},
        export=lambda subject: iter(()))
    fields.update(overrides)
    return DataSource(**fields)


def test_an_eraser_makes_a_source_erasable_and_none_makes_it_manual() -> None:
    ss = SelfService()
    plain = ss.register_source(_source())
    kept = ss.register_source(_source(name="invoices", erasure="retain",
                                      erasure_reason="Tax law", retain_days=2557))
    masked = ss.register_source(_source(name="payments", erasure="anonymise",
                                        erasure_reason="Amounts kept for tax law"))
    assert ss.sources.erasure_of(plain) == "manual"
    assert ss.sources.erasure_of(kept) == "retain"

    @ss.eraser("widgets")
    def erase_widgets(subject: Subject) -> int:
        return 0

    assert ss.sources.erasure_of(plain) == "erase"
    with pytest.raises(ValueError, match="declares erasure='anonymise' but no eraser"):
        ss.sources.check_erasers()
    ss.eraser("payments")(lambda subject: 0)
    ss.sources.check_erasers()
    assert ss.sources.erasure_of(masked) == "anonymise"
    with pytest.raises(ValueError, match="already registered"):
        ss.eraser("widgets")(erase_widgets)


def test_an_eraser_for_an_unknown_source_is_reported() -> None:
    ss = SelfService()
    ss.eraser("nowhere")(lambda subject: 0)
    with pytest.raises(ValueError, match="unknown sources: nowhere"):
        ss.sources.check_erasers()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"erasure": "shred"}, "erasure must be one of"),
    ({"erasure": "retain"}, "needs an erasure_reason"),
    ({"erasure": "anonymise", "erasure_reason": " "}, "needs an erasure_reason"),
    ({"erasure": "retain", "erasure_reason": "Tax", "retain_legal_basis": "whim"},
     "retain_legal_basis"),
    ({"retain_days": -1}, "must not be negative"),
])
def test_a_bad_erasure_declaration_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _source(**overrides)


def test_the_host_hooks_register_once_each() -> None:
    ss = SelfService()
    ss.deletion_blockers(lambda account_id: [Blocker("a", "First")])
    ss.deletion_blockers(lambda account_id: [Blocker("b", "Second", "/x", "Do it")])
    assert [b.code for b in ss.deletion.blockers("acct-1")] == ["a", "b"]

    @ss.erasure_recipient("crm", "Our customer relationship manager")
    def tell_crm(account_id: str) -> str:
        return "T-1"

    with pytest.raises(ValueError, match="already registered"):
        ss.erasure_recipient("crm", "Again")(tell_crm)
    with pytest.raises(ValueError, match="must match"):
        ss.erasure_recipient("Bad Name", "x")(tell_crm)

    def count(cutoff: datetime, held: Any) -> int:
        return 0

    ss.sweeper("widgets", "old", days=30, description="Widgets after 30 days",
               count=count)(lambda cutoff, held, batch: 0)
    with pytest.raises(ValueError, match="already registered"):
        ss.sweeper("widgets", "old", days=30, description="Again", count=count)(
            lambda cutoff, held, batch: 0)
    with pytest.raises(ValueError, match="days must be"):
        ss.sweeper("widgets", "never", days=0, description="x", count=count)(
            lambda cutoff, held, batch: 0)


@pytest.mark.backends("sqlite")
def test_flask_selfservice_sources_shows_each_sources_erasure(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["selfservice", "sources"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "ON DELETION" in lines[0]
    registry = app.extensions["selfservice"].extension.sources
    for source in registry:
        row = next(line for line in lines if line.startswith(source.name + " "))
        assert f" {registry.erasure_of(source)} " in row
