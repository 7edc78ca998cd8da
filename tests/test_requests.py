"""Privacy requests and the export pipeline through the real login, worker and Redis, on both
databases: one request per double click, deadlines per law, the archive built by a worker,
downloads only for the owner with a fresh login (Range works, expiry is 410), failures visible
with a reason and retried at once."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.models import BackgroundJob, PrivacyRequest
from selfservice.services import outbox
from selfservice.services import privacy_requests as service
from selfservice.sources import DataSource

from .helpers import Person, Worker, forms_of, make_login_stale
from .storage_helpers import archives, leftovers

API = "/privacy/api/v1/requests"


def run_jobs(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def ask_export(person: Person, **body: Any) -> Any:
    return person.api("POST", API, json={"type": "export", **body})


def exported(app: Flask, person: Person) -> dict[str, Any]:
    response = ask_export(person)
    assert response.status_code == 202, response.text
    run_jobs(app)
    body = person.api("GET", f"{API}/{response.json()['id']}", csrf=False).json()
    assert body["status"] == "completed", body
    return body  # type: ignore[no-any-return]


@pytest.mark.usefixtures("storage")
def test_an_export_is_built_by_a_worker_and_downloaded_by_its_owner(
        app: Flask, person: Person, mailbox: MailCapture) -> None:
    person.login("alice@example.com")
    response = ask_export(person, details={"formats": ["jsonl", "csv"]})
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["reference"].startswith("DR-") and len(created["reference"]) == 12
    assert created["status"] == "verified"
    run_jobs(app)
    body = person.api("GET", f"{API}/{created['id']}", csrf=False).json()
    assert (body["status"], body["progress"]) == ("completed", 100)
    assert [e["status"] for e in body["events"]] == ["received", "verified", "in_progress",
                                                     "completed"]
    download = body["download"]
    assert download["bytes"] > 0 and len(download["sha256"]) == 64
    expires = datetime.fromisoformat(download["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    archive = person.http.get(person.app_url + download["url"], timeout=30)
    assert archive.status_code == 200
    assert archive.headers["Content-Type"] == "application/zip"
    assert hashlib.sha256(archive.content).hexdigest() == download["sha256"]
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
        assert "data/inference_logs.jsonl" in zf.namelist()
        assert "data/inference_logs.csv" in zf.namelist()
        assert zf.testzip() is None
    body = person.api("GET", f"{API}/{created['id']}", csrf=False).json()
    assert body["download"]["downloads"] == 1
    assert archives(app) == [_request_row(app, created["id"]).archive_name]
    assert_every_source_matched_its_schema(app, archive.content)
    subjects = sorted(m["Subject"] for m in mailbox.to("alice@example.com"))
    assert subjects == [f"We received your privacy request {created['reference']}",
                        f"Your copy of your data is ready ({created['reference']})"]


def assert_every_source_matched_its_schema(app: Flask, content: bytes) -> None:
    """The demo account's archive, built in strict mode: every source's sample matched."""
    assert app.config["SELFSERVICE_EXPORT_SCHEMA_CHECK"] == "strict"
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        sources = json.loads(zf.read("manifest.json"))["sources"]
    assert len(sources) == len(list(app.extensions["selfservice"].extension.sources))
    for source in sources:
        sampled = min(source["records"], 50) + source["records"] // 1000
        assert source["schema_check"] == {"sampled": sampled, "mismatches": 0,
                                          "first": None}, source["name"]


@pytest.mark.usefixtures("storage")
def test_a_record_off_its_schema_fails_a_strict_export_at_once_and_says_why(
        app: Flask, person: Person) -> None:
    def naive(subject: Any) -> Any:
        yield {"n": 1, "created_at": datetime(2026, 3, 1, 9, 30, 17)}  # no UTC offset

    app.extensions["selfservice"].extension.register_source(DataSource(
        name="naive_times", description="Sign-in history", purpose="Testing",
        legal_basis="contract", retention="none", export=naive,
        schema={"type": "object", "properties": {
            "n": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"}}}))
    assert app.config["SELFSERVICE_JOB_MAX_ATTEMPTS"] == 3
    person.login("alice@example.com")
    created = ask_export(person).json()
    run_jobs(app)
    body = person.api("GET", f"{API}/{created['id']}", csrf=False).json()
    assert body["status"] == "failed" and body["download"] is None
    reason = body["reason"]
    assert "Sign-in history" in reason and "naive_times" in reason
    assert "created_at: must be a date-time with a UTC offset" in reason
    assert "2026-03-01" not in reason and "09:30" not in reason  # never the value
    job = _request_row(app, created["id"]).job_id
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        row = session.get(BackgroundJob, job)
        assert row is not None and (row.status, row.attempts) == ("failed", 1)  # not retried
    assert [e["status"] for e in body["events"]][-2:] == ["in_progress", "failed"]
    assert leftovers(app) == ([], 0)  # nothing half-built is left
    page = person.get(f"/privacy/requests/{created['id']}")
    assert "Sign-in history" in page.text and 'id="request-retry"' in page.text


def test_a_double_click_or_a_retried_call_makes_one_request(app: Flask,
                                                            person: Person) -> None:
    person.login("alice@example.com")
    first = person.api("POST", API, json={"type": "export"},
                       headers={"Idempotency-Key": "click-1"})
    again = person.api("POST", API, json={"type": "export"},
                       headers={"Idempotency-Key": "click-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    second = ask_export(person)
    assert second.status_code == 409
    assert second.json()["request"]["reference"] == first.json()["reference"]
    # the page: a form sent twice comes back naming the first request, and makes no second
    page = person.get("/privacy/rights/export")
    token = forms_of(page.text)[-1]["fields"]["csrf_token"]
    again_by_form = person.http.post(
        person.app_url + "/privacy/requests", allow_redirects=False, timeout=10,
        data={"csrf_token": token, "type": "export", "jurisdiction": "gdpr"})
    assert again_by_form.status_code == 409
    assert "is still being prepared" in again_by_form.text
    assert f'href="/privacy/requests/{first.json()["id"]}" id="open-request-link"' \
        in again_by_form.text
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(PrivacyRequest)) == 1


def test_creating_an_export_needs_a_fresh_login(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    make_login_stale(app, person)
    response = ask_export(person)
    assert response.status_code == 401
    assert response.json()["type"].endswith("/reauth-required")
    assert "reauth_url" in response.json()
    # a request that needs no step-up is still accepted
    assert person.api("POST", API, json={"type": "correction", "details": {
        "description": "My company name is wrong"}}).status_code == 202


@pytest.mark.usefixtures("storage")
def test_only_the_owner_with_a_fresh_login_downloads(app: Flask, make_person: Any) -> None:
    alice: Person = make_person()
    alice.login("alice@example.com")
    body = exported(app, alice)
    url = alice.app_url + body["download"]["url"]
    carol: Person = make_person()
    carol.login("carol@example.com")
    assert carol.http.get(url, timeout=10).status_code == 404
    assert carol.api("GET", f"{API}/{body['id']}", csrf=False).status_code == 404
    # stale login: sent to sign in again, then back to the download
    make_login_stale(app, alice)
    stale = alice.http.get(url, allow_redirects=False, timeout=10)
    assert stale.status_code == 302 and "/auth/reauth" in stale.headers["Location"]
    again = alice.follow(stale, login="alice@example.com")
    assert (again.status_code, again.url) == (200, url)
    # expired: 410
    with app.app_context(), app.extensions["selfservice"].db.transaction() as session:
        session.execute(sa.update(PrivacyRequest).where(PrivacyRequest.id == body["id"])
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert alice.http.get(url, timeout=10).status_code == 410


@pytest.mark.usefixtures("storage")
def test_range_requests_return_the_right_bytes(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    body = exported(app, person)
    url = person.app_url + body["download"]["url"]
    whole = person.http.get(url, timeout=30).content
    part = person.http.get(url, headers={"Range": "bytes=100-299"}, timeout=30)
    assert part.status_code == 206
    assert part.content == whole[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(whole)}"
    tail = person.http.get(url, headers={"Range": "bytes=-64"}, timeout=30)
    assert tail.status_code == 206 and tail.content == whole[-64:]


def test_one_export_a_day_and_the_page_says_when_the_next_is_possible(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    exported(app, person)
    again = ask_export(person)
    assert again.status_code == 429
    retry_after = int(again.headers["Retry-After"])
    assert 23 * 3600 < retry_after <= 24 * 3600 + 1
    page = person.get("/privacy/requests")
    assert 'id="next-export"' in page.text


@pytest.mark.usefixtures("storage")
def test_a_failing_source_fails_the_request_with_a_reason_and_a_retry_succeeds(
        app: Flask, person: Person) -> None:
    state = {"fail": True}

    def flaky(subject: Any) -> Any:
        if state["fail"]:
            raise ConnectionError("billing database unreachable")
        yield {"n": 1}

    app.extensions["selfservice"].extension.register_source(DataSource(
        name="flaky", description="Flaky", purpose="Testing", legal_basis="contract",
        retention="none", schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        export=flaky))
    app.config["SELFSERVICE_JOB_MAX_ATTEMPTS"] = 1
    person.login("alice@example.com")
    created = ask_export(person).json()
    run_jobs(app)
    body = person.api("GET", f"{API}/{created['id']}", csrf=False).json()
    assert body["status"] == "failed"
    assert "ConnectionError" in body["reason"] and "try again" in body["reason"]
    assert "unreachable" not in body["reason"]  # exception text stays with support
    page = person.get(f"/privacy/requests/{created['id']}")
    assert 'id="request-retry"' in page.text
    assert leftovers(app) == ([], 0)  # the failed attempt's upload was discarded
    # no export was used up: the customer may retry at once
    state["fail"] = False
    retried = person.api("POST", f"{API}/{created['id']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "verified"
    run_jobs(app)
    body = person.api("GET", f"{API}/{created['id']}", csrf=False).json()
    assert body["status"] == "completed" and body["reason"] is None


def test_a_canceled_export_is_not_built(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    created = ask_export(person).json()
    canceled = person.api("POST", f"{API}/{created['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    run_jobs(app)
    body = person.api("GET", f"{API}/{created['id']}", csrf=False).json()
    assert body["status"] == "canceled" and body["download"] is None
    # a canceled export does not count against the daily one
    assert ask_export(person).status_code == 202


def test_bad_requests_are_a_422_that_creates_nothing(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    for body, field in [({"type": "everything"}, "type"),
                        ({"type": "export", "jurisdiction": "mars"}, "jurisdiction"),
                        ({"type": "export", "details": {"formats": ["xml"]}}, "details"),
                        ({"type": "correction", "details": {"description": "x" * 2001}},
                         "details"),
                        ({"type": "export", "color": "red"}, "color")]:
        response = person.api("POST", API, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in {e["field"] for e in response.json()["errors"]}
    assert person.api("GET", API, csrf=False).json()["requests"] == []


@pytest.mark.parametrize("jurisdiction, received, due", [
    ("gdpr", datetime(2026, 1, 31, 9, tzinfo=UTC), datetime(2026, 2, 28, 9, tzinfo=UTC)),
    ("uk_gdpr", datetime(2026, 3, 15, 9, tzinfo=UTC), datetime(2026, 4, 15, 9, tzinfo=UTC)),
    ("gdpr", datetime(2026, 12, 31, 9, tzinfo=UTC), datetime(2027, 1, 31, 9, tzinfo=UTC)),
    ("ccpa", datetime(2026, 1, 31, 9, tzinfo=UTC), datetime(2026, 3, 17, 9, tzinfo=UTC)),
    ("us_state", datetime(2026, 11, 27, 9, tzinfo=UTC), datetime(2027, 1, 11, 9, tzinfo=UTC)),
])
def test_deadlines_follow_the_law(jurisdiction: str, received: datetime,
                                  due: datetime) -> None:
    assert service.due_date(jurisdiction, received) == due


def test_the_jurisdiction_defaults_from_the_country() -> None:
    assert [service.default_jurisdiction(c) for c in ("DE", "GB", "US", None, "JP")] == [
        "gdpr", "uk_gdpr", "ccpa", "gdpr", "gdpr"]


#: a worker whose silence the reaper notices within seconds
FAST_REAPER = {"SELFSERVICE_JOB_HEARTBEAT": 1, "SELFSERVICE_JOB_STALE_AFTER": 3}


def _request_row(app: Flask, request_id: str) -> PrivacyRequest:
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        row = session.get(PrivacyRequest, request_id)
        assert row is not None
        return row


@pytest.mark.seed(inference_logs=120_000)
def test_a_worker_killed_mid_export_leads_to_one_complete_archive(
        app: Flask, person: Person, start_worker: Callable[..., Worker]) -> None:
    import os
    import signal

    person.login("alice@example.com")
    created = ask_export(person).json()
    worker = start_worker(**FAST_REAPER)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = _request_row(app, created["id"])
        if row.status == "in_progress" and "Inference" in row.step:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the export never got going: {row.status} {row.step}")
    # the machine dies under the worker: the worker and its work horse (on PostgreSQL RQ runs
    # the job in a forked process of its own session; on SQLite the worker runs it), mid-archive
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        from selfservice.models import BackgroundJob

        job = session.get(BackgroundJob, row.job_id)
        assert job is not None and job.worker
        horse = int(job.worker.rsplit(":", 1)[1])
    os.kill(horse, signal.SIGKILL)
    worker.kill()
    assert _request_row(app, created["id"]).status == "in_progress"
    worker = start_worker(**FAST_REAPER)  # the reaper notices the silence and retries
    deadline = time.monotonic() + 120
    while _request_row(app, created["id"]).status != "completed":
        assert time.monotonic() < deadline, "no second attempt finished"
        time.sleep(0.3)
    worker.stop()
    body = person.api("GET", f"{API}/{created['id']}", csrf=False).json()
    attempts = [e["note"] for e in body["events"] if e["status"] == "in_progress"]
    assert len(attempts) >= 2, attempts
    assert len(archives(app)) == 1  # one complete archive; the killed attempt's part file only
    archive = person.http.get(person.app_url + body["download"]["url"], timeout=60).content
    assert hashlib.sha256(archive).hexdigest() == body["download"]["sha256"]
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        logs = [s for s in manifest["sources"] if s["name"] == "inference_logs"][0]
        assert logs["records"] == 120_000
        assert sum(1 for _ in zf.open("data/inference_logs.jsonl")) == 120_000


def test_an_export_asked_for_while_redis_is_down_completes_after_it_returns(
        app: Flask, person: Person, redis_server: Any) -> None:
    person.login("alice@example.com")
    redis_server.stop()
    try:
        response = ask_export(person)
        assert response.status_code == 202  # the outbox keeps the work
    finally:
        redis_server.start()
    run_jobs(app)
    body = person.api("GET", f"{API}/{response.json()['id']}", csrf=False).json()
    assert body["status"] == "completed"


@pytest.mark.backends("sqlite")
@pytest.mark.seed(inference_logs=100_000)
def test_the_progress_bar_moves_in_a_browser(app: Flask, live_server: Any, browser: Any,
                                             oidc: object,
                                             start_worker: Callable[..., Worker]) -> None:
    from .test_browser import sign_in

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "alice@example.com")
    page.goto(live_server.url + "/privacy/requests?type=export")
    page.get_by_role("button", name="Reject all").click()  # the cookie banner first
    page.get_by_role("button", name="Ask for my copy").click()
    page.wait_for_url("**/privacy/requests/*")
    assert page.locator("#request-progress").count() == 1
    page.evaluate("window.__samePage = 1")
    seen: set[str] = set()
    worker = start_worker(**FAST_REAPER)
    deadline = time.monotonic() + 90
    while page.locator("#download-export").count() == 0:
        assert time.monotonic() < deadline, f"never finished; saw {sorted(seen)}"
        # read in one step: the status's part of the page is replaced when it changes
        seen.add(page.evaluate("document.getElementById('request-progress')"
                               "?.getAttribute('value') || ''"))
        page.wait_for_timeout(100)
    worker.stop()
    numbers = sorted(int(float(v)) for v in seen if v)
    assert any(0 < n < 100 for n in numbers), numbers  # it moved, live, before the end
    assert page.locator("#request-status").inner_text() == "Ready"
    assert page.evaluate("window.__samePage") == 1  # no reload: the page filled itself in
    with page.expect_download() as info:
        page.locator("#download-export").click()
    assert info.value.suggested_filename.startswith("DR-")
    context.close()
