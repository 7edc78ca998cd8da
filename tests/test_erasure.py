"""The erasure engine on a host with a canary source (tests/erasure_app.py): nothing of the
account left anywhere but where the plan said it is kept, a certificate that verifies offline
and whose counts match SQL, the consent chains all still verifying, legal holds honoured."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from devtools.services import ROOT
from selfservice.db import utcnow
from selfservice.models import (
    AuditEvent,
    ConsentEvent,
    ConsentMethod,
    CookieConsentMethod,
    Deletion,
    ErasureStep,
    LegalHold,
    OrgPolicy,
    PrivacyRequest,
)
from selfservice.services import (
    audit,
    consent,
    consent_receipts,
    consent_verification,
    cookie_consent,
    decisions,
    deletion,
    languages,
    org_training_policy,
    outbox,
    privacy_requests,
    support_actions,
)
from selfservice.sources import Subject

from . import erasure_app
from .erasure_app import CANARY

CAROL = "acct-carol"


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Any) -> dict[str, Any]:
    return dict(app_config, SELFSERVICE_EXPORT_DIR=str(tmp_path / "exports"),
                SELFSERVICE_DELETION_GRACE_DAYS=0)


@pytest.fixture
def host(app: Flask) -> Flask:
    erasure_app.install(app)
    return app


def state(app: Flask) -> Any:
    return app.extensions["selfservice"]


def run_jobs(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def identity(app: Flask, account_id: str) -> Any:
    with app.app_context():
        return state(app).extension.load_identity(account_id)


def confirm(app: Flask, account_id: str, now: Any = None) -> PrivacyRequest:
    who = identity(app, account_id)
    with app.app_context():
        request, _ = deletion.start(who)
        confirmed = deletion.confirm(who, request.id, who.email, now=now)
    assert confirmed is not None
    return confirmed


def row(app: Flask, model: Any, key: Any) -> Any:
    with state(app).db.read() as session:
        found = session.get(model, key)
        assert found is not None
        return found


def steps(app: Flask, request_id: str) -> dict[str, ErasureStep]:
    with state(app).db.read() as session:
        return {s.name: s for s in session.scalars(
            sa.select(ErasureStep).where(ErasureStep.request_id == request_id))}


def counts(app: Flask, account_id: str) -> dict[str, int]:
    """Every counted source's records of the account, by SQL, now."""
    with app.app_context():
        subject = Subject(account_id)
        return {s.name: s.count(subject) for s in state(app).extension.sources if s.count}


def canary_places(app: Flask) -> dict[str, int]:
    """Every column of every table (the host's and the plugin's) that holds the canary."""
    engine = state(app).db.engine
    quote = engine.dialect.identifier_preparer.quote
    found: dict[str, int] = {}
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                hits = connection.scalar(sa.text(
                    f"SELECT COUNT(*) FROM {quote(table)} "  # noqa: S608
                    f"WHERE CAST({quote(column['name'])} AS TEXT) LIKE :canary"),
                    {"canary": f"%{CANARY}%"})
                if hits:
                    found[f"{table}.{column['name']}"] = int(hits)
    return found


def spread_canary(app: Flask, account_id: str) -> None:
    """The canary in the host's tables and in the plugin's: a request's details, a cookie
    decision's browser, and an export archive."""
    erasure_app.plant(app, account_id)
    who = identity(app, account_id)
    with app.app_context():
        asked, _ = privacy_requests.create(
            who, "correction", details={"description": f"My name is wrong: {CANARY}"})
        # staff wrote about her: an internal note and a message to her, both naming her
        pat = state(app).extension.load_identity("acct-pat")
        support_actions.add_note(pat, asked.reference, f"Called {CANARY} back")
        decisions.write_to_customer(pat, asked.reference, f"Dear {CANARY}, we are on it")
        cookie_consent.record(consent_id=None, account_id=account_id,
                              categories={"analytics": True},
                              method=CookieConsentMethod.BANNER, language="en",
                              text_hash="0" * 64, gpc=False, user_agent=f"Firefox {CANARY}")
        consent.change_preferences(who, {"marketing_emails": True},
                                   method=ConsentMethod.CONSOLE)
        consent.change_preferences(who, {"marketing_emails": False},
                                   method=ConsentMethod.CONSOLE)
        languages.remember(account_id, "de")  # she reads the console in German


def verify_offline(document: dict[str, Any], app: Flask, tmp_path: Path) -> str:
    with app.app_context():
        keys = consent_receipts.published_keys()
    (tmp_path / "certificate.json").write_text(json.dumps(document))
    (tmp_path / "jwks.json").write_text(json.dumps(keys))
    done = subprocess.run([sys.executable, "-m", "selfservice.receipts", "verify",
                           str(tmp_path / "certificate.json"), str(tmp_path / "jwks.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_after_erasure_the_canary_is_only_where_the_plan_keeps_it_and_the_certificate_proves_it(
        host: Flask, mailbox: MailCapture, tmp_path: Path) -> None:
    spread_canary(host, CAROL)
    # someone else's chains: an organisation admin's policy reaches carol's chain too
    with host.app_context():
        org_training_policy.set_org_policy(identity(host, "acct-bob"), OrgPolicy.OPTED_OUT,
                                           method=ConsentMethod.CONSOLE)
    before = counts(host, CAROL)
    assert before["canary_notes"] == 40 and before["consent_events"] >= 2
    assert before["account_language"] == 1
    assert set(canary_places(host)) >= {"canary_notes.body", "canary_ledger.body",
                                        "selfservice_privacy_requests.details",
                                        "selfservice_request_notes.text",
                                        "selfservice_cookie_consents.user_agent"}

    request = confirm(host, CAROL)
    run_jobs(host)

    done = row(host, PrivacyRequest, request.id)
    assert (done.status, done.progress) == ("completed", 100), (done.status, done.step)
    kept = row(host, Deletion, request.id)
    assert done.account_id == kept.account_id == kept.pseudonym  # the proof, pseudonymous
    # the canary is gone from every table of the host and the plugin, but the retained one
    assert canary_places(host) == {"canary_ledger.body": 3}
    after = counts(host, CAROL)
    # only what the plan retains is left: the canary ledger and the demo's security log
    assert {name: n for name, n in after.items() if n} == {
        "canary_ledger": 3, "security_events": before["security_events"]}

    certificate = kept.certificate
    assert certificate is not None
    assert "valid: deletion certificate" in verify_offline(certificate, host, tmp_path)
    body = certificate["receipt"]
    assert body["subject"] == kept.pseudonym and body["reference"] == request.reference
    assert "carol" not in json.dumps(certificate).lower()
    sources = {s["name"]: s for s in body["sources"]}
    # the demo erases children before their parents: each source counts its own records
    for name, expected in before.items():
        assert sources[name]["records"] == expected, name
    # the deletion request itself, opened after the counts, is kept as the proof
    assert sources["privacy_requests"]["records"] == before["privacy_requests"] == 1
    assert sources["canary_ledger"]["action"] == "retain"
    assert sources["canary_ledger"]["retained_until"] is not None
    assert sources["consent_events"]["action"] == "anonymise"
    # the demo's two processors, then the canary host's CRM
    assert [r["name"] for r in body["recipients"]] == ["crm", "email_service", "canary_crm"]
    assert all(r["reference"].startswith(("CRM-", "ESP-")) for r in body["recipients"])
    assert body["account"] == {"status": "done", "held": None}

    # every consent chain verifies: the pseudonym's, and every other account's; and so does
    # the whole audit trail, the re-hashed streams against their heads
    with host.app_context():
        reports = list(consent_verification.verify_all())
        assert [(n, r.reason) for n, r in audit.verify_trail() if not r.valid] == []
    assert reports and all(r.valid for _, _, r in reports), [
        (t, i, r.reason) for t, i, r in reports if not r.valid]
    assert ("account", kept.pseudonym) in {(t, i) for t, i, _ in reports}
    with state(host).db.read() as session:
        assert not session.scalar(sa.select(sa.func.count()).where(sa.or_(
            ConsentEvent.subject_id == CAROL, ConsentEvent.actor_id == CAROL)))
        assert not session.scalar(sa.select(sa.func.count()).where(sa.or_(
            AuditEvent.stream == f"account:{CAROL}", AuditEvent.actor_id == CAROL,
            AuditEvent.target_id == CAROL)))

        # the record of her other requests stays under the pseudonym (CCPA regs. 7101): what,
        # when and the answer, without what she wrote or its timeline
        records = session.execute(sa.select(PrivacyRequest.type, PrivacyRequest.details,
                                            PrivacyRequest.created_at)
                                  .where(PrivacyRequest.account_id == kept.pseudonym,
                                         PrivacyRequest.id != request.id)).all()
    assert [(r.type, r.details) for r in records] == [("correction", {})]

    # the certificate went to the address given at confirmation, in the language she read
    # (its row is erased with the rest), and both are then forgotten
    mails = [m for m in mailbox.messages
             if m["Subject"] == f"Ihr Konto wurde gelöscht ({request.reference})"]
    assert len(mails) == 1 and mails[0]["To"] == "carol@example.com"
    attached = [part for part in mails[0].iter_attachments()]
    assert json.loads(attached[0].get_content()) == certificate
    assert sources["account_language"]["records"] == 1
    assert sources["account_language"]["action"] == "erase"
    assert (row(host, Deletion, request.id).notify_email,
            row(host, Deletion, request.id).notify_language) == (None, None)
    with host.app_context():
        assert languages.recorded(CAROL) is None


def test_an_eraser_that_raises_fails_the_request_naming_the_source_and_a_retry_completes(
        host: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    erasure_app.plant(host, CAROL, notes_count=30)
    host.config["SELFSERVICE_JOB_MAX_ATTEMPTS"] = 1
    host.config["SELFSERVICE_ERASURE_BATCH"] = 7
    broken = tmp_path / "broken"
    broken.touch()
    monkeypatch.setenv("TEST_ERASER_FAIL", str(broken))
    request = confirm(host, CAROL)
    run_jobs(host)

    failed = row(host, PrivacyRequest, request.id)
    assert failed.status == "failed"
    assert "canary_notes" in (failed.reason or "") and "RuntimeError" in (failed.reason or "")
    plan = steps(host, request.id)
    assert plan["canary_notes"].status == "failed"
    assert plan["canary_notes"].error == (
        "canary_notes: RuntimeError: the notes store is read-only today")
    assert plan["api_keys"].status == "done" and plan["account"].status == "pending"

    broken.unlink()
    result = host.test_cli_runner().invoke(args=["selfservice", "deletion", "retry",
                                                 request.reference])
    assert result.exit_code == 0, result.output
    run_jobs(host)
    done = row(host, PrivacyRequest, request.id)
    assert done.status == "completed", (done.status, done.reason)
    plan = steps(host, request.id)
    assert (plan["canary_notes"].records, plan["canary_notes"].error) == (30, None)
    status = host.test_cli_runner().invoke(args=["selfservice", "deletion", "status",
                                                 request.reference])
    assert "canary_notes" in status.output and "completed" in status.output
    printed = host.test_cli_runner().invoke(args=["selfservice", "deletion", "certificate",
                                                  request.reference])
    assert json.loads(printed.output) == row(host, Deletion, request.id).certificate


def test_a_legal_hold_placed_during_the_grace_period_keeps_its_sources_and_the_account(
        host: Flask, tmp_path: Path) -> None:
    erasure_app.plant(host, CAROL, notes_count=12)
    # confirmed 31 days ago with 30 days of grace: erasure is due now
    host.config["SELFSERVICE_DELETION_GRACE_DAYS"] = 30
    request = confirm(host, CAROL, now=utcnow() - timedelta(days=31))
    review = utcnow() + timedelta(days=90)
    with state(host).db.transaction() as session:
        session.add(LegalHold(account_id=CAROL, sources=["canary_notes"], reason="Litigation",
                              placed_by="acct-pat", review_at=review))
    run_jobs(host)

    done = row(host, PrivacyRequest, request.id)
    assert done.status == "completed"
    plan = steps(host, request.id)
    assert (plan["canary_notes"].status, plan["canary_notes"].records) == ("held", 12)
    assert plan["account"].status == "held" and plan["inference_logs"].status == "done"
    assert counts(host, CAROL)["canary_notes"] == 12  # kept
    with host.extensions["demo"].engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT COUNT(*) FROM accounts WHERE id = :a"),
                                 {"a": CAROL}) == 1
    body = row(host, Deletion, request.id).certificate["receipt"]
    notes = next(s for s in body["sources"] if s["name"] == "canary_notes")
    assert notes["held"]["review_at"] == review.isoformat()
    assert body["account"]["status"] == "held" and body["account"]["held"]
    assert "Litigation" not in json.dumps(body)  # the officer's words stay with the hold
    verify_offline(row(host, Deletion, request.id).certificate, host, tmp_path)


def test_a_manual_step_waits_for_a_privacy_officer_then_the_erasure_completes(
        host: Flask) -> None:
    ss = state(host).extension
    ss.register_source(erasure_app.DataSource(
        name="paper_files", description="Signed paper forms in the archive room",
        purpose="Contracts", legal_basis="contract", retention="As long as the account exists",
        schema={"type": "object", "properties": {}}, export=lambda subject: iter(())))
    request = confirm(host, CAROL)
    run_jobs(host)
    waiting = row(host, PrivacyRequest, request.id)
    assert waiting.status == "in_progress"
    assert waiting.step == ("Waiting for a privacy officer to confirm: Signed paper forms in "
                            "the archive room")
    plan = steps(host, request.id)
    assert plan["paper_files"].action == "manual" and plan["account"].status == "pending"
    assert plan["canary_crm"].status == "done"

    result = host.test_cli_runner().invoke(args=[
        "selfservice", "deletion", "confirm-step", request.reference, "paper_files",
        "--note", "Shredded, certificate 4411"])
    assert result.exit_code == 0, result.output
    run_jobs(host)
    assert row(host, PrivacyRequest, request.id).status == "completed"
    plan = steps(host, request.id)
    assert plan["paper_files"].note == "Shredded, certificate 4411"
    assert plan["paper_files"].confirmed_by and plan["account"].status == "done"


def test_deleting_an_organisation_admin_leaves_every_members_chain_verifying(
        host: Flask) -> None:
    """The admin's id is on the organisation's chain and on each member's (their policy's
    events): pseudonymised and hashed again, every chain still verifies."""
    admin = "acct-dmitri"
    with host.app_context():
        org_training_policy.set_org_policy(identity(host, admin), OrgPolicy.OPTED_IN,
                                           method=ConsentMethod.CONSOLE)
    with state(host).db.read() as session:
        touched = set(session.scalars(sa.select(ConsentEvent.subject_id).where(
            ConsentEvent.actor_id == admin)))
    assert CAROL in touched and "org-acme" in touched
    request = confirm(host, admin)
    run_jobs(host)
    assert row(host, PrivacyRequest, request.id).status == "completed"
    with host.app_context():
        reports = list(consent_verification.verify_all())
        assert [(n, r.reason) for n, r in audit.verify_trail() if not r.valid] == []
    assert all(r.valid for _, _, r in reports), [(i, r.reason) for _, i, r in reports
                                                  if not r.valid]
    with state(host).db.read() as session:
        assert not session.scalar(sa.select(sa.func.count()).where(
            ConsentEvent.actor_id == admin))
    with host.app_context():
        assert consent_verification.verify_subject("account", CAROL).valid
        assert consent.get_preferences(identity(host, CAROL)).training_opt_in is True


@pytest.mark.backends("sqlite")
def test_a_hold_on_the_whole_account_keeps_everything_and_no_recipient_is_told(
        host: Flask) -> None:
    spread_canary(host, CAROL)
    host.config["SELFSERVICE_DELETION_GRACE_DAYS"] = 30
    request = confirm(host, CAROL, now=utcnow() - timedelta(days=31))
    before = counts(host, CAROL)
    with state(host).db.transaction() as session:
        session.add(LegalHold(account_id=CAROL, sources=None, reason="Regulator's inquiry",
                              placed_by="acct-pat", review_at=utcnow() + timedelta(days=30)))
    run_jobs(host)
    assert row(host, PrivacyRequest, request.id).status == "completed"
    plan = steps(host, request.id)
    assert {s.status for s in plan.values()} == {"held"}
    # nothing erased, the ledger not pseudonymised; only the deletion request itself moved
    # to the pseudonym, as the proof of what was (not) done
    assert counts(host, CAROL) == {**before, "privacy_requests": before["privacy_requests"] - 1}
    with host.app_context():
        assert consent_verification.verify_subject("account", CAROL).valid
    with host.extensions["demo"].engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT COUNT(*) FROM canary_crm_log")) == 0
