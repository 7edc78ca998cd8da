"""The consent ledger on SQLite and PostgreSQL: every change is an event in a hash chain, and
editing, deleting or reordering any event is detected, by the service, the API and the CLI."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice.models import ConsentEvent, ConsentMethod
from selfservice.services import consent, consent_types, consent_verification
from selfservice.services.org_training_policy import set_org_policy

from .helpers import Person


def identity(app: Flask, account_id: str) -> Any:
    return app.extensions["selfservice"].extension.load_identity(account_id)


def record_history(app: Flask, account_id: str = "acct-alice") -> list[str]:
    """Four changes: opt in, marketing on, withdraw, marketing off."""
    with app.app_context():
        who = identity(app, account_id)
        for changes in ({"training_opt_in": True}, {"marketing_emails": True},
                        {"training_opt_in": False}, {"marketing_emails": False}):
            consent.change_preferences(who, changes, method=ConsentMethod.API)
        events, report = consent.list_events(account_id)
    assert report.valid and report.records == 4
    return [e.id for e in events]


def execute(app: Flask, statement: Any) -> None:
    with app.extensions["selfservice"].db.engine.begin() as connection:
        connection.execute(statement)


def report(app: Flask, account_id: str = "acct-alice") -> Any:
    with app.app_context():
        return consent_verification.verify_subject("account", account_id)


def test_a_clean_history_verifies(app: Flask) -> None:
    ids = record_history(app)
    result = report(app)
    assert result.valid and result.records == len(ids) == 4


def test_an_edited_event_is_detected(app: Flask) -> None:
    ids = record_history(app)
    execute(app, sa.update(ConsentEvent).where(ConsentEvent.id == ids[2])
            .values(granted=True))  # "I never withdrew"
    result = report(app)
    assert (result.valid, result.first_bad_seq, result.reason) == (False, 3, "a record was altered")


def test_an_edit_that_rehashes_the_event_is_detected_by_the_next_one(app: Flask) -> None:
    from selfservice.ledger import chain_hash, consent_content

    ids = record_history(app)
    with app.app_context(), app.extensions["selfservice"].db.transaction() as session:
        event = session.get(ConsentEvent, ids[1])
        assert event is not None
        event.granted = False
        event.hash = chain_hash(event.prev_hash, consent_content(event))
    result = report(app)
    assert (result.valid, result.first_bad_seq) == (False, 3)


def test_a_deleted_event_is_detected(app: Flask) -> None:
    ids = record_history(app)
    execute(app, sa.delete(ConsentEvent).where(ConsentEvent.id == ids[1]))
    result = report(app)
    assert (result.valid, result.first_bad_seq) == (False, 2)


def test_a_deleted_last_event_is_detected_by_the_recorded_head(app: Flask) -> None:
    ids = record_history(app)
    execute(app, sa.delete(ConsentEvent).where(ConsentEvent.id == ids[-1]))
    result = report(app)
    assert (result.valid, result.first_bad_seq) == (False, 4)
    assert result.reason == "the chain does not end at its recorded head"


def test_reordered_events_are_detected(app: Flask) -> None:
    ids = record_history(app)
    # swap the positions of the opt-in and the withdrawal
    execute(app, sa.update(ConsentEvent).where(ConsentEvent.id == ids[0]).values(seq=-1))
    execute(app, sa.update(ConsentEvent).where(ConsentEvent.id == ids[2]).values(seq=1))
    execute(app, sa.update(ConsentEvent).where(ConsentEvent.id == ids[0]).values(seq=3))
    result = report(app)
    assert (result.valid, result.first_bad_seq) == (False, 1)


def test_tampering_shows_in_the_api_the_page_and_the_cli(app: Flask, person: Person) -> None:
    ids = record_history(app)
    person.login("alice@example.com")
    assert person.api("GET", "/privacy/api/v1/consent-events",
                      csrf=False).json()["chain_valid"] is True
    assert app.test_cli_runner().invoke(args=["selfservice", "consent", "verify"]).exit_code == 0

    execute(app, sa.update(ConsentEvent).where(ConsentEvent.id == ids[0])
            .values(policy_version="1999-01-01"))
    body = person.api("GET", "/privacy/api/v1/consent-events", csrf=False).json()
    assert body["chain_valid"] is False and body["chain"]["first_bad_seq"] == 1
    page = person.get("/privacy/preferences")
    assert "Record check failed" in page.text
    result = app.test_cli_runner().invoke(args=["selfservice", "consent", "verify"])
    assert result.exit_code == 1
    assert "BROKEN account:acct-alice at seq 1" in result.output


def test_an_organisation_chain_is_verified_too(app: Flask) -> None:
    from selfservice.models import OrgPolicy

    with app.app_context():
        bob = identity(app, "acct-bob")
        set_org_policy(bob, OrgPolicy.OPTED_OUT, method=ConsentMethod.CONSOLE)
        set_org_policy(bob, OrgPolicy.MEMBERS_CHOOSE, method=ConsentMethod.CONSOLE)
        assert consent_verification.verify_subject("organisation", "org-acme").valid
    execute(app, sa.update(ConsentEvent).where(ConsentEvent.subject_id == "org-acme",
                                               ConsentEvent.seq == 1).values(granted=True))
    with app.app_context():
        assert not consent_verification.verify_subject("organisation", "org-acme").valid


def test_concurrent_changes_never_fork_a_chain(app: Flask) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def flip(n: int) -> None:
        try:
            with app.app_context():
                who = identity(app, "acct-alice")
                barrier.wait()
                for i in range(4):
                    consent.change_preferences(
                        who, {"marketing_emails": (n + i) % 2 == 0,
                              "limit_sensitive_data": (n * i) % 2 == 1},
                        method=ConsentMethod.API)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=flip, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with app.app_context():
        events, result = consent.list_events("acct-alice")
    assert result.valid, result
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len(events) >= 2
    # the projection agrees with the last event of each purpose
    with app.app_context():
        view = consent.get_preferences(identity(app, "acct-alice"))
    last = {e.purpose: e.granted for e in events}
    assert view.marketing_emails == last.get("marketing_emails", False)
    assert view.limit_sensitive_data == last.get("limit_sensitive_data", False)


def test_events_are_never_changed_by_later_choices(app: Flask) -> None:
    ids = record_history(app)
    with app.app_context(), app.extensions["selfservice"].db.transaction() as session:
        first = session.get(ConsentEvent, ids[0])
        assert first is not None and first.granted is True and first.seq == 1


@pytest.mark.backends("sqlite")
def test_the_cli_records_a_written_agreement_only_for_a_privacy_officer(app: Flask) -> None:
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["selfservice", "consent", "record-agreement", "acct-alice",
                                  "--granted", "--document", "MSA-2026-118 §4",
                                  "--officer", "acct-sam"])
    assert refused.exit_code != 0 and "not a privacy officer" in refused.output
    done = runner.invoke(args=["selfservice", "consent", "record-agreement", "acct-alice",
                               "--granted", "--document", "MSA-2026-118 §4",
                               "--officer", "acct-pat"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        events, _ = consent.list_events("acct-alice")
        view = consent.get_preferences(identity(app, "acct-alice"))
    [event] = events
    assert (event.method, event.granted, event.actor_id, event.details) == (
        "written_agreement", True, "acct-pat", {"document": "MSA-2026-118 §4"})
    assert view.training_opt_in is True
    blank = runner.invoke(args=["selfservice", "consent", "record-agreement", "acct-alice",
                                "--withdrawn", "--document", " ", "--officer", "acct-pat"])
    assert blank.exit_code != 0
    with app.app_context():
        assert len(consent.list_events("acct-alice")[0]) == 1


def cli_verify(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["selfservice", "consent", "verify"])


def test_removing_an_organisations_whole_chain_is_detected(app: Flask) -> None:
    from selfservice.models import OrgPolicy

    with app.app_context():
        set_org_policy(identity(app, "acct-bob"), OrgPolicy.OPTED_OUT,
                       method=ConsentMethod.CONSOLE)
    assert cli_verify(app).exit_code == 0
    execute(app, sa.delete(ConsentEvent).where(ConsentEvent.subject_type == "organisation"))
    result = cli_verify(app)
    assert result.exit_code == 1 and "BROKEN organisation:org-acme" in result.output


def test_removing_an_accounts_whole_history_is_detected(app: Flask) -> None:
    from selfservice.models import PrivacyPreferences

    record_history(app)
    execute(app, sa.delete(ConsentEvent).where(ConsentEvent.subject_id == "acct-alice"))
    execute(app, sa.delete(PrivacyPreferences).where(
        PrivacyPreferences.account_id == "acct-alice"))
    result = cli_verify(app)
    assert result.exit_code == 1
    assert "BROKEN account:acct-alice" in result.output
    assert "the audit trail does not match the ledger" in result.output


def test_a_preference_changed_behind_the_ledgers_back_is_detected(app: Flask,
                                                                 person: Person) -> None:
    from selfservice.models import PrivacyPreferences

    record_history(app)  # ends with training off
    execute(app, sa.update(PrivacyPreferences).where(
        PrivacyPreferences.account_id == "acct-alice").values(training_opt_in=True))
    result = report(app)
    assert not result.valid and result.reason == "the preferences shown do not match the ledger"
    # and no receipt is signed from a chain that fails its check
    person.login("alice@example.com")
    events = person.api("GET", "/privacy/api/v1/consent-events", csrf=False).json()["events"]
    response = person.http.get(person.app_url + events[0]["receipt_url"], timeout=10)
    assert response.status_code == 409
    assert response.json()["type"].endswith("/ledger-invalid")


def test_no_receipt_for_an_edited_event(app: Flask, person: Person) -> None:
    ids = record_history(app)
    execute(app, sa.update(ConsentEvent).where(ConsentEvent.id == ids[0])
            .values(policy_version="1999-01-01"))
    person.login("alice@example.com")
    response = person.http.get(
        person.app_url + f"/privacy/api/v1/consent-events/{ids[0]}/receipt", timeout=10)
    assert response.status_code == 409


def test_an_organisation_policy_and_a_members_own_change_at_once_stay_consistent(
        app: Flask) -> None:
    from selfservice.models import OrgPolicy

    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def admin() -> None:
        try:
            with app.app_context():
                bob = identity(app, "acct-bob")
                barrier.wait()
                for policy in [OrgPolicy.OPTED_OUT, OrgPolicy.MEMBERS_CHOOSE] * 3:
                    set_org_policy(bob, policy, method=ConsentMethod.API)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def member() -> None:
        try:
            with app.app_context():
                carol = identity(app, "acct-carol")
                barrier.wait()
                for n in range(12):
                    with contextlib.suppress(consent_types.TrainingLocked):
                        consent.change_preferences(carol, {"training_opt_in": n % 2 == 0},
                                                   method=ConsentMethod.API)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=admin), threading.Thread(target=member)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with app.app_context():
        for subject in (("account", "acct-carol"), ("account", "acct-bob"),
                        ("organisation", "org-acme")):
            assert consent_verification.verify_subject(*subject).valid, subject
        view = consent.get_preferences(identity(app, "acct-carol"))
        events, _ = consent.list_events("acct-carol", "training")
    # the policy ended on "members choose": carol's own last choice is in force
    own = [e for e in events if e.method != "org_policy"]
    assert view.training_locked_by_org is False
    assert view.training_opt_in == (own[-1].granted if own else False)


def test_restoring_a_members_choice_keeps_the_version_they_agreed_to(app: Flask) -> None:
    from selfservice.models import OrgPolicy

    with app.app_context():
        carol, bob = identity(app, "acct-carol"), identity(app, "acct-bob")
        _, [own] = consent.change_preferences(carol, {"training_opt_in": True},
                                              method=ConsentMethod.CONSOLE)
        set_org_policy(bob, OrgPolicy.OPTED_OUT, method=ConsentMethod.CONSOLE)
        app.config["SELFSERVICE_POLICY_VERSION"] = "2027-01-01"
        set_org_policy(bob, OrgPolicy.MEMBERS_CHOOSE, method=ConsentMethod.CONSOLE)
        events, _ = consent.list_events("acct-carol", "training")
    restored = events[-1]
    assert (restored.granted, restored.method, restored.policy_version) == (
        True, "org_policy", own.policy_version)
    assert restored.details["restores_event_id"] == own.id
    org_event = events[-2]
    assert org_event.policy_version == own.policy_version  # the lock began under the old one
