"""Retention sweeps (section 5 of the privacy policy): the host's sweepers, one per retention
rule of a source, run once a day; each run is recorded with its counts.

A sweep asks its rule for bounded batches (SELFSERVICE_ERASURE_BATCH records each, every batch
its own short transaction on the host's side) until a batch comes back short. Accounts under a
legal hold that covers the source are read again before every batch and handed to the sweeper
to spare, so a hold placed while a sweep runs holds from the next batch on. A rule that fails
is recorded as failed with the error's kind; the other rules still run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..deletion_hooks import RetentionRule
from ..ledger import record_audit
from ..models import RetentionSweep
from ..state import get_state
from . import legal_holds

SWEEP_JOB = "retention.sweep_sources"
#: a sweep's own audit stream, per rule
STREAM = "retention:{source}.{rule}"
#: batches a sweep runs at most: a sweeper that never comes back short cannot loop for ever
MAX_BATCHES = 1_000_000

logger = logging.getLogger(__name__)


class UnknownRule(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no retention rule {name!r} (source.rule)")
        self.name = name


@dataclass(frozen=True)
class PlannedRule:
    """What the next sweep of one rule would delete."""

    source: str
    rule: str
    days: int
    description: str
    cutoff: datetime
    #: records the sweep would delete (or clear) now
    due: int
    #: accounts whose records a legal hold spares
    held_accounts: int

    @property
    def name(self) -> str:
        return f"{self.source}.{self.rule}"

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "rule": self.rule, "days": self.days,
                "description": self.description, "cutoff": self.cutoff.isoformat(),
                "due": self.due, "held_accounts": self.held_accounts}


def rules() -> list[RetentionRule]:
    """The host's retention rules, in the order they were registered (the order they run)."""
    return list(get_state().extension.deletion.rules.values())


def find_rule(name: str) -> RetentionRule:
    """The rule called ``source.rule``; UnknownRule otherwise."""
    source, _, rule = name.partition(".")
    found = get_state().extension.deletion.rules.get((source, rule))
    if found is None:
        raise UnknownRule(name)
    return found


def cutoff_of(rule: RetentionRule, now: datetime) -> datetime:
    return now - timedelta(days=rule.days)


@contextmanager
def _holds_steady() -> Iterator[Session]:
    """A session to read the holds in, kept open while a batch runs. On PostgreSQL it holds
    the shared lock that ``legal_holds.place`` waits for; on SQLite (writes serialised, WAL)
    it is a plain read, and a hold placed during a batch holds from the next one."""
    db = get_state().db
    if db.engine.dialect.name == "postgresql":
        with db.transaction() as session:
            legal_holds.lock_for_sweep(session)
            yield session
    else:
        with db.read() as session:
            yield session


def _held(source: str) -> set[str]:
    with get_state().db.read() as session:
        return legal_holds.held_accounts(session, source)


def plan_rule(rule: RetentionRule, now: datetime | None = None) -> PlannedRule:
    cutoff = cutoff_of(rule, now or utcnow())
    held = _held(rule.source)
    return PlannedRule(rule.source, rule.rule, rule.days, rule.description, cutoff,
                       int(rule.count(cutoff, frozenset(held))), len(held))


def plan(now: datetime | None = None) -> list[PlannedRule]:
    """What a sweep at ``now`` would delete, rule by rule, without deleting anything."""
    moment = now or utcnow()
    return [plan_rule(rule, moment) for rule in rules()]


def _start(rule: RetentionRule, cutoff: datetime, planned: int, held: int) -> int:
    with get_state().db.transaction() as session:
        row = RetentionSweep(source=rule.source, rule=rule.rule, cutoff=cutoff,
                             started_at=utcnow(), status="running", planned=planned,
                             deleted=0, held_accounts=held)
        session.add(row)
        session.flush()
        return row.id


def _record(sweep_id: int, deleted: int, held: int, status: str = "running",
            error: str | None = None) -> RetentionSweep:
    with get_state().db.transaction() as session:
        row = session.get(RetentionSweep, sweep_id, with_for_update=True)
        assert row is not None
        row.deleted, row.held_accounts = deleted, held
        if status != "running":
            row.status, row.error, row.finished_at = status, error, utcnow()
            record_audit(session, stream=STREAM.format(source=row.source, rule=row.rule),
                         action=f"retention.{'swept' if status == 'done' else 'failed'}",
                         actor_type="system", target_type="retention_sweep",
                         target_id=str(row.id),
                         details={"planned": row.planned, "deleted": deleted,
                                  "held_accounts": held, "cutoff": row.cutoff.isoformat()})
        return row


def sweep(rule: RetentionRule, now: datetime | None = None) -> RetentionSweep:
    """Run one rule until a batch comes back short; the recorded sweep, done or failed."""
    batch = int(get_state().setting("ERASURE_BATCH"))
    cutoff = cutoff_of(rule, now or utcnow())
    held = _held(rule.source)
    planned = int(rule.count(cutoff, frozenset(held)))
    sweep_id = _start(rule, cutoff, planned, len(held))
    deleted, spared = 0, set(held)
    try:
        for _ in range(MAX_BATCHES):
            with _holds_steady() as session:
                held_now = legal_holds.held_accounts(session, rule.source)
                done = int(rule.sweep(cutoff, frozenset(held_now), batch))
            spared |= held_now
            deleted += done
            if done < batch:
                break
            _record(sweep_id, deleted, len(spared))
    except Exception as exc:  # the host's sweeper: any error is recorded, the others go on
        logger.exception("retention sweep %s.%s failed", rule.source, rule.rule)
        return _record(sweep_id, deleted, len(spared), "failed",
                       f"{type(exc).__name__}: {str(exc)[:300]}")
    return _record(sweep_id, deleted, len(spared), "done")


def daily_sweep() -> list[RetentionSweep] | None:
    """The daily job's work: every rule, unless SELFSERVICE_RETENTION_SWEEPS is off (None)."""
    return sweep_all() if get_state().setting("RETENTION_SWEEPS") else None


def sweep_all(now: datetime | None = None) -> list[RetentionSweep]:
    """Every rule once, in registration order; a failed rule does not stop the others."""
    moment = now or utcnow()
    return [sweep(rule, moment) for rule in rules()]


def history(limit: int = 50, name: str | None = None) -> list[RetentionSweep]:
    """The latest sweeps, newest first (of one ``source.rule`` if given)."""
    query = sa.select(RetentionSweep).order_by(RetentionSweep.started_at.desc(),
                                                RetentionSweep.id.desc()).limit(limit)
    if name is not None:
        source, _, rule = name.partition(".")
        query = query.where(RetentionSweep.source == source, RetentionSweep.rule == rule)
    with get_state().db.read() as session:
        return list(session.scalars(query))


def sweep_as_dict(row: RetentionSweep) -> dict[str, Any]:
    return {"id": row.id, "source": row.source, "rule": row.rule,
            "cutoff": row.cutoff.isoformat(), "started_at": row.started_at.isoformat(),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "status": row.status, "planned": row.planned, "deleted": row.deleted,
            "held_accounts": row.held_accounts, "error": row.error}
