"""Export downloads and retries: a download counts once, when the archive's last byte is sent
(HEAD, a partial Range or a 304 never count); a stale login on a download comes back to the
download; only a failed export can be tried again (anything else is a 409 that changes
nothing)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .helpers import Person, forms_of
from .test_requests import API, exported


def test_only_a_failed_export_can_be_tried_again(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    body = exported(app, person)
    retried = person.api("POST", f"{API}/{body['id']}/retry")
    assert retried.status_code == 409, retried.text
    assert retried.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = retried.json()
    assert problem["type"].endswith("/conflict")
    assert problem["detail"] == ("Only an export that failed can be tried again, and this "
                                 "one is completed.")
    after = person.api("GET", f"{API}/{body['id']}", csrf=False).json()
    assert after["status"] == "completed" and after["events"] == body["events"]
    # nor a request of another kind, whatever its state
    other = person.api("POST", API, json={"type": "correction"}).json()
    assert person.api("POST", f"{API}/{other['id']}/retry").status_code == 409
    # the page's button says so in words and changes nothing either
    token = forms_of(person.get("/privacy/requests").text)[-1]["fields"]["csrf_token"]
    answer = person.follow(person.http.post(
        f"{person.app_url}/privacy/requests/{body['id']}/retry", data={"csrf_token": token},
        allow_redirects=False, timeout=10))
    assert answer.status_code == 200
    assert "Only an export that failed can be tried again" in answer.text
    assert person.api("GET", f"{API}/{body['id']}", csrf=False).json()["status"] == "completed"
