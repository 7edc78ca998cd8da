"""Sub-processor change notices, through the real outbox, Redis, workers and SMTP capture: every
owner and admin of every subscribed organisation gets one e-mail per announced change, however
often the fan-out runs (twice in a row, from a restarted worker); an organisation that
subscribes after the announcement gets it too; a change already in force is told to no one; a
new announcement has the dispatcher run the fan-out again the same day."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.models import AuditEvent, BackgroundJob, SubprocessorNotice
from selfservice.services import outbox
from selfservice.services import subprocessor_notices as notices

from .helpers import LiveServer, Person, Worker
from .subprocessor_changes import ADD, PAST, REMOVE, SHORT, day

SUBSCRIPTION = "/privacy/api/v1/dpa/subprocessor-subscription"
ACME_ADMINS = ["bob@example.com", "dmitri.volkov@example.net"]
GLOBEX_ADMINS = ["fatima.haddad@example.net", "ines.moreau@example.net"]


def run_jobs(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def subscribe(make_person: Any, email: str) -> Person:
    person: Person = make_person()
    person.login(email)
    response = person.api("PUT", SUBSCRIPTION, json={"subscribed": True})
    assert response.status_code == 200, response.text
    return person


def subscribe_by_service(app: Flask, account_id: str) -> None:
    """An owner who does not sign in through the test provider (the seed's other accounts)."""
    with app.app_context():
        state = app.extensions["selfservice"]
        notices.set_subscription(state.extension.load_identity(account_id), True)


def fan_out_again(app: Flask, times: int = 1) -> None:
    """More runs of the daily fan-out, as if the dispatcher asked twice (no dedupe key)."""
    with app.app_context(), app.extensions["selfservice"].db.transaction() as session:
        for _ in range(times):
            outbox.schedule(session, notices.NOTIFY_JOB)


def said(offset: int) -> str:
    """``day(offset)`` as an English e-mail writes it ("January 10, 2027")."""
    return format_date(date.fromisoformat(day(offset)), "long", locale="en")


def about(mailbox: MailCapture, name: str) -> list[Any]:
    return [m for m in mailbox.messages if name in str(m["Subject"])]


def notice_rows(app: Flask) -> list[tuple[str, str, int]]:
    with app.extensions["selfservice"].db.read() as session:
        return sorted((n.change_id, n.org_id, n.recipients)
                      for n in session.scalars(sa.select(SubprocessorNotice)))


@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[ADD, PAST, SHORT, REMOVE])
def test_each_subscribed_organisations_admins_get_each_announcement_once(
        app: Flask, backend: str, make_person: Any, mailbox: MailCapture,
        live_server: LiveServer) -> None:
    subscribe(make_person, "bob@example.com")  # after the announcements: gets them at once
    subscribe_by_service(app, "acct-fatima")
    run_jobs(app)
    fan_out_again(app, times=2)
    run_jobs(app)
    with app.app_context():
        assert notices.notify() == {"changes": 3, "notices": 0, "emails": 0}
    added, moved = about(mailbox, "Mailer GmbH"), about(mailbox, "Stripe Payments")
    removed = about(mailbox, "Postmark")
    for told in (added, moved, removed):
        assert sorted(str(m["To"]) for m in told) == sorted(ACME_ADMINS + GLOBEX_ADMINS)
    assert not about(mailbox, "Cloudflare")  # in force since yesterday: no notice
    assert not mailbox.to("carol@example.com")  # a member of Acme AI
    assert len({m["Message-ID"] for m in added + moved + removed}) == 12
    assert notice_rows(app) == [(ADD["id"], "org-acme", 2), (ADD["id"], "org-globex", 2),
                                (REMOVE["id"], "org-acme", 2), (REMOVE["id"], "org-globex", 2),
                                (SHORT["id"], "org-acme", 2), (SHORT["id"], "org-globex", 2)]

    [mail] = [m for m in added if m["To"] == "bob@example.com"]
    assert mail["Subject"] == f"We are adding a sub-processor: Mailer GmbH, from {said(40)}"
    text = mail.get_content().replace("\r\n", "\n")
    assert "Acme AI asked to be told when we change the sub-processors" in text
    assert f"On {said(40)} we start using Mailer GmbH:" in text
    assert "What it does for us: Sending account and privacy e-mails" in text
    assert "Where: Germany (EU)" in text
    assert ADD["description"] in text
    assert f"We announced it on {said(-5)}: 45 days' notice." in text
    assert f"can object until the end of {said(39)} (UTC)" in text
    assert (f"{live_server.url}/privacy/subprocessors/changes/{ADD['id']}/objection"
            in text)
    assert f"{live_server.url}/privacy/subprocessors\n" in text
    [short] = [m for m in moved if m["To"] == "ines.moreau@example.net"]
    text = short.get_content().replace("\r\n", "\n")
    assert "Globex Research" in text and "Hello Ines Moreau" in text
    assert "Where: United States (was: Ireland (EU) and United States)" in text
    assert "less than our usual 30 days, because: Stripe ends its EU processing" in text
    [gone] = [m for m in removed if m["To"] == "fatima.haddad@example.net"]
    assert gone["Subject"] == ("We are no longer using a sub-processor: Postmark "
                               f"(ActiveCampaign, LLC), from {said(35)}")
    assert (f"On {said(35)} we stop using Postmark (ActiveCampaign, LLC) (Sending account and "
            "privacy e-mails).") in gone.get_content().replace("\r\n", "\n")
    with app.extensions["selfservice"].db.read() as session:
        told = [e.details for e in session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == "org:org-acme", AuditEvent.action == "subprocessors.notified"))]
    assert sorted((d["change_id"], d["recipients"]) for d in told) == [
        (ADD["id"], 2), (REMOVE["id"], 2), (SHORT["id"], 2)]


@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[PAST])
def test_a_change_in_force_is_told_to_no_one(app: Flask, backend: str, make_person: Any,
                                             mailbox: MailCapture) -> None:
    subscribe(make_person, "bob@example.com")
    with app.extensions["selfservice"].db.read() as session:
        asked = session.scalar(sa.select(sa.func.count()).where(
            BackgroundJob.kind == notices.NOTIFY_JOB))
    assert asked == 0  # nothing to tell: subscribing asks for no fan-out
    fan_out_again(app)
    run_jobs(app)
    assert mailbox.messages == [] and notice_rows(app) == []


def test_a_new_announcement_has_the_dispatcher_run_the_fan_out_again_the_same_day(
        app: Flask, backend: str) -> None:
    with app.app_context():
        assert outbox.schedule_daily() >= 2  # the day's runs, the fan-out among them
        assert outbox.schedule_daily() == 0
        app.config["SELFSERVICE_SUBPROCESSOR_CHANGES"] = [ADD]  # a new configuration deployed
        assert outbox.schedule_daily() == 1
        app.extensions["selfservice"].daily_done.clear()  # another worker, same configuration
        assert outbox.schedule_daily() == 0
        app.config["SELFSERVICE_SUBPROCESSOR_CHANGES"] = []
        assert outbox.schedule_daily() == 1
    with app.extensions["selfservice"].db.read() as session:
        runs = session.scalars(sa.select(BackgroundJob.dedupe_key).where(
            BackgroundJob.kind == notices.NOTIFY_JOB)).all()
    assert len(set(runs)) == 3


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.3)
    return condition()


@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[ADD])
def test_a_worker_sends_the_notices_once_across_a_restart_and_a_double_run(
        app: Flask, backend: str, make_person: Any, mailbox: MailCapture,
        start_worker: Callable[..., Worker]) -> None:
    settings = {"SELFSERVICE_SUBPROCESSOR_CHANGES": json.dumps([ADD])}
    subscribe(make_person, "bob@example.com")
    worker = start_worker(**settings)
    if not wait_for(lambda: len(about(mailbox, "Mailer GmbH")) >= 2):
        worker.stop()
        raise AssertionError("no notices; the worker said:\n" + worker.output()[-3000:])
    assert worker.stop() == 0
    again = start_worker(**settings)  # a restart: its dispatcher asks for the day's runs again
    fan_out_again(app)  # and one more run, as a double delivery would
    with app.extensions["selfservice"].db.read() as session:
        ids = session.scalars(sa.select(BackgroundJob.id).where(
            BackgroundJob.kind == notices.NOTIFY_JOB)).all()

    def all_done() -> bool:
        with app.extensions["selfservice"].db.read() as session:
            return all(session.get(BackgroundJob, job_id).status == "succeeded"  # type: ignore
                       for job_id in ids)

    assert wait_for(all_done), again.output()[-3000:]
    time.sleep(2)  # an e-mail asked for twice would have been sent by now
    assert again.stop() == 0
    assert sorted(str(m["To"]) for m in about(mailbox, "Mailer GmbH")) == ACME_ADMINS
    output = worker.output()
    assert "bob@example.com" not in output and "dmitri" not in output.lower()
