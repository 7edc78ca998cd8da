"""Deletion up to the point of no return (services.deletion): the plan shown before, the
confirmation that freezes it, locks the account and ends its sessions, the grace period and
the cancel that restores the account. Erasure itself is tested in test_erasure*.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice import Blocker, DataSource
from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.models import (
    AccountSession,
    BackgroundJob,
    Deletion,
    ErasureStep,
    PrivacyRequest,
    RequestStatus,
)
from selfservice.services import deletion, deletion_plans, privacy_requests


@pytest.fixture
def ctx(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield app.extensions["selfservice"]


@pytest.fixture
def calls(ctx: Any) -> list[tuple[str, str]]:
    """The host's lock and restore hooks, recording their calls."""
    seen: list[tuple[str, str]] = []
    hooks = ctx.extension.deletion
    hooks.lock = lambda account_id: seen.append(("lock", account_id))
    hooks.restore = lambda account_id: seen.append(("restore", account_id))
    return seen


def who(ctx: Any, account_id: str = "acct-alice") -> Identity:
    identity = ctx.extension.load_identity(account_id)
    assert identity is not None
    return identity


def opened(ctx: Any, account_id: str = "acct-alice") -> tuple[Identity, PrivacyRequest]:
    identity = who(ctx, account_id)
    request, created = deletion.start(identity)
    assert created
    return identity, request


def jobs_of(ctx: Any, request_id: str) -> list[BackgroundJob]:
    with ctx.db.read() as session:
        return list(session.scalars(sa.select(BackgroundJob).where(
            BackgroundJob.target_id == request_id).order_by(BackgroundJob.created_at)))


def status_of(ctx: Any, request_id: str) -> str:
    with ctx.db.read() as session:
        request = session.get(PrivacyRequest, request_id)
        assert request is not None
        return request.status


def test_the_preview_lists_every_source_with_its_count_and_the_account_last(ctx: Any) -> None:
    identity = who(ctx)
    with ctx.db.read() as session:
        plan = deletion_plans.preview(identity, session)
    names = [line.name for line in plan.sources]
    registered = [s.name for s in ctx.extension.sources if not s.builtin]
    assert names[:len(registered)] == registered  # the host's first, in registration order
    assert plan.lines[-1].kind == "account" and plan.lines[-1].name == "account"
    logs = next(line for line in plan.sources if line.name == "inference_logs")
    with ctx.db.engine.connect() as connection:
        expected = connection.scalar(sa.text(
            "SELECT count(*) FROM inference_logs WHERE account_id = 'acct-alice'"))
    assert logs.records == expected and expected > 0
    assert plan.blockers == []
    body = plan.as_json()
    assert body["frozen_at"] is None and body["scheduled_for"] is None
    assert body["starts_if_confirmed_now"] is not None
    assert any("cannot be stopped" in text for text in body["irreversible"])


def test_a_source_without_eraser_is_a_manual_step_and_says_why(ctx: Any) -> None:
    registry = ctx.extension.sources
    registry.register(DataSource(
        name="canary_manual", description="Notes nobody erases automatically",
        purpose="Testing", legal_basis="contract", retention="Forever",
        schema={"type": "object", "properties": {"x": {"type": "string"}}},
        export=lambda subject: iter(())))
    with ctx.db.read() as session:
        plan = deletion_plans.preview(who(ctx), session)
    line = next(line for line in plan.sources if line.name == "canary_manual")
    assert line.action == "manual" and "privacy officer" in line.reason


@pytest.mark.settings(SELFSERVICE_SMTP_HOST=None)
def test_staff_and_running_exports_block_with_what_to_do(ctx: Any) -> None:
    with ctx.db.read() as session:
        sam = deletion_plans.preview(who(ctx, "acct-sam"), session)
    assert [b.code for b in sam.blockers] == ["staff_account"]

    alice = who(ctx)
    export, _ = privacy_requests.create(alice, "export", verified=True)
    identity, request = opened(ctx)
    with pytest.raises(deletion.Blocked) as refused:
        deletion.confirm(identity, request.id, identity.email)
    assert [b.code for b in refused.value.blockers] == ["export_in_progress"]
    assert export.reference in refused.value.blockers[0].message
    assert deletion.deletion_of(request.id) is None
    assert status_of(ctx, request.id) == RequestStatus.VERIFIED


def test_host_blockers_stop_the_confirmation_and_change_nothing(ctx: Any,
                                                               calls: list[Any]) -> None:
    ctx.extension.deletion.blocker_checks.append(
        lambda account_id: [Blocker("gpu_running", "Terminate your 2 running GPU instances "
                                    "first.", "/console/gpu", "Open GPU instances")])
    identity, request = opened(ctx)
    with pytest.raises(deletion.Blocked) as refused:
        deletion.confirm(identity, request.id, identity.email)
    assert refused.value.blockers[0].action_url == "/console/gpu"
    assert deletion.deletion_of(request.id) is None and calls == []
    assert [j.kind for j in jobs_of(ctx, request.id)] == ["mail.request_received"]


@pytest.mark.parametrize("typed", ["alice@example.org", "", "acct-alice", None, 42])
def test_a_wrong_confirmation_changes_nothing(ctx: Any, calls: list[Any], typed: Any) -> None:
    identity, request = opened(ctx)
    with pytest.raises(deletion.WrongConfirmation):
        deletion.confirm(identity, request.id, typed)
    assert deletion.deletion_of(request.id) is None
    assert status_of(ctx, request.id) == RequestStatus.VERIFIED and calls == []


def test_confirming_freezes_the_plan_locks_the_account_and_schedules_erasure(
        ctx: Any, calls: list[Any]) -> None:
    with ctx.db.transaction() as session:
        session.add(AccountSession(id="s" * 40, account_id="acct-alice"))
    identity, request = opened(ctx)
    with ctx.db.read() as session:
        promised = deletion_plans.preview(identity, session)

    done = deletion.confirm(identity, request.id, "  ALICE@example.com ")
    assert done is not None and done.status == RequestStatus.SCHEDULED
    row = deletion.deletion_of(request.id)
    assert row is not None and row.grace_days == 30
    assert row.scheduled_for - row.confirmed_at == timedelta(days=30)
    assert row.pseudonym.startswith("erased-") and row.notify_email == identity.email
    assert calls == [("lock", "acct-alice")]
    with ctx.db.read() as session:
        steps = list(session.scalars(sa.select(ErasureStep).where(
            ErasureStep.request_id == request.id).order_by(ErasureStep.position)))
        live = session.scalars(sa.select(AccountSession).where(
            AccountSession.account_id == "acct-alice",
            AccountSession.revoked_at.is_(None))).all()
    assert [(s.name, s.action, s.planned_records) for s in steps] == [
        (line.name, line.action, line.records) for line in promised.lines]
    assert live == []  # every browser of the account is signed out
    jobs = {job.kind: job for job in jobs_of(ctx, request.id)}
    assert jobs[deletion.ERASE_JOB].available_at == row.scheduled_for
    assert jobs[deletion.REMINDER_MAIL_JOB].available_at == row.scheduled_for - timedelta(days=7)
    assert deletion.SCHEDULED_MAIL_JOB in jobs
    assert deletion.scheduled_for_account("acct-alice") is not None

    # a later change of the registry cannot alter what was promised
    ctx.extension.sources.register(DataSource(
        name="added_later", description="Added after the confirmation", purpose="Testing",
        legal_basis="contract", retention="Forever",
        schema={"type": "object", "properties": {"x": {"type": "string"}}},
        export=lambda subject: iter(())))
    with ctx.db.read() as session:
        request_row = session.get(PrivacyRequest, request.id)
    assert request_row is not None
    frozen = deletion_plans.plan_for(identity, request_row)
    assert [line.name for line in frozen.lines] == [line.name for line in promised.lines]
    assert frozen.as_json()["scheduled_for"] == row.scheduled_for.isoformat()


def test_two_browsers_confirming_at_once_make_one_deletion(app: Flask, ctx: Any,
                                                          calls: list[Any]) -> None:
    identity, request = opened(ctx)
    errors: list[BaseException] = []

    def click() -> None:
        with app.app_context():
            try:
                deletion.confirm(identity, request.id, identity.email)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    erase = [j for j in jobs_of(ctx, request.id) if j.kind == deletion.ERASE_JOB]
    assert len(erase) == 1 and calls == [("lock", "acct-alice")]
    with ctx.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Deletion)) == 1


def test_cancel_during_the_grace_period_restores_the_account(ctx: Any,
                                                             calls: list[Any]) -> None:
    identity, request = opened(ctx)
    deletion.confirm(identity, request.id, identity.email)
    canceled = deletion.cancel("acct-alice", request.id, "I changed my mind")
    assert canceled is not None and canceled.status == RequestStatus.CANCELED
    assert canceled.reason == "I changed my mind"
    assert calls == [("lock", "acct-alice"), ("restore", "acct-alice")]
    kinds = {j.kind: j.status for j in jobs_of(ctx, request.id)}
    assert kinds[deletion.ERASE_JOB] == "canceled"
    assert kinds[deletion.REMINDER_MAIL_JOB] == "canceled"
    assert deletion.CANCELED_MAIL_JOB in kinds
    assert deletion.scheduled_for_account("acct-alice") is None
    # the account may ask again later: a new request, a new plan
    again, created = deletion.start(identity)
    assert created and again.id != request.id


def test_cancel_after_the_point_of_no_return_is_refused(ctx: Any, calls: list[Any]) -> None:
    identity, request = opened(ctx)
    deletion.confirm(identity, request.id, identity.email)
    row = deletion.deletion_of(request.id)
    assert row is not None
    with pytest.raises(deletion.ErasureBegun):
        deletion.cancel("acct-alice", request.id, now=row.scheduled_for + timedelta(seconds=1))
    assert status_of(ctx, request.id) == RequestStatus.SCHEDULED
    assert calls == [("lock", "acct-alice")]


def test_someone_elses_deletion_is_not_found(ctx: Any, calls: list[Any]) -> None:
    identity, request = opened(ctx)
    bob = who(ctx, "acct-bob")
    assert deletion.confirm(bob, request.id, bob.email) is None
    assert deletion.cancel("acct-bob", request.id) is None
    assert deletion.deletion_of(request.id) is None and calls == []


@pytest.mark.settings(SELFSERVICE_DELETION_GRACE_DAYS=0)
def test_no_grace_period_starts_erasure_at_once(ctx: Any, calls: list[Any]) -> None:
    identity, request = opened(ctx)
    before = utcnow()
    done = deletion.confirm(identity, request.id, request.reference)
    assert done is not None and done.status == RequestStatus.IN_PROGRESS
    jobs = {j.kind: j for j in jobs_of(ctx, request.id)}
    assert jobs[deletion.ERASE_JOB].available_at - before < timedelta(seconds=5)
    assert deletion.REMINDER_MAIL_JOB not in jobs
    with pytest.raises(deletion.ErasureBegun):
        deletion.cancel("acct-alice", request.id)


def test_a_failing_lock_hook_is_recorded_and_the_confirmation_stands(ctx: Any) -> None:
    def broken(account_id: str) -> None:
        raise RuntimeError("console database unavailable")

    ctx.extension.deletion.lock = broken
    identity, request = opened(ctx)
    done = deletion.confirm(identity, request.id, identity.email)
    assert done is not None and done.status == RequestStatus.SCHEDULED
    from selfservice.models import AuditEvent

    with ctx.db.read() as session:
        actions = session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.stream == "account:acct-alice")).all()
    assert "deletion.lock_failed" in actions
