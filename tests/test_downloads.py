"""Export downloads and retries: a download counts once, when the archive's last byte is sent
(HEAD, a partial Range or a 304 never count); a stale login on a download comes back to the
download; only a failed export can be tried again (anything else is a 409 that changes
nothing)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from .helpers import Person, csrf_token, make_login_stale
from .test_requests import API, exported

#: every rule holds whichever store keeps the archive (the local folder, S3)
pytestmark = pytest.mark.usefixtures("storage")


def downloads(person: Person, request_id: str) -> int:
    body = person.api("GET", f"{API}/{request_id}", csrf=False).json()
    return int(body["download"]["downloads"])


def test_a_download_counts_once_when_its_last_byte_is_sent(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    body = exported(app, person)
    url = person.app_url + body["download"]["url"]
    size = body["download"]["bytes"]
    # HEAD and a Range that stops short of the end download nothing whole
    head = person.http.head(url, timeout=10)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == size
    first_part = person.http.get(url, headers={"Range": f"bytes=0-{size // 2}"}, timeout=30)
    assert first_part.status_code == 206
    assert downloads(person, body["id"]) == 0
    # the Range that finishes the resumed download completes it
    rest = person.http.get(url, headers={"Range": f"bytes={size // 2 + 1}-"}, timeout=30)
    assert rest.status_code == 206 and len(first_part.content + rest.content) == size
    assert downloads(person, body["id"]) == 1
    # a whole GET is one more; a revalidation that sends nothing (304) is not
    whole = person.http.get(url, timeout=30)
    assert whole.status_code == 200 and len(whole.content) == size
    assert downloads(person, body["id"]) == 2
    unchanged = person.http.get(url, headers={"If-None-Match": whole.headers["ETag"]},
                                timeout=30)
    assert unchanged.status_code == 304
    assert downloads(person, body["id"]) == 2


def test_one_get_one_range_and_one_head_are_one_download(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    body = exported(app, person)
    url = person.app_url + body["download"]["url"]
    assert person.http.get(url, timeout=30).status_code == 200
    assert person.http.get(url, headers={"Range": "bytes=0-99"}, timeout=30).status_code == 206
    assert person.http.head(url, timeout=10).status_code == 200
    assert downloads(person, body["id"]) == 1


def test_a_stale_head_on_a_download_reauthenticates_back_to_the_download(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    body = exported(app, person)
    make_login_stale(app, person)
    for method in ("GET", "HEAD"):
        stale = person.http.request(method, person.app_url + body["download"]["url"],
                                    allow_redirects=False, timeout=10)
        assert stale.status_code == 302, method
        location = urlsplit(stale.headers["Location"])
        assert location.path == "/auth/reauth", method
        assert parse_qs(location.query)["next"] == [body["download"]["url"]], method
    assert downloads(person, body["id"]) == 0


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
    token = csrf_token(person.get("/privacy/requests").text)
    answer = person.follow(person.http.post(
        f"{person.app_url}/privacy/requests/{body['id']}/retry", data={"csrf_token": token},
        allow_redirects=False, timeout=10))
    assert answer.status_code == 200
    assert "Only an export that failed can be tried again" in answer.text
    assert person.api("GET", f"{API}/{body['id']}", csrf=False).json()["status"] == "completed"
