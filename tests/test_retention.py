"""Retention sweeps on the demo console (both databases): a sweep removes exactly what the
plan said, rule by rule, counted in SQL before and after, and nothing of an account under a
legal hold, even one placed while the sweep runs; the plan on the command line deletes nothing;
a rule that fails is recorded and the others still run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from demo.models import InferenceLog, Invoice, MarketingContact, Payment, SecurityEvent
from selfservice.db import utcnow
from selfservice.deletion_hooks import RetentionRule
from selfservice.job_registry import JobContext
from selfservice.jobs.retention import sweep_sources
from selfservice.models import RetentionSweep
from selfservice.services import legal_holds, retention

from .helpers import Worker

REVIEW = timedelta(days=90)
ALICE, BOB = "acct-alice", "acct-bob"
log = InferenceLog


def engine(app: Flask) -> sa.Engine:
    return app.extensions["demo"].engine  # type: ignore[no-any-return]


def count(app: Flask, model: Any, *where: Any) -> int:
    with engine(app).connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(model)
                                     .where(*where)) or 0)


def with_body() -> Any:
    return sa.or_(log.request_body.is_not(None), log.response_body.is_not(None))


def due_in_sql(app: Flask, now: datetime, spared: dict[str, Collection[str]]
               ) -> dict[str, int]:
    """Each demo rule's due records, counted here in SQL (not by the sweepers' counters)."""
    def days(n: int) -> datetime:
        return now - timedelta(days=n)

    def not_held(column: Any, source: str) -> Any:
        return column.not_in(sorted(spared.get(source, ()))) if spared.get(source) \
            else sa.true()

    contact = MarketingContact
    return {
        "inference_logs.bodies": count(app, log, log.created_at < days(30), with_body(),
                                       not_held(log.account_id, "inference_logs")),
        "inference_logs.metadata": count(app, log, log.created_at < days(90),
                                         not_held(log.account_id, "inference_logs")),
        "security_events.log": count(app, SecurityEvent, SecurityEvent.at < days(396)),
        "payments.records": count(app, Payment, Payment.paid_at < days(7 * 366)),
        "invoices.records": count(app, Invoice, Invoice.issued_at < days(7 * 366)),
        "marketing_contacts.inactive": count(
            app, contact, contact.last_activity_at < days(730),
            sa.or_(contact.account_id.is_(None),
                   not_held(contact.account_id, "marketing_contacts"))),
    }


@pytest.mark.settings(SELFSERVICE_ERASURE_BATCH=100)
def test_a_sweep_removes_exactly_what_the_plan_said_and_nothing_under_a_legal_hold(
        app: Flask) -> None:
    # two months from now: only Alice's logs are older than 90 days today, and she is held
    now = utcnow() + timedelta(days=60)
    with app.app_context():
        legal_holds.place(ALICE, "Dispute 2026-17: keep everything", now + REVIEW, None,
                          "acct-pat")
        legal_holds.place(BOB, "Complaint about our e-mails", now + REVIEW,
                          ["marketing_contacts"], "acct-pat")
        planned = {p.name: p for p in retention.plan(now)}
    spared = {"inference_logs": {ALICE}, "marketing_contacts": {ALICE, BOB}}
    before = due_in_sql(app, now, spared)
    assert {name: p.due for name, p in planned.items()} == before
    # the seed gives real work: 180 days of logs, contacts idle for years
    assert before["inference_logs.bodies"] > 1000 and before["inference_logs.metadata"] > 500
    assert before["marketing_contacts.inactive"] > 10
    alice_logs = count(app, log, log.account_id == ALICE)
    alice_bodies = count(app, log, log.account_id == ALICE, with_body())
    bob_contacts = count(app, MarketingContact, MarketingContact.account_id == BOB)
    assert count(app, log, log.account_id == ALICE, log.created_at < now - timedelta(90)) > 0
    assert bob_contacts == count(app, MarketingContact, MarketingContact.account_id == BOB,
                                 MarketingContact.last_activity_at < now - timedelta(730)) > 0
    total_logs = count(app, log)

    with app.app_context():
        sweeps = retention.sweep_all(now)
    assert [f"{s.source}.{s.rule}" for s in sweeps] == list(planned)
    for row in sweeps:
        name = f"{row.source}.{row.rule}"
        assert (row.status, row.planned, row.deleted) == ("done", before[name], before[name])
        assert row.held_accounts == len(spared.get(row.source, {ALICE})) and row.error is None
    assert set(due_in_sql(app, now, spared).values()) == {0}
    assert count(app, log) == total_logs - before["inference_logs.metadata"]
    # the held accounts: not one record touched
    assert count(app, log, log.account_id == ALICE) == alice_logs
    assert count(app, log, log.account_id == ALICE, with_body()) == alice_bodies
    assert count(app, MarketingContact, MarketingContact.account_id == BOB) == bob_contacts
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        recorded = session.scalar(sa.select(sa.func.sum(RetentionSweep.deleted)))
        assert recorded == sum(before.values())
        assert {p.name: p.due for p in retention.plan(now)} == dict.fromkeys(planned, 0)


@pytest.mark.settings(SELFSERVICE_ERASURE_BATCH=20)
def test_a_hold_placed_while_a_sweep_runs_spares_that_account_from_the_next_batch(
        app: Flask) -> None:
    now = utcnow()
    cutoff = now - timedelta(days=30)
    with app.app_context():
        rule = retention.find_rule("inference_logs.bodies")
    calls: list[frozenset[str]] = []
    at_hold: list[int] = []
    placer: list[threading.Thread] = []
    waited: list[bool] = []
    postgresql = engine(app).dialect.name == "postgresql"

    def alice_due() -> int:
        return count(app, log, log.account_id == ALICE, log.created_at < cutoff, with_body())

    def place_hold() -> None:
        with app.app_context():
            legal_holds.place(ALICE, "Regulator's request", now + REVIEW, ["inference_logs"],
                              "acct-pat")

    def sweep(cut: datetime, held: Collection[str], batch: int) -> int:
        calls.append(frozenset(held))
        if ALICE in held and not at_hold:
            at_hold.append(alice_due())
        done = rule.sweep(cut, held, batch)
        if len(calls) == 1:  # a privacy officer places a hold while the sweep runs
            placer.append(threading.Thread(target=place_hold))
            placer[0].start()
            # on PostgreSQL the hold waits for this batch to end: the join times out
            placer[0].join(1 if postgresql else 10)
            waited.append(placer[0].is_alive())
        return done

    watched = replace(rule, sweep=sweep)
    with app.app_context():
        row = retention.sweep(watched, now)
    placer[0].join(10)
    assert row.status == "done" and row.held_accounts == 1
    # PostgreSQL: placing the hold waited for the batch under way (SQLite: writes queue up)
    assert waited == [postgresql]
    assert ALICE not in calls[0] and ALICE in calls[-1]
    first_held = next(i for i, held in enumerate(calls) if ALICE in held)
    assert first_held in (1, 2)  # the next batch, or (PostgreSQL) the one after
    assert at_hold and at_hold[0] > 0
    assert alice_due() == at_hold[0]  # nothing of hers went once the hold was in force
    assert count(app, log, log.account_id != ALICE, log.created_at < cutoff, with_body()) == 0


def test_a_rule_that_fails_is_recorded_and_the_others_still_run(app: Flask) -> None:
    def broken(cutoff: datetime, held: Collection[str], batch: int) -> int:
        raise RuntimeError("the archive bucket is read-only")

    hooks = app.extensions["selfservice"].extension.deletion
    hooks.add_rule(RetentionRule("security_events", "broken", 1, "Always fails", broken,
                                 lambda cutoff, held: 3))
    with app.app_context():
        sweeps = {f"{s.source}.{s.rule}": s for s in retention.sweep_all()}
    failed = sweeps.pop("security_events.broken")
    assert (failed.status, failed.deleted, failed.planned) == ("failed", 0, 3)
    assert failed.error == "RuntimeError: the archive bucket is read-only"
    assert all(s.status == "done" for s in sweeps.values())
    assert sweeps["inference_logs.metadata"].deleted > 0
    result = app.test_cli_runner().invoke(args=["selfservice", "retention", "sweep"])
    assert result.exit_code == 1 and "security_events.broken" in result.output
    assert "FAILED: RuntimeError" in result.output


def table_counts(app: Flask) -> dict[str, int]:
    models = (InferenceLog, SecurityEvent, Payment, Invoice, MarketingContact)
    return {m.__tablename__: count(app, m, sa.true()) for m in models} | {
        "bodies": count(app, log, with_body())}


def test_the_plan_on_the_command_line_deletes_nothing(app: Flask) -> None:
    runner = app.test_cli_runner()
    before = table_counts(app)
    table = runner.invoke(args=["selfservice", "retention", "plan"])
    assert table.exit_code == 0, table.output
    assert "inference_logs.metadata" in table.output and "nothing was deleted" in table.output
    listed = runner.invoke(args=["selfservice", "retention", "plan", "--json"])
    planned = {f"{p['source']}.{p['rule']}": p["due"] for p in json.loads(listed.output)}
    assert planned["inference_logs.bodies"] > 0 and planned["marketing_contacts.inactive"] > 0
    assert table_counts(app) == before
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RetentionSweep)) == 0

    swept = runner.invoke(args=["selfservice", "retention", "sweep", "--rule",
                                "marketing_contacts.inactive"])
    assert swept.exit_code == 0, swept.output
    due = planned["marketing_contacts.inactive"]
    assert f"marketing_contacts.inactive: {due} of {due} removed" in swept.output
    after = table_counts(app)
    assert after["marketing_contacts"] == before["marketing_contacts"] - due
    assert {k: v for k, v in after.items() if k != "marketing_contacts"} == {
        k: v for k, v in before.items() if k != "marketing_contacts"}
    history = json.loads(runner.invoke(args=["selfservice", "retention", "history",
                                             "--json"]).output)
    assert [(h["source"], h["rule"], h["status"], h["deleted"]) for h in history] == [
        ("marketing_contacts", "inactive", "done", due)]
    unknown = runner.invoke(args=["selfservice", "retention", "sweep", "--rule", "no.such"])
    assert unknown.exit_code == 2 and "no retention rule" in unknown.output


@pytest.mark.backends("sqlite")
def test_holds_on_the_command_line(app: Flask) -> None:
    runner = app.test_cli_runner()
    review = (utcnow() + REVIEW).date().isoformat()
    placed = runner.invoke(args=["selfservice", "holds", "place", ALICE, "--reason",
                                 "Litigation hold", "--review-date", review, "--source",
                                 "inference_logs", "--source", "invoices"])
    assert placed.exit_code == 0, placed.output
    assert "inference_logs, invoices" in placed.output
    refused = runner.invoke(args=["selfservice", "holds", "place", "acct-nobody", "--reason",
                                  " ", "--review-date", "2001-01-01", "--source", "nope"])
    assert refused.exit_code == 1
    for field in ("account_id: no such account", "reason: is required",
                  "review_at: must lie in the future", "sources: unknown sources: nope"):
        assert field in refused.output
    [hold] = json.loads(runner.invoke(args=["selfservice", "holds", "list", "--account",
                                            ALICE, "--json"]).output)
    assert hold["sources"] == ["inference_logs", "invoices"] and hold["placed_by"] is None
    with app.app_context():
        plan = {p.name: p.held_accounts for p in retention.plan()}
    assert plan["inference_logs.metadata"] == 1 and plan["security_events.log"] == 0
    released = runner.invoke(args=["selfservice", "holds", "release", hold["id"], "--reason",
                                   "Case settled", "--officer", "acct-pat"])
    assert released.exit_code == 0, released.output
    again = runner.invoke(args=["selfservice", "holds", "release", hold["id"], "--reason",
                                "Twice"])
    assert again.exit_code == 1 and "already released" in again.output
    assert json.loads(runner.invoke(args=["selfservice", "holds", "list", "--json"]).output) \
        == []
    [gone] = json.loads(runner.invoke(args=["selfservice", "holds", "list", "--all",
                                            "--json"]).output)
    assert (gone["active"], gone["released_by"], gone["release_reason"]) == (
        False, "acct-pat", "Case settled")


def test_a_worker_runs_the_sweeps_once_a_day(app: Flask,
                                             start_worker: Callable[..., Worker]) -> None:
    with app.app_context():
        due = {p.name: p.due for p in retention.plan()}
    worker = start_worker(SELFSERVICE_RETENTION_SWEEPS="true")
    deadline = time.monotonic() + 60
    while True:
        with app.extensions["selfservice"].db.read() as session:
            rows = list(session.scalars(sa.select(RetentionSweep)
                                        .where(RetentionSweep.status != "running")))
        if len(rows) == len(due) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert worker.stop() == 0, worker.output()[-2000:]
    # the sweep ran a few seconds after the plan: a log may have come of age since
    assert {f"{r.source}.{r.rule}": r.status for r in rows} == dict.fromkeys(due, "done")
    done = {f"{r.source}.{r.rule}": r.deleted for r in rows}
    assert done["marketing_contacts.inactive"] == due["marketing_contacts.inactive"] > 0
    assert done["inference_logs.bodies"] >= due["inference_logs.bodies"] > 0


@pytest.mark.settings(SELFSERVICE_RETENTION_SWEEPS=False)
def test_the_daily_job_can_be_turned_off(app: Flask) -> None:
    state = app.extensions["selfservice"]
    context = JobContext("job-1", retention.SWEEP_JOB, None, None, {}, 1, state.db)
    before = table_counts(app)
    with app.app_context():
        assert sweep_sources(context) == {"skipped": "SELFSERVICE_RETENTION_SWEEPS is off"}
    assert table_counts(app) == before


def test_the_daily_job_sweeps_every_rule(app: Flask) -> None:
    state = app.extensions["selfservice"]
    assert retention.SWEEP_JOB in state.jobs.daily
    assert state.jobs.handler_for(retention.SWEEP_JOB) is sweep_sources
    context = JobContext("job-1", retention.SWEEP_JOB, None, None, {}, 1, state.db)
    with app.app_context():
        outcome = sweep_sources(context)
    assert outcome["rules"] == 6 and outcome["deleted"] > 0 and outcome["failed"] == []
