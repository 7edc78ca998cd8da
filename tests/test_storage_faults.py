"""The fault matrix's archive-store row, against a real S3 API server (moto's, its own for each
test here) that goes away or loses its bucket: the export ends ``failed`` with a reason in plain
words (the store's error code only in the log), nothing partial is left, a retry completes; a
download meanwhile is a plain 503 page that counts nothing; /health says which part is down."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from devtools.services import MotoServer
from selfservice.models import BackgroundJob, PrivacyRequest
from selfservice.sources import DataSource

from .helpers import LiveServer, Person
from .storage_helpers import leftovers
from .test_browser import sign_in
from .test_cookie_browser import axe_serious
from .test_requests import API, ask_export, exported, run_jobs

BUCKET = "faults"
PLAIN = ("The export could not be built (the storage where we keep archives {}). You can try "
         "again now; if it keeps failing, support has the details.")
#: a folder to keep the 503 page's screenshots in, to look at them
SCREENSHOTS = os.environ.get("TEST_SCREENSHOTS")


@pytest.fixture
def own_moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    server.client().create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any], own_moto: MotoServer) -> dict[str, Any]:
    return dict(app_config, **own_moto.settings(BUCKET, f"f-{uuid.uuid4().hex[:8]}"),
                SELFSERVICE_JOB_MAX_ATTEMPTS=1, SELFSERVICE_STORAGE_TIMEOUT=2)


def health(person: Person) -> dict[str, Any]:
    return person.http.get(person.app_url + "/privacy/api/v1/health", timeout=30, headers={
        "Authorization": "Bearer demo-pipeline-token"}).json()  # type: ignore[no-any-return]


def status(person: Person, request_id: str) -> dict[str, Any]:
    return person.api("GET", f"{API}/{request_id}", csrf=False).json()  # type: ignore[no-any-return]


@pytest.mark.backends("postgresql")
def test_a_store_that_stops_answering_fails_exports_plainly_and_a_retry_completes(
        app: Flask, make_person: Any, own_moto: MotoServer, browser: Any,
        live_server: LiveServer) -> None:
    alice: Person = make_person()
    alice.login("alice@example.com")
    done = exported(app, alice)
    assert health(alice)["storage"]["ok"] is True
    own_moto.stop()  # the object store goes away

    # a download: a plain 503 that counts nothing (and a page that passes axe at 320 px)
    url = alice.app_url + done["download"]["url"]
    answer = alice.http.get(url, timeout=30)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    assert "The storage where we keep archives did not answer" in answer.text
    assert status(alice, done["id"])["download"]["downloads"] == 0
    look_at_the_unavailable_page(browser, live_server, url)
    report = health(alice)
    assert report["status"] == "degraded"
    assert report["storage"] == {"ok": False, "kind": "s3", "error": "unreachable",
                                 "detail": "HeadBucket: EndpointConnectionError"}

    # an export: failed, in plain words; the technical error only in the log
    carol: Person = make_person()
    carol.login("carol@example.com")
    created = ask_export(carol).json()
    run_jobs(app)
    body = status(carol, created["id"])
    assert (body["status"], body["download"]) == ("failed", None)
    assert body["reason"] == PLAIN.format("did not answer")
    page = carol.get(f"/privacy/requests/{created['id']}")
    assert PLAIN.format("did not answer") in page.text and 'id="request-retry"' in page.text
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        job = session.get(BackgroundJob, session.get(PrivacyRequest, created["id"]).job_id)
        assert job is not None  # what support and the audit chain see: the same words
        assert job.error == "the storage where we keep archives did not answer"

    # the store is back (moto keeps buckets in memory: empty again); the customer retries
    own_moto.start()
    own_moto.client().create_bucket(Bucket=BUCKET)
    retried = carol.api("POST", f"{API}/{created['id']}/retry")
    assert retried.status_code == 202, retried.text
    run_jobs(app)
    body = status(carol, created["id"])
    assert body["status"] == "completed" and body["reason"] is None
    archive = carol.http.get(carol.app_url + body["download"]["url"], timeout=30)
    assert hashlib.sha256(archive.content).hexdigest() == body["download"]["sha256"]
    assert leftovers(app) == ([app_archive_name(app, created["id"])], 0)
    assert health(carol)["storage"]["ok"] is True


@pytest.mark.backends("postgresql")
def test_a_bucket_deleted_mid_export_fails_it_plainly_and_leaves_nothing(
        app: Flask, person: Person, own_moto: MotoServer) -> None:
    deleting = {"on": True}

    def last_source(subject: Any) -> Any:
        # the archive's upload began before the first source: the bucket goes under it
        if deleting["on"]:
            own_moto.client().delete_bucket(Bucket=BUCKET)
        yield {"n": 1}

    app.extensions["selfservice"].extension.register_source(DataSource(
        name="zz_last", description="Last", purpose="Testing", legal_basis="contract",
        retention="none", schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        export=last_source))
    person.login("alice@example.com")
    created = ask_export(person).json()
    run_jobs(app)
    body = status(person, created["id"])
    assert body["status"] == "failed"
    assert body["reason"] == PLAIN.format("refused to keep it")
    own_moto.client().create_bucket(Bucket=BUCKET)  # put back, as an operator would
    assert leftovers(app) == ([], 0)
    deleting["on"] = False
    assert person.api("POST", f"{API}/{created['id']}/retry").status_code == 202
    run_jobs(app)
    assert status(person, created["id"])["status"] == "completed"
    assert leftovers(app) == ([app_archive_name(app, created["id"])], 0)


def app_archive_name(app: Flask, request_id: str) -> str:
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        row = session.get(PrivacyRequest, request_id)
        assert row is not None and row.archive_name
        return row.archive_name


def look_at_the_unavailable_page(browser: Any, live_server: LiveServer, url: str) -> None:
    """The 503 page in Chromium: readable at 320 px without sideways scrolling, its links
    reachable by keyboard, no serious axe finding."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        sign_in(page, live_server, "alice@example.com")
        response = page.goto(url)
        assert response is not None and response.status == 503
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.tagName")
        assert focused in ("A", "BUTTON")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/export-unavailable-320.png", full_page=True)
            page.set_viewport_size({"width": 1280, "height": 800})
            page.screenshot(path=f"{SCREENSHOTS}/export-unavailable-1280.png", full_page=True)
        assert axe_serious(page, "main") == []
    finally:
        context.close()
