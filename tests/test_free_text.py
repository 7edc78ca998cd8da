"""Text the plugin stores is text a database keeps faithfully: a NUL byte or a lone surrogate
in a description is refused with a clear message (on the page and in the API alike), an
idempotency key or a document reference with one is refused, and a browser's user agent is
stored without its control characters. They used to be stored as they came; on PostgreSQL the
idempotency key and the user agent were server errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice.models import CookieConsentRecord, PrivacyRequest

from .helpers import Person, csrf_token

API = "/privacy/api/v1"
BAD_TEXTS = {"nul": "Please correct my address\x00 now", "surrogate": "café \ud800 bar"}


def stored_requests(app: Flask) -> list[PrivacyRequest]:
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(PrivacyRequest)))


@pytest.mark.parametrize("kind", sorted(BAD_TEXTS))
def test_the_api_refuses_a_description_that_cannot_be_stored(
        app: Flask, person: Person, kind: str) -> None:
    person.login("alice@example.com")
    response = person.api("POST", API + "/requests", json={
        "type": "correction", "details": {"description": BAD_TEXTS[kind]}})
    assert response.status_code == 422, response.text[:300]
    assert response.headers["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "details"
    assert "control characters" in error["message"]
    assert stored_requests(app) == []


def test_the_page_refuses_a_description_with_a_nul_byte(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    response = person.submit("/privacy/requests", {
        "type": "correction", "jurisdiction": "gdpr", "description": BAD_TEXTS["nul"]})
    assert response.status_code == 400
    assert "control characters" in response.text
    assert stored_requests(app) == []


def test_line_breaks_and_tabs_in_a_description_are_kept(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    text = "Line one,\r\nline two\tand a tab; ünïcödé 🙂"
    response = person.api("POST", API + "/requests", json={
        "type": "correction", "details": {"description": text}})
    assert response.status_code == 202, response.text[:300]
    [stored] = stored_requests(app)
    assert stored.details == {"description": text}


def test_an_idempotency_key_with_a_nul_byte_is_refused(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    response = person.api("POST", API + "/requests", json={"type": "correction"},
                          headers={"Idempotency-Key": "retry\x001"})
    assert response.status_code == 422, response.text[:300]
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert stored_requests(app) == []


def test_a_user_agent_is_stored_without_control_characters(
        app: Flask, person: Person) -> None:
    token = csrf_token(person.get("/privacy/cookies").text)
    version = person.http.get(person.app_url + API + "/cookie-consent", timeout=10).json()[
        "policy_version"]
    response = person.http.put(
        person.app_url + API + "/cookie-consent", timeout=10,
        json={"policy_version": version, "categories": {"analytics": True}},
        headers={"X-CSRF-Token": token, "User-Agent": "Browser\x00/1.0\x01 (X11)"})
    assert response.status_code == 200, response.text[:300]
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        [record] = session.scalars(sa.select(CookieConsentRecord))
    assert record.user_agent == "Browser/1.0 (X11)"


@pytest.mark.backends("sqlite")
def test_a_document_reference_with_a_control_character_is_refused(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["selfservice", "consent", "record-agreement", "acct-alice",
                                 "--granted", "--document", "MSA-2026\x00-118",
                                 "--officer", "acct-pat"])
    assert result.exit_code != 0
    assert "control characters" in result.output


@pytest.mark.parametrize("path", ["/requests/%00", "/requests/%00/cancel",
                                  "/consent-events/%00/receipt"])
def test_an_id_that_cannot_exist_is_not_found(app: Flask, person: Person, path: str) -> None:
    person.login("alice@example.com")
    method = "POST" if path.endswith("/cancel") else "GET"
    response = person.api(method, API + path)
    assert response.status_code == 404, response.text[:300]
    assert response.headers["Content-Type"] == "application/problem+json"
