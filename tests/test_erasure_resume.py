"""An erasure survives the machine dying under its worker, and the proof it keeps expires."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice.db import utcnow
from selfservice.models import (
    AuditEvent,
    BackgroundJob,
    ConsentEvent,
    Deletion,
    PrivacyRequest,
    PrivacyRequestEvent,
)
from selfservice.services import audit, consent_verification, own_erasure

from . import erasure_app
from .helpers import Worker
from .test_erasure import (
    CAROL,
    confirm,
    counts,
    run_jobs,
    spread_canary,
    state,
    steps,
    verify_offline,
)

#: a worker whose silence the reaper notices within seconds
FAST_REAPER = {"SELFSERVICE_JOB_HEARTBEAT": 1, "SELFSERVICE_JOB_STALE_AFTER": 3}


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Any) -> dict[str, Any]:
    return dict(app_config, SELFSERVICE_EXPORT_DIR=str(tmp_path / "exports"),
                SELFSERVICE_DELETION_GRACE_DAYS=0, SELFSERVICE_ENQUEUE_ON_COMMIT=True)


@pytest.fixture
def host(app: Flask) -> Flask:
    erasure_app.install(app)
    return app


def _request(app: Flask, request_id: str) -> PrivacyRequest:
    with state(app).db.read() as session:
        found = session.get(PrivacyRequest, request_id)
        assert found is not None
        return found


def test_a_worker_killed_mid_erasure_ends_in_one_complete_erasure_with_exact_counts(
        host: Flask, start_worker: Callable[..., Worker], tmp_path: Path,
        receipt_key: str) -> None:
    erasure_app.plant(host, CAROL, notes_count=600)
    before = counts(host, CAROL)
    request = confirm(host, CAROL)
    slow = dict(FAST_REAPER, FLASK_APP="tests.erasure_app", TEST_ERASER_DELAY="0.2",
                SELFSERVICE_ERASURE_BATCH=20, SELFSERVICE_RECEIPT_KEY=receipt_key)
    worker = start_worker(**slow)
    deadline = time.monotonic() + 60
    while True:
        notes = steps(host, request.id)["canary_notes"]
        if notes.status == "running" and (notes.records or 0) >= 100:
            break
        assert time.monotonic() < deadline, f"erasure never got going: {notes.status}"
        time.sleep(0.05)
    with state(host).db.read() as session:
        job = session.get(BackgroundJob, _request(host, request.id).job_id)
        assert job is not None and job.worker
        horse = int(job.worker.rsplit(":", 1)[1])
    # the machine dies under the worker (and its work horse), mid-source
    os.kill(horse, signal.SIGKILL)
    worker.kill()
    half = steps(host, request.id)["canary_notes"]
    assert half.status == "running" and half.records_before == 600
    assert 0 < counts(host, CAROL)["canary_notes"] < 600
    assert _request(host, request.id).status == "in_progress"

    worker = start_worker(**dict(slow, TEST_ERASER_DELAY="0"))
    deadline = time.monotonic() + 120
    while _request(host, request.id).status != "completed":
        assert time.monotonic() < deadline, "no later attempt finished the erasure"
        time.sleep(0.3)
    worker.stop()
    done = steps(host, request.id)
    assert (done["canary_notes"].records, done["canary_notes"].records_before) == (600, 600)
    assert done["inference_logs"].records == before["inference_logs"]
    assert counts(host, CAROL)["canary_notes"] == 0
    with state(host).db.read() as session:
        notes_of = [e.note for e in session.scalars(sa.select(PrivacyRequestEvent).where(
            PrivacyRequestEvent.request_id == request.id).order_by(PrivacyRequestEvent.id))]
        deletion = session.get(Deletion, request.id)
        assert deletion is not None and deletion.certificate is not None
        completed = session.scalar(sa.select(sa.func.count()).where(
            AuditEvent.stream == f"deletion:{request.id}",
            AuditEvent.action == "deletion.completed"))
    assert notes_of.count("Erasure started") == 1 and any("resumed" in n for n in notes_of)
    assert notes_of.count("Erasure completed") == 1 and completed == 1
    cert = {s["name"]: s["records"] for s in deletion.certificate["receipt"]["sources"]}
    assert cert["canary_notes"] == 600
    verify_offline(deletion.certificate, host, tmp_path)


@pytest.mark.backends("sqlite")
def test_the_pseudonymous_proof_is_deleted_after_its_retention_and_the_rest_still_verifies(
        host: Flask) -> None:
    spread_canary(host, CAROL)
    request = confirm(host, CAROL)
    run_jobs(host)
    with state(host).db.read() as session:
        deletion = session.get(Deletion, request.id)
        assert deletion is not None
        pseudonym = deletion.pseudonym
        kept = session.scalar(sa.select(sa.func.count()).where(
            ConsentEvent.subject_id == pseudonym))
    assert kept == 2
    days = host.config["SELFSERVICE_ERASED_PROOF_RETENTION_DAYS"]
    with host.app_context():
        assert own_erasure.sweep_expired_proof(utcnow() + timedelta(days=days - 1)) == 0
        assert own_erasure.sweep_expired_proof(utcnow() + timedelta(days=days + 1)) > 0
        assert own_erasure.sweep_expired_proof(utcnow() + timedelta(days=days + 1)) == 0
        reports = list(consent_verification.verify_all())
        trail = [(stream, r.reason) for stream, r in audit.verify_trail() if not r.valid]
    assert all(r.valid for _, _, r in reports)
    assert trail == []  # the proof's audit stream went with its head
    with state(host).db.read() as session:
        assert not session.scalar(sa.select(sa.func.count()).where(
            ConsentEvent.subject_id == pseudonym))
        assert not session.scalar(sa.select(sa.func.count()).where(
            AuditEvent.stream == f"account:{pseudonym}"))
        assert session.get(Deletion, request.id) is not None  # the deletion's own proof stays
